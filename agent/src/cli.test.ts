import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { main, parseArgs, UsageError } from "./cli";
import { FakeKernel } from "./kernel/fake";

const EXAMPLES = path.resolve(__dirname, "../../docs/examples");

function harness(kernel = new FakeKernel({ interfaces: ["lo", "eth0"], sysctls: { "net.ipv4.vs.conntrack": "0", "net.ipv6.conf.all.forwarding": "0" } })) {
  const stateDir = mkdtempSync(path.join(tmpdir(), "lvs-agent-test-"));
  const run = async (...argv: string[]) => {
    let stdout = "";
    let stderr = "";
    const code = await main(["--state-dir", stateDir, ...argv], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      env: { LVS_AGENT_CONFIG: path.join(stateDir, "config.json") },
      kernel,
    });
    return { code, stdout, stderr };
  };
  writeFileSync(path.join(stateDir, "config.json"), "{}");
  const file = (name: string, content: unknown) => {
    const f = path.join(stateDir, name);
    writeFileSync(f, typeof content === "string" ? content : JSON.stringify(content));
    return f;
  };
  return { kernel, stateDir, run, file };
}

const minimal = { schemaVersion: 1, generation: 7, ipvs: { services: [] }, addresses: [], realServer: null, sysctls: {}, fwmarks: [] };

describe("docs/examples", () => {
  const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith(".json"));
  it("has one director file per topology", () => {
    for (const topology of ["dr", "nat", "tun", "fwmark"]) expect(examples).toContain(`${topology}-director.json`);
  });

  it.each(examples)("%s: plan accepts it, apply converges, a second plan says No changes.", async (name) => {
    const h = harness();
    const file = path.join(EXAMPLES, name);
    const planned = await h.run("plan", "--desired", file);
    expect(planned.stderr).toBe("");
    expect(planned.code).toBe(0);
    expect(planned.stdout).not.toBe("No changes.\n");
    const applied = await h.run("apply", "--desired", file, "--json");
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ converged: true });
    expect(await h.run("plan", "--desired", file)).toMatchObject({ code: 0, stdout: "No changes.\n" });
  });
});

describe("CLI contract", () => {
  it("plan --json prints the generation and ops with kind, summary and command", async () => {
    const h = harness();
    const f = h.file("d.json", { ...minimal, addresses: [{ interface: "eth0", address: "192.0.2.10" }] });
    const out = await h.run("plan", "--desired", f, "--json");
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({
      generation: 7,
      ops: [{ kind: "address-add", summary: "add 192.0.2.10/32 to eth0", command: "ip addr add 192.0.2.10/32 dev eth0 label eth0:lvs" }],
    });
    expect(h.kernel.calls).toEqual([]);
  });

  it("apply prints a summary and exits 0; --json has one result per op and converged", async () => {
    const h = harness();
    const f = h.file("d.json", { ...minimal, sysctls: { "net.ipv4.ip_forward": 1 } });
    const human = await h.run("apply", "--desired", f);
    expect(human).toMatchObject({ code: 0 });
    expect(human.stdout).toContain("ok   sysctl -w net.ipv4.ip_forward=1\napplied generation 7: 1 ops, 0 failed\n");
    const f2 = h.file("d2.json", { ...minimal, generation: 8 });
    const json = JSON.parse((await h.run("apply", "--desired", f2, "--json")).stdout);
    expect(json).toMatchObject({ generation: 8, converged: true, results: [{ op: { kind: "sysctl-restore", command: "sysctl -w net.ipv4.ip_forward=0" }, ok: true }] });
  });

  it("apply exits 1 when an op fails, with the error in the result", async () => {
    const h = harness();
    h.kernel.failures.push({ match: /ip addr add/, message: "RTNETLINK answers: Operation not permitted" });
    const f = h.file("d.json", { ...minimal, addresses: [{ interface: "eth0", address: "192.0.2.10" }] });
    const out = await h.run("apply", "--desired", f, "--json");
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ converged: false, results: [{ ok: false, error: "RTNETLINK answers: Operation not permitted" }] });
  });

  it.each<[string, unknown, RegExp]>([
    ["unknown scheduler", { ...minimal, ipvs: { services: [{ protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "fast", destinations: [] }] } }, /ipvs.services\[0\].scheduler: unknown scheduler "fast"/],
    ["bad address", { ...minimal, ipvs: { services: [{ protocol: "tcp", address: "192.0.2.999", port: 80, scheduler: "rr", destinations: [] }] } }, /ipvs.services\[0\].address: "192.0.2.999" is not an IP address/],
    [
      "duplicate service",
      { ...minimal, ipvs: { services: [1, 2].map(() => ({ protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "rr", destinations: [] })) } },
      /duplicate service tcp 192.0.2.10:80/,
    ],
    [
      "DR port remap",
      { ...minimal, ipvs: { services: [{ protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "rr", destinations: [{ address: "10.0.0.11", port: 8080, forwarding: "dr" }] }] } },
      /DR forwarding cannot change the port/,
    ],
    ["unknown interface", { ...minimal, addresses: [{ interface: "bond7", address: "192.0.2.10" }] }, /does not fit this host:\n {2}addresses\["bond7 192.0.2.10\/32"\]: unknown interface "bond7"/],
    ["missing generation", { ...minimal, generation: undefined }, /generation: generation .* is required/],
    ["empty file", "", /the file is empty/],
    ["truncated JSON", '{"schemaVersion":1,"generation":3,"ipvs":{"serv', /not valid JSON \(truncated\?\)/],
    ["partial document", { schemaVersion: 1, generation: 3 }, /ipvs: .*expected object/i],
  ])("bad input (%s): plan and apply exit 2 with a clear message and change nothing", async (_name, content, message) => {
    const h = harness();
    const f = h.file("bad.json", content);
    for (const command of ["plan", "apply"]) {
      const out = await h.run(command, "--desired", f);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(message);
      expect(out.stderr).toContain("nothing was changed.");
    }
    expect(h.kernel.calls).toEqual([]);
  });

  it("usage and configuration errors exit 2", async () => {
    const h = harness();
    expect((await h.run("plan")).code).toBe(2);
    expect((await h.run("frobnicate")).stderr).toMatch(/unknown command frobnicate/);
    const badConfig = h.file("bad-config.json", { intervalSeconds: "fast" });
    const out = await h.run("--config", badConfig, "status");
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/invalid configuration .*intervalSeconds must be a number of seconds/);
    expect((await h.run("--config", "/nonexistent/lvs-agent.json", "status")).stderr).toMatch(/config file \/nonexistent\/lvs-agent.json does not exist/);
  });

  it("status --json shows the table with counters, owned objects and the last generation", async () => {
    const h = harness();
    h.kernel.addForeignService("-A -t 198.51.100.1:80 -s rr");
    const f = h.file("d.json", {
      ...minimal,
      ipvs: { services: [{ protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "rr", destinations: [{ address: "10.0.0.11", forwarding: "dr" }] }] },
      addresses: [{ interface: "eth0", address: "192.0.2.10" }],
      sysctls: { "net.ipv4.ip_forward": 1 },
    });
    await h.run("apply", "--desired", f);
    const status = JSON.parse((await h.run("status", "--json")).stdout);
    expect(status.generation).toBe(7);
    expect(status.ipvs.services).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: "tcp 192.0.2.10:80", owned: true, conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0, activeconns: 0, inactconns: 0 }),
        expect.objectContaining({ key: "tcp 198.51.100.1:80", owned: false }),
      ]),
    );
    expect(status.addresses).toEqual([{ interface: "eth0", address: "192.0.2.10", prefix: 32, present: true, label: "eth0:lvs" }]);
    expect(status.sysctls).toEqual({ "net.ipv4.ip_forward": { value: "1", original: "0" } });
  });
});

describe("parseArgs", () => {
  it("takes global flags anywhere and --flag=value", () => {
    expect(parseArgs(["plan", "--desired=x.json", "--state-dir", "/s", "--json"])).toEqual({ command: "plan", desired: "x.json", stateDir: "/s", json: true });
    expect(parseArgs(["--config", "/c", "run", "--interval", "2"])).toEqual({ command: "run", configFile: "/c", interval: 2, json: false });
  });
  it("rejects what it does not know", () => {
    expect(() => parseArgs(["apply"])).toThrow(UsageError);
    expect(() => parseArgs(["run", "--interval", "0"])).toThrow(/--interval/);
    expect(() => parseArgs(["plan", "--desired", "x", "--force"])).toThrow(/unknown option --force/);
    expect(() => parseArgs(["run", "--stats-interval", "50"])).toThrow(/--stats-interval must be a whole number of milliseconds ≥ 100/);
  });
  it("live stats flags", () => {
    expect(parseArgs(["run", "--stats-interval", "500", "--metrics-listen=127.0.0.1:9101"])).toEqual({ command: "run", statsInterval: 500, metricsListen: "127.0.0.1:9101", json: false });
  });
  it("run: a metrics address that cannot be listened on exits 2 before anything is applied", async () => {
    const h = harness();
    const busy = await new Promise<import("node:net").Server>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => resolve(server));
    });
    try {
      const port = (busy.address() as { port: number }).port;
      const f = h.file("d.json", { ...minimal, ipvs: { services: [{ protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "rr", destinations: [] }] } });
      const out = await h.run("run", "--desired", f, "--metrics-listen", `127.0.0.1:${port}`);
      expect(out.code).toBe(2);
      expect(out.stderr).toMatch(/cannot listen for metrics on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
      expect(h.kernel.calls).toEqual([]);
      expect((await h.run("run", "--metrics-listen", "9101")).stderr).toMatch(/metricsListen must be HOST:PORT/);
    } finally {
      busy.close();
    }
  });
});
