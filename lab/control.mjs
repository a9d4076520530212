// Host-side control of the panel ↔ agent lab runs: the built panel on a fresh
// SQLite database, a tRPC client for it (plain JSON, session cookie + Origin),
// and the lab VM running lab/tests/panel-lab.sh (three real agents in the
// director / rs1 / rs2 namespaces) with a command channel into the VM.
//
//   const panel = await startPanel({ port: 3198, name: "bench" });
//   const api = panelClient(panel.base);
//   const lab = await startLab({ port: 3198, name: "bench", agents: [{ ns: "director", host: "lb1", token }] });
//   const { rc, out } = await lab.exec("ip netns exec director ipvsadm -Ln");
//   await lab.stop(); stopAll();
//
// The command channel: exec() writes $SHARE/cmd/N.sh (atomically, by rename);
// the VM runs it in its root namespace and writes N.out, then N.rc
// (lab/scenarios/panel-topology.sh serve_commands). The share is a 9p mount,
// coherent both ways.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every `intervalMs` until it returns something truthy; a throw inside `check` is retried, a timeout throws. */
export async function until(what, check, timeoutMs, intervalMs = 250) {
  const end = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (error) {
      last = error;
      if (error?.fatal) throw error;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last.message})` : ""}`);
    await sleep(intervalMs);
  }
}

/** A tRPC client for the panel at `base`, keeping the session cookie of auth.setup/login. */
export function panelClient(base) {
  let cookie = "";
  async function call(kind, proc, input) {
    const headers = { origin: base, ...(cookie ? { cookie } : {}) };
    const res =
      kind === "query"
        ? await fetch(`${base}/api/trpc/${proc}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers })
        : await fetch(`${base}/api/trpc/${proc}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(input ?? {}) });
    const set = res.headers.getSetCookie?.() ?? [];
    if (set.length > 0) cookie = set.map((c) => c.split(";")[0]).join("; ");
    const body = await res.json();
    if (body.error) throw new Error(`${proc}: ${body.error.data?.code ?? res.status} ${body.error.message}`);
    return body.result.data;
  }
  return {
    query: (proc, input) => call("query", proc, input),
    mutate: (proc, input) => call("mutation", proc, input),
    /** first run creates the admin; later runs log in */
    async signIn(username = "admin", password = "lab-panel-passphrase") {
      const status = await call("query", "auth.status");
      if (status.needsSetup) await call("mutation", "auth.setup", { username, password });
      else await call("mutation", "auth.login", { username, password });
    },
  };
}

const children = [];
/** Starts a child in its own process group, prefixing its output lines; `quiet` drops stdout. */
export function startProcess(cmd, args, { env = {}, prefix = "", quiet = false } = {}) {
  const child = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const pipe = (stream, out) => {
    let buf = "";
    stream.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        if (out) out.write(`${prefix}${buf.slice(0, i)}\n`);
        buf = buf.slice(i + 1);
      }
    });
  };
  pipe(child.stdout, quiet ? null : process.stdout);
  pipe(child.stderr, process.stderr);
  children.push(child);
  child.exited = new Promise((r) => child.on("exit", (code, signal) => r(code ?? (signal ? 128 : 1))));
  return child;
}

/** SIGTERM to every process group this module started that is still running. */
export function stopAll() {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) try { process.kill(-c.pid, "SIGTERM"); } catch {}
}

/** The built panel (e2e/start-panel.sh) on 127.0.0.1:port with a fresh database under .tmp/lab-<name>-db. */
export async function startPanel({ port, name, quiet = true }) {
  const base = `http://127.0.0.1:${port}`;
  const child = startProcess("bash", ["e2e/start-panel.sh"], {
    env: { PORT: String(port), E2E_DB_DIR: `.tmp/lab-${name}-db`, E2E_APP_DIR: `.tmp/lab-${name}-app` },
    prefix: "[panel] ",
    quiet,
  });
  await until("the panel", async () => {
    if (child.exitCode !== null) throw Object.assign(new Error("the panel exited"), { fatal: true });
    return (await fetch(`${base}/api/health`)).ok;
  }, 180_000);
  return { base, child };
}

/**
 * Boots the lab VM (lab.sh --panel-port port) running lab/tests/panel-lab.sh
 * with `agents` ([{ns, host, token}]) and waits until every agent is enrolled
 * and started ($SHARE/ready). Returns { exec, stop, exited, share }.
 */
export async function startLab({ port, name, agents, timeoutS = 900, log = () => {} }) {
  const share = path.join(repoRoot, `.tmp/lab-${name}-share`);
  const cmdDir = path.join(share, "cmd");
  rmSync(share, { recursive: true, force: true });
  mkdirSync(cmdDir, { recursive: true });
  const spec = agents.map((a) => `${a.ns}:${a.host}:${a.token}`).join(",");
  writeFileSync(path.join(share, "agents"), spec, { mode: 0o600 }); // tokens: not in any process's arguments
  const vm = startProcess("bash", ["lab/lab.sh", "-p", String(port), "-s", share, "-t", String(timeoutS), "lab/tests/panel-lab.sh"], { prefix: "[vm] " });
  const gone = () => vm.exitCode !== null || vm.signalCode !== null;
  const ready = await until("the lab VM's agents", () => {
    if (gone()) throw Object.assign(new Error("the lab VM exited before it was ready"), { fatal: true });
    return existsSync(path.join(share, "ready")) && readFileSync(path.join(share, "ready"), "utf8").trim();
  }, timeoutS * 1000);
  if (ready !== "ready") throw new Error("the lab VM could not enroll or start every agent (see the [vm] lines)");
  log("lab VM ready");

  let n = 0;
  /** Runs `script` (bash, sourced in a subshell of panel-lab.sh) in the VM's root namespace; resolves { rc, out }. */
  async function exec(script, timeoutMs = 60_000) {
    const id = String(++n).padStart(4, "0");
    const file = path.join(cmdDir, `${id}.sh`);
    writeFileSync(`${file}.tmp`, `set -o pipefail\n${script}\n`);
    renameSync(`${file}.tmp`, file);
    const rcFile = path.join(cmdDir, `${id}.rc`);
    await until(`the VM to run: ${script}`, () => {
      if (gone()) throw Object.assign(new Error("the lab VM exited"), { fatal: true });
      return existsSync(rcFile);
    }, timeoutMs, 20);
    return { rc: Number(readFileSync(rcFile, "utf8").trim()), out: readFileSync(path.join(cmdDir, `${id}.out`), "utf8") };
  }
  /** Like exec, but throws unless the command exits 0; resolves its output. */
  async function run(script, timeoutMs) {
    const { rc, out } = await exec(script, timeoutMs);
    if (rc !== 0) throw new Error(`in the VM, exit ${rc}: ${script}\n${out}`);
    return out;
  }
  /** Enrolls HOST with `token` as the agent in namespace `ns` and starts `lvs-agent run` there (panel_agent). */
  const enroll = (ns, host, token) => run(`panel_agent ${ns} ${host} ${token}`, 120_000);
  /** Asks the VM script to finish (it removes everything it made) and waits for the VM to power off. */
  async function stop() {
    if (!gone()) writeFileSync(path.join(cmdDir, "stop"), "");
    const timer = setTimeout(() => { try { process.kill(-vm.pid, "SIGTERM"); } catch {} }, 60_000);
    const rc = await vm.exited;
    clearTimeout(timer);
    return rc;
  }
  return { exec, run, enroll, stop, exited: vm.exited, share };
}
