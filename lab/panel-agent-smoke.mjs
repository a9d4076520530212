#!/usr/bin/env node
// The panel ↔ agent loop on the real kernel, smallest form: the built panel on
// the host (fresh SQLite), the REAL agent inside the lab VM's root namespace
// (lab/tests/panel-agent-smoke.sh), talking only through --panel-port.
//
//   npm run agent:build && node lab/panel-agent-smoke.mjs      (needs a panel build: .next/BUILD_ID)
//
// Host side, through the panel's tRPC API (plain JSON, session cookie + Origin):
// first-run admin → host lb1 → cluster with a director (VIP interface lvs0) and a
// DR service 192.0.2.10:80 rr → 10.0.0.11, 10.0.0.12 → enrollment token → boot the
// VM with it → wait for the agent's hello → review (prints the agent's plan lines)
// → apply → wait for "applied" → wait for the drift the VM makes out of band →
// repair → wait for no drift → the VM's own checks decide the exit code.
// PORT (default 3197) is the panel's loopback port.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { panelClient, repoRoot, sleep, startProcess, stopAll, until } from "./control.mjs";

const port = Number(process.env.PORT ?? 3197);
const base = `http://127.0.0.1:${port}`;
const share = path.join(repoRoot, ".tmp/lab-smoke-share");
const t0 = Date.now();
const log = (msg) => console.log(`[host ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}`);
const { query, mutate } = panelClient(base);
const start = (cmd, args, env, prefix) => startProcess(cmd, args, { env, prefix });

process.on("SIGINT", () => { stopAll(); process.exit(130); });

let exitCode = 1;
try {
  rmSync(share, { recursive: true, force: true });
  mkdirSync(share, { recursive: true });
  log(`starting the panel on ${base} (fresh database)`);
  const panel = start("bash", ["e2e/start-panel.sh"], { PORT: String(port), E2E_DB_DIR: ".tmp/lab-smoke-db", E2E_APP_DIR: ".tmp/lab-smoke-app" }, "[panel] ");
  await until("the panel", async () => (await fetch(`${base}/api/health`)).ok, 180_000);
  log("panel up");

  const status = await query("auth.status");
  if (status.needsSetup) await mutate("auth.setup", { username: "admin", password: "lab-smoke-passphrase" });
  else await mutate("auth.login", { username: "admin", password: "lab-smoke-passphrase" });
  const host = await mutate("hosts.create", { name: "lb1", managementAddress: "10.0.2.15" });
  const cluster = await mutate("clusters.create", { name: "lab" });
  await mutate("directors.add", { clusterId: cluster.id, hostId: host.id, vipInterface: "lvs0" });
  await mutate("services.create", { clusterId: cluster.id, protocol: "TCP", address: "192.0.2.10", port: 80, scheduler: "rr", realServers: [{ address: "10.0.0.11" }, { address: "10.0.0.12" }] });
  const enrollment = await mutate("hosts.enroll", { hostId: host.id });
  log(`host lb1 and cluster "lab" created; enrollment token issued (expires ${enrollment.expiresAt})`);

  log(`booting the lab VM with --panel-port ${port}`);
  const lab = start("bash", ["lab/lab.sh", "-p", String(port), "-s", share, "-t", "900", "-e", `LVS_SMOKE_TOKEN=${enrollment.token}`, "lab/tests/panel-agent-smoke.sh"], {}, "[vm] ");
  let labDone = false;
  lab.exited.then(() => (labDone = true));
  const alive = (v) => {
    if (labDone) throw Object.assign(new Error("the lab VM exited early"), { fatal: true });
    return v;
  };

  const hostState = async () => (await query("revisions.status", { clusterId: cluster.id })).hosts.find((h) => h.id === host.id);
  await until("the agent's hello", async () => {
    const agent = (await query("hosts.get", { id: host.id })).agent;
    return alive(agent.online && agent.version !== null);
  }, 600_000).catch((e) => {
    throw new Error(`${e.message}${labDone ? " (the VM exited)" : ""}`);
  });
  const info = (await query("hosts.get", { id: host.id })).agent;
  log(`agent online: ${JSON.stringify(info)}`);

  const review = await query("revisions.review", { clusterId: cluster.id });
  const plan = review.hosts.find((h) => h.hostId === host.id).plan;
  log(`review: plan ${plan.status}${plan.error ? ` (${plan.error})` : ""}:\n${plan.ops.map((o) => `    ${o.command}`).join("\n")}`);
  const applyStarted = Date.now();
  const revision = await mutate("revisions.applyDraft", { clusterId: cluster.id, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash, note: "lab smoke" });
  log(`applied revision #${revision.number}; waiting for the agent's report`);
  const applied = await until("applied", async () => {
    const h = await hostState();
    if (h.status === "failed") throw new Error(`deployment failed: ${h.error}`);
    return alive(h.status === "applied" ? h : null);
  }, 120_000);
  log(`panel shows lb1 ${applied.status}, generation ${applied.appliedGeneration}, ${Date.now() - applyStarted} ms after the apply call`);

  const drifted = await until("drift", async () => {
    const h = await hostState();
    return alive(h.driftCount > 0 ? h : null);
  }, 300_000);
  log(`panel shows drift on lb1: ${drifted.drift.map((d) => d.command).join("; ")}`);
  await until("the VM's drift marker", async () => alive(readFileSync(path.join(share, "drift-made"), "utf8").length > 0), 60_000);
  const repair = await mutate("agents.repair", { hostId: host.id });
  log(`repair: ${JSON.stringify(repair)}`);
  await until("no drift", async () => alive((await hostState()).driftCount === 0), 120_000);
  log("panel shows lb1 in sync again");

  const rc = await lab.exited;
  log(`lab VM exited ${rc}`);
  const final = await hostState();
  log(`final: ${JSON.stringify({ status: final.status, appliedGeneration: final.appliedGeneration, online: final.online, driftCount: final.driftCount })}`);
  exitCode = rc;
  void panel;
} catch (error) {
  log(`FAILED: ${error.message}`);
} finally {
  stopAll();
  await sleep(500);
}
process.exit(exitCode);
