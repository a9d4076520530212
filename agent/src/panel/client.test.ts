/**
 * The panel client against an in-process socket.io server that speaks the
 * panel's side of shared/agent-protocol (handshake check, hello/report
 * validation, desired/plan/repair with acks), driving the real Daemon and
 * Reconciler on the FakeKernel. The panel's own integration suite runs this
 * client against the real gateway and database.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { Server, type Socket as ServerSocket } from "socket.io";
import { afterEach, describe, expect, it } from "vitest";
import {
  AGENT_NAMESPACE,
  AgentAuthSchema,
  AgentHelloSchema,
  AgentReportSchema,
  DesiredAckSchema,
  PlanReplySchema,
  RepairAckSchema,
  type AgentHello,
  type AgentReport,
  type KernelInfo,
} from "../../../shared/agent-protocol";
import { AGENT_VERSION, main } from "../cli";
import { Daemon, type DaemonEvent } from "../daemon";
import { FakeKernel } from "../kernel/fake";
import { MemoryStore, Reconciler } from "../reconciler";
import { backoffDelay, connectToPanel, type PanelConnection, type PanelEvent } from "./client";

const HOST_ID = "host-1";
const CREDENTIAL = `lvsh_${"c".repeat(43)}`;
const KERNEL: KernelInfo = { release: "6.1.0-test", ipvs: true, ipvsVersion: "1.2.1", schedulers: ["rr", "wrr"], interfaces: [{ name: "eth0", addresses: ["198.51.100.2/24"], up: true }], defaultGateways: ["198.51.100.1"] };

const state = (generation: number, weight = 1, iface = "eth0") => ({
  schemaVersion: 1,
  generation,
  host: "lb1",
  ipvs: {
    services: [
      {
        protocol: "tcp",
        address: "192.0.2.10",
        port: 80,
        scheduler: "rr",
        destinations: [
          { address: "10.0.0.11", forwarding: "dr", weight },
          { address: "10.0.0.12", forwarding: "dr", weight: 1 },
        ],
      },
    ],
  },
  addresses: [{ interface: iface, address: "192.0.2.10" }],
  realServer: null,
  sysctls: {},
  fwmarks: [],
});

/** The panel's side of the channel, small but faithful: every agent message is validated like the gateway does. */
class FakePanel {
  readonly http: HttpServer;
  readonly io: Server;
  readonly hellos: AgentHello[] = [];
  readonly reports: AgentReport[] = [];
  readonly refused: string[] = [];
  readonly invalid: string[] = [];
  socket: ServerSocket | null = null;
  url = "";

  constructor(private port = 0) {
    this.http = createServer();
    this.io = new Server(this.http, { path: "/socket.io", serveClient: false });
    const ns = this.io.of(AGENT_NAMESPACE);
    ns.use((socket, next) => {
      const auth = AgentAuthSchema.safeParse(socket.handshake.auth);
      if (!auth.success || auth.data.hostId !== HOST_ID || auth.data.credential !== CREDENTIAL) {
        this.refused.push(JSON.stringify(socket.handshake.auth).length > 0 ? "refused" : "");
        return next(new Error("unauthorized: unknown, revoked or mismatched agent credential"));
      }
      next();
    });
    ns.on("connection", (socket) => {
      this.socket = socket;
      socket.on("hello", (payload: unknown, ack: (a: unknown) => void) => {
        const hello = AgentHelloSchema.safeParse(payload);
        if (!hello.success) return this.invalid.push("hello");
        this.hellos.push(hello.data);
        ack({ ok: true, hostName: "lb1" });
      });
      socket.on("report", (payload: unknown) => {
        const report = AgentReportSchema.safeParse(payload);
        if (!report.success) return this.invalid.push(`report: ${report.error.message}`);
        this.reports.push(report.data);
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(this.port, "127.0.0.1", resolve));
    this.port = (this.http.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  async push(generation: number, doc: unknown, force = false) {
    return DesiredAckSchema.parse(await this.socket!.timeout(5000).emitWithAck("desired", { generation, revisionId: null, state: doc, force }));
  }
  async pushRaw(payload: unknown) {
    return DesiredAckSchema.parse(await this.socket!.timeout(5000).emitWithAck("desired", payload));
  }
  async plan(doc: unknown) {
    return PlanReplySchema.parse(await this.socket!.timeout(5000).emitWithAck("plan", { state: doc }));
  }
  async repair() {
    return RepairAckSchema.parse(await this.socket!.timeout(5000).emitWithAck("repair", {}));
  }

  async close() {
    this.io.of(AGENT_NAMESPACE).disconnectSockets(true);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }
}

async function eventually<T>(check: () => T | null | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(options: { credential?: string; repairDrift?: boolean; checkIntervalMs?: number; panel?: FakePanel; kernel?: FakeKernel } = {}) {
  const panel = options.panel ?? (await new FakePanel().start());
  if (!options.panel) cleanup.push(() => panel.close());
  const kernel = options.kernel ?? new FakeKernel();
  const store = new MemoryStore();
  const reconciler = new Reconciler(kernel, store);
  const events: Array<DaemonEvent | PanelEvent> = [];
  const daemon = new Daemon(reconciler, { intervalMs: 3_600_000, periodic: false, log: (e) => events.push(e) });
  await daemon.start();
  const connection = connectToPanel({
    panelUrl: panel.url,
    hostId: HOST_ID,
    credential: options.credential ?? CREDENTIAL,
    daemon,
    reconciler,
    hostname: "lb1.example",
    agentVersion: "0.1.0",
    kernelInfo: KERNEL,
    checkIntervalMs: options.checkIntervalMs ?? 0,
    repairDrift: options.repairDrift,
    backoff: { minMs: 20, maxMs: 100, jitter: 0.5 },
    log: (e) => events.push(e),
  });
  cleanup.push(async () => {
    connection.close();
    await daemon.stop("test");
  });
  return { panel, kernel, store, reconciler, daemon, connection, events };
}

const commands = (report: AgentReport | undefined) => report?.results.map((r) => `${r.ok ? "ok" : "FAIL"} ${r.command}`);

describe("connectToPanel", () => {
  it("says hello with version, hostname, kernel info and no applied generation; logs never contain the credential", async () => {
    const h = await setup();
    expect(await h.connection.ready).toEqual({ ok: true, hostName: "lb1" });
    expect(h.panel.hellos).toEqual([{ agentVersion: "0.1.0", hostname: "lb1.example", kernel: KERNEL, appliedGeneration: null }]);
    expect(h.events).toContainEqual({ event: "panel-connected", panel: h.panel.url });
    expect(JSON.stringify(h.events)).not.toContain(CREDENTIAL);
  });

  it("desired → ack accepted → the kernel gets it → report apply with per-op results and no drift", async () => {
    const h = await setup();
    await h.connection.ready;
    expect(await h.panel.push(1, state(1))).toEqual({ accepted: true });
    const report = await eventually(() => h.panel.reports.find((r) => r.kind === "apply"));
    expect(report).toMatchObject({ kind: "apply", generation: 1, converged: true, drift: [] });
    expect(commands(report)).toEqual([
      "ok ip addr add 192.0.2.10/32 dev eth0 label eth0:lvs",
      "ok ipvsadm -A -t 192.0.2.10:80 -s rr",
      "ok ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1",
      "ok ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1",
    ]);
    expect(h.kernel.serviceKeys()).toEqual(["tcp 192.0.2.10:80"]);
    expect(h.connection.appliedGeneration).toBe(1);
    expect(h.store.desired).toEqual(state(1)); // stored as the panel sent it
  });

  it("refuses a stale generation (unless forced), an invalid push and a mismatched generation, changing nothing", async () => {
    const h = await setup();
    await h.connection.ready;
    await h.panel.push(2, state(2));
    await eventually(() => h.panel.reports.length === 1);
    const calls = h.kernel.calls.length;
    expect(await h.panel.push(1, state(1, 7))).toEqual({ accepted: false, error: "stale generation 1: generation 2 is already applied" });
    expect((await h.panel.push(3, { ...state(3), ipvs: { services: [{ protocol: "tcp" }] } })).error).toMatch(/^invalid desired state: ipvs\.services\[0\]\.address/);
    expect(await h.panel.push(3, state(4))).toEqual({ accepted: false, error: "the push is generation 3 but its state says 4" });
    expect((await h.panel.push(3, { ...state(3), ipvs: { services: [state(3).ipvs.services[0], state(3).ipvs.services[0]] } })).error).toMatch(/^invalid desired state: .*duplicate|^invalid desired state/);
    expect(h.kernel.calls.length).toBe(calls);
    expect(h.panel.reports).toHaveLength(1);
    // force: a panel whose database was restored may publish a lower generation on purpose
    expect(await h.panel.push(1, state(1, 7), true)).toEqual({ accepted: true });
    await eventually(() => h.panel.reports.length === 2);
    expect(h.kernel.services.get("tcp 192.0.2.10:80")!.destinations[0].weight).toBe(7);
    expect(h.connection.appliedGeneration).toBe(1);
  });

  it("delta pushes: the same kernel and stored state as the whole push; a base the agent does not hold or an invalid delta is refused whole, nothing touched", async () => {
    const two = (generation: number, weight = 1) => {
      const doc = state(generation, weight);
      doc.ipvs.services.push({ protocol: "tcp", address: "192.0.2.10", port: 443, scheduler: "rr", destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 1 }, { address: "10.0.0.12", forwarding: "dr", weight: 1 }] });
      return doc;
    };
    const delta = (generation: number, base: number, baseServices: number, services: unknown[], weight = 1) => {
      const { ipvs: _ipvs, ...rest } = two(generation, weight);
      return { generation, revisionId: null, force: false, base, baseServices, state: { ...rest, ipvs: {} }, services };
    };
    // reference: the whole document, on its own agent
    const whole = await setup();
    await whole.connection.ready;
    await whole.panel.push(1, two(1));
    await whole.panel.push(2, two(2, 5));
    await eventually(() => whole.panel.reports.length === 2);

    const h = await setup();
    await h.connection.ready;
    await h.panel.push(1, two(1));
    await eventually(() => h.panel.reports.length === 1);
    const calls = h.kernel.calls.length;
    // refused, nothing touched: wrong base generation, wrong base size, a run outside the base, an invalid new entry, a duplicate
    expect(await h.panel.pushRaw(delta(2, 7, 2, [[0, 2]]))).toEqual({ accepted: false, error: expect.stringMatching(/relative to generation 7 with 2 services, but the agent holds generation 1 with 2 services: send the whole state$/) });
    expect((await h.panel.pushRaw(delta(2, 1, 3, [[0, 2]]))).error).toMatch(/send the whole state$/);
    expect((await h.panel.pushRaw(delta(2, 1, 2, [[1, 2]]))).error).toMatch(/^invalid desired state: \(delta\)\.services\[0\]: \[1,2\] is not a run/);
    expect((await h.panel.pushRaw(delta(2, 1, 2, [{ protocol: "tcp" }, [1, 1]]))).error).toMatch(/^invalid desired state: ipvs\.services\[0\]\.address/);
    expect((await h.panel.pushRaw(delta(2, 1, 2, [[0, 2], two(1).ipvs.services[1]]))).error).toMatch(/duplicate service tcp 192\.0\.2\.10:443/);
    expect((await h.panel.pushRaw({ ...delta(2, 1, 2, [[0, 2]]), extra: 1 })).error).toMatch(/^invalid push/);
    expect(h.kernel.calls.length).toBe(calls);
    expect(h.panel.reports).toHaveLength(1);
    // accepted: service 0 new (weight 5), service 1 copied
    expect(await h.panel.pushRaw(delta(2, 1, 2, [two(2, 5).ipvs.services[0], [1, 1]], 5))).toEqual({ accepted: true });
    const report = await eventually(() => h.panel.reports[1]);
    expect(commands(report)).toEqual(["ok ipvsadm -e -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 5"]);
    expect(report).toMatchObject({ generation: 2, converged: true, drift: [] });
    expect(h.kernel.services).toEqual(whole.kernel.services);
    expect(h.store.desired).toEqual(two(2, 5));
    expect(h.events).toContainEqual({ event: "panel-push", generation: 2, accepted: true, delta: true });
    // the next delta is relative to generation 2
    expect(await h.panel.pushRaw(delta(3, 1, 2, [[0, 2]]))).toMatchObject({ accepted: false });
    expect(await h.panel.pushRaw(delta(3, 2, 2, [[0, 2]], 5))).toEqual({ accepted: true });
    await eventually(() => h.panel.reports.length === 3);
    expect(h.panel.reports[2]).toMatchObject({ generation: 3, results: [], converged: true });
    expect(h.connection.appliedGeneration).toBe(3);
  });

  it("a state that does not fit the host: accepted, then a report with the error; the kernel and the applied generation stay", async () => {
    const h = await setup();
    await h.connection.ready;
    await h.panel.push(1, state(1));
    await eventually(() => h.panel.reports.length === 1);
    const calls = h.kernel.calls.length;
    expect(await h.panel.push(2, state(2, 1, "eth7"))).toEqual({ accepted: true });
    const report = await eventually(() => h.panel.reports[1]);
    expect(report).toMatchObject({ kind: "apply", generation: 2, converged: false, results: [] });
    expect(report.error).toMatch(/does not fit this host[\s\S]*eth7/);
    expect(h.kernel.calls.length).toBe(calls);
    expect(h.connection.appliedGeneration).toBe(1);
  });

  it("plan: the exact lines against the real kernel and ledger, nothing applied; refusals are ok:false", async () => {
    const h = await setup();
    await h.connection.ready;
    await h.panel.push(1, state(1));
    await eventually(() => h.panel.reports.length === 1);
    // a foreign service the agent does not own must show up as a conflict, not be adopted
    await h.kernel.ipvs.run("-A -t 198.51.100.9:443 -s wlc");
    const calls = h.kernel.calls.length;
    const reply = await h.panel.plan(state(2, 4));
    expect(reply).toEqual({ ok: true, warnings: [], ops: [{ kind: "ipvs-edit-dest", summary: expect.any(String), command: "ipvsadm -e -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 4" }] });
    expect(h.kernel.calls.length).toBe(calls);
    const foreign = await h.panel.plan({ ...state(2), ipvs: { services: [{ ...state(2).ipvs.services[0], address: "198.51.100.9", port: 443 }] }, addresses: [] });
    expect(foreign.ops.map((o) => o.kind)).toContain("ipvs-conflict");
    expect(await h.panel.plan(state(2, 1, "eth7"))).toMatchObject({ ok: false, ops: [], error: expect.stringMatching(/does not fit this host.*eth7/) });
    expect(await h.panel.plan({ schemaVersion: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid plan request/) });
    expect(h.kernel.calls.length).toBe(calls);
  });

  it("periodic check reports drift without repairing it; repair fixes it and reports kind repair", async () => {
    const h = await setup({ checkIntervalMs: 30 });
    await h.connection.ready;
    await h.panel.push(1, state(1));
    await eventually(() => h.panel.reports.some((r) => r.kind === "apply"));
    await eventually(() => h.panel.reports.some((r) => r.kind === "periodic" && r.converged));
    await h.kernel.ipvs.run("-d -t 192.0.2.10:80 -r 10.0.0.12:80");
    const drift = await eventually(() => h.panel.reports.find((r) => r.kind === "periodic" && !r.converged));
    expect(drift).toMatchObject({ generation: 1, results: [], drift: [{ kind: "ipvs-add-dest", command: "ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1" }] });
    // several more checks: still drifted, still not repaired
    const seen = h.panel.reports.length;
    await eventually(() => h.panel.reports.length >= seen + 3);
    expect(h.kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.address)).toEqual(["10.0.0.11"]);
    expect(h.panel.reports.some((r) => r.kind === "repair")).toBe(false);

    expect(await h.panel.repair()).toEqual({ accepted: true });
    const repair = await eventually(() => h.panel.reports.find((r) => r.kind === "repair"));
    expect(repair).toMatchObject({ generation: 1, converged: true, drift: [] });
    expect(commands(repair)).toEqual(["ok ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1"]);
    expect(h.kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.address)).toEqual(["10.0.0.11", "10.0.0.12"]);
    await eventually(() => h.panel.reports.at(-1)!.kind === "periodic" && h.panel.reports.at(-1)!.converged);
  });

  it("after drift was found, the next apply plans against the kernel as it is (it repairs too)", async () => {
    const h = await setup();
    await h.connection.ready;
    await h.panel.push(1, state(1));
    await eventually(() => h.panel.reports.length === 1);
    await h.kernel.ipvs.run("-d -t 192.0.2.10:80 -r 10.0.0.12:80");
    expect((await h.connection.checkDrift())!.drift).toHaveLength(1);
    await h.panel.push(2, state(2, 3));
    const report = await eventually(() => h.panel.reports.find((r) => r.kind === "apply" && r.generation === 2));
    expect(report.converged).toBe(true);
    expect(h.kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => `${d.address} w${d.weight}`)).toEqual(["10.0.0.11 w3", "10.0.0.12 w1"]);
  });

  it("repairDrift: the periodic check repairs what it found", async () => {
    const h = await setup({ repairDrift: true });
    await h.connection.ready;
    await h.panel.push(1, state(1));
    await eventually(() => h.panel.reports.length === 1);
    await h.kernel.ipvs.run("-d -t 192.0.2.10:80 -r 10.0.0.12:80");
    await h.connection.checkDrift();
    await h.connection.idle();
    await eventually(() => h.panel.reports.length === 3);
    expect(h.panel.reports.slice(1).map((r) => [r.kind, r.converged])).toEqual([
      ["periodic", false],
      ["repair", true],
    ]);
    expect(h.kernel.services.get("tcp 192.0.2.10:80")!.destinations).toHaveLength(2);
  });

  it("a drift check that cannot read the state reports the error, not a clean host", async () => {
    const h = await setup();
    await h.connection.ready;
    await h.panel.push(1, state(1));
    await eventually(() => h.panel.reports.length === 1);
    h.store.readLedger = () => {
      throw new Error("ownership ledger is damaged");
    };
    expect(await h.connection.checkDrift()).toMatchObject({ kind: "periodic", converged: false, drift: [], error: "drift check failed: ownership ledger is damaged" });
    await eventually(() => h.panel.reports.length === 2);
    expect(h.panel.reports[1]).toMatchObject({ kind: "periodic", converged: false, error: expect.stringMatching(/damaged/) });
  });

  it("repair without a desired state is refused", async () => {
    const h = await setup();
    await h.connection.ready;
    expect(await h.panel.repair()).toEqual({ accepted: false, error: "the agent has no desired state yet" });
  });

  it("an unreachable panel: logged with the cause, retried, the kernel untouched", async () => {
    const panel = await new FakePanel().start();
    await panel.close();
    const h = await setup({ panel });
    await eventually(() => h.events.filter((e) => e.event === "panel-unreachable").length >= 2);
    expect(h.events.find((e) => e.event === "panel-unreachable")).toMatchObject({ panel: panel.url, message: expect.stringMatching(/^websocket error: .*ECONNREFUSED/) });
    expect(h.kernel.calls).toEqual([]);
  });

  it("a refused credential: ready rejects, the client keeps retrying with backoff, nothing changes", async () => {
    const h = await setup({ credential: `lvsh_${"x".repeat(43)}` });
    await expect(h.connection.ready).rejects.toThrow(/the panel refused the connection: unauthorized/);
    await eventually(() => h.panel.refused.length >= 3);
    expect(h.events.filter((e) => e.event === "panel-refused").length).toBeGreaterThanOrEqual(2);
    expect(h.kernel.calls).toEqual([]);
  });

  it("the panel closing the connection or going away and coming back: reconnect, hello again with the applied generation; the kernel is untouched meanwhile", async () => {
    const h = await setup();
    await h.connection.ready;
    await h.panel.push(1, state(1));
    await eventually(() => h.panel.reports.length === 1);
    const calls = h.kernel.calls.length;
    // server-side disconnect (restart, replaced connection): socket.io would not reconnect by itself
    h.panel.socket!.disconnect(true);
    await eventually(() => h.panel.hellos.length === 2);
    expect(h.panel.hellos[1].appliedGeneration).toBe(1);
    // the panel goes away entirely, then comes back on the same port
    const port = Number(new URL(h.panel.url).port);
    await h.panel.close();
    await eventually(() => h.events.some((e) => e.event === "panel-disconnected"));
    await new Promise((r) => setTimeout(r, 200));
    expect(h.kernel.calls.length).toBe(calls);
    const again = await new FakePanel(port).start();
    cleanup.push(() => again.close());
    await eventually(() => again.hellos.length === 1, 10_000);
    expect(again.hellos[0].appliedGeneration).toBe(1);
    expect(h.kernel.calls.length).toBe(calls);
  });
});

describe("lvs-agent run with a credential (CLI wiring)", () => {
  it("connects with the stored credential, applies what the panel pushes, never repairs by itself; --desired stays standalone", async () => {
    const panel = await new FakePanel().start();
    cleanup.push(() => panel.close());
    const dir = mkdtempSync(path.join(tmpdir(), "lvs-run-"));
    writeFileSync(path.join(dir, "credential.json"), JSON.stringify({ panelUrl: panel.url, hostId: HOST_ID, credential: CREDENTIAL }), { mode: 0o600 });
    const kernel = new FakeKernel();
    let out = "";
    let stop!: (signal: string) => void;
    const running = main(["run", "--config-dir", dir, "--state-dir", path.join(dir, "state"), "--interval", "1"], {
      stdout: (t) => (out += t),
      stderr: (t) => (out += t),
      env: {},
      kernel,
      panel: { kernelInfo: KERNEL, checkIntervalMs: 0 },
      onSignal: (s) => (stop = s),
    });
    await eventually(() => panel.hellos.length === 1);
    expect(panel.hellos[0]).toMatchObject({ agentVersion: AGENT_VERSION, appliedGeneration: null, kernel: KERNEL });
    expect(await panel.push(1, state(1))).toEqual({ accepted: true });
    await eventually(() => panel.reports.length === 1);
    expect(kernel.serviceKeys()).toEqual(["tcp 192.0.2.10:80"]);
    await kernel.ipvs.run("-d -t 192.0.2.10:80 -r 10.0.0.12:80");
    await new Promise((r) => setTimeout(r, 1500)); // longer than --interval: standalone mode would have repaired it
    expect(kernel.services.get("tcp 192.0.2.10:80")!.destinations).toHaveLength(1);
    stop("SIGTERM");
    expect(await running).toBe(0);
    expect(out).not.toContain(CREDENTIAL);
    const events = out.trim().split("\n").map((l) => JSON.parse(l) as { event: string; source?: string });
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(["waiting", "ready", "panel-connected", "panel-hello", "panel-push", "reconcile", "panel-report", "stopping"]));
    expect(events.filter((e) => e.event === "reconcile").map((e) => e.source)).toEqual(["panel"]);

    // restarted with --desired: standalone, no connection even though a credential is there
    const file = path.join(dir, "desired.json");
    writeFileSync(file, JSON.stringify(state(5)));
    let out2 = "";
    const standalone = main(["run", "--config-dir", dir, "--state-dir", path.join(dir, "state"), "--desired", file], {
      stdout: (t) => (out2 += t),
      stderr: (t) => (out2 += t),
      env: {},
      kernel,
      onSignal: (s) => (stop = s),
    });
    await eventually(() => out2.includes('"ready"'));
    await new Promise((r) => setTimeout(r, 200));
    stop("SIGTERM");
    expect(await standalone).toBe(0);
    expect(out2).not.toContain("panel-");
    expect(panel.hellos).toHaveLength(1);
  });
});

describe("backoffDelay", () => {
  it("doubles from 0.5 s to at most 30 s, ± 50 % jitter", () => {
    const at = (attempt: number, r: number) => backoffDelay(attempt, undefined, () => r);
    expect([0, 1, 2, 3, 10].map((a) => at(a, 0.5))).toEqual([500, 1000, 2000, 4000, 30_000]);
    expect(at(0, 0)).toBe(250);
    expect(at(0, 1)).toBe(750);
    expect(at(100, 1)).toBe(45_000);
  });
});
