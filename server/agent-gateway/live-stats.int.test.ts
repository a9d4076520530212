/**
 * Live stats (#5) through the real gateway with the REAL agent client
 * (connectToPanel + Daemon + Reconciler + StatsCollector) on the fake kernel:
 * frames reach the stats ingest (full first, then deltas; only owned
 * services; rates never negative across ipvsadm -Z), an invalid frame is
 * refused, and the panel's "connections" and "zero" requests round-trip.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as enrollRoute } from "@/app/api/agent/enroll/route";
import { Daemon } from "@/agent/src/daemon";
import { FakeKernel } from "@/agent/src/kernel/fake";
import { connectToPanel, type PanelConnection } from "@/agent/src/panel/client";
import { MemoryStore, Reconciler } from "@/agent/src/reconciler";
import { ownedServices } from "@/agent/src/stats/panel";
import { StatsCollector } from "@/agent/src/stats/stream";
import { StatsFrameSchema, type KernelInfo, type StatsFrame } from "@/shared/agent-protocol";
import { getStatsIngest, registerStatsIngest, type StatsIngest } from "@/server/stats/registry";
import { eventually } from "@/server/testing/agent-client";
import { startTestGateway, type TestGateway } from "@/server/testing/gateway";
import { createTestDatabase, setupAdmin, testDatabaseKinds, type TestClient, type TestDatabase } from "@/server/testing/harness";

const kernelInfo: KernelInfo = {
  release: "6.1.0-test",
  ipvs: true,
  ipvsVersion: "1.2.1",
  schedulers: ["rr", "wlc"],
  interfaces: [{ name: "eth0", addresses: ["10.0.0.1/24"], up: true }],
  defaultGateways: [],
};
const WEB = "tcp 192.0.2.10:80";
const FOREIGN = "tcp 198.51.100.1:80";

describe.each(testDatabaseKinds())("live stats with the real agent client (%s)", (kind) => {
  let t: TestDatabase;
  let gw: TestGateway;
  let admin: TestClient;
  let hostId = "";
  let clusterId = "";
  const kernel = new FakeKernel();
  const reconciler = new Reconciler(kernel, new MemoryStore());
  const daemon = new Daemon(reconciler, { intervalMs: 3_600_000, log: () => undefined });
  const collector = new StatsCollector({ kernel: kernel.stats, intervalMs: 100, owned: ownedServices(reconciler.store, daemon) });
  let connection: PanelConnection | null = null;
  const frames: Array<{ hostId: string; frame: StatsFrame }> = [];
  const disconnected: string[] = [];
  const previousIngest = getStatsIngest();
  const recorder: StatsIngest = {
    ingest: (id, frame) => frames.push({ hostId: id, frame }),
    hostDisconnected: (id) => disconnected.push(id),
  };
  /** the newest frame that lists WEB */
  const lastWeb = () => frames.map((f) => f.frame.services.find((s) => s.k === WEB)).filter((s) => s !== undefined).at(-1);

  beforeAll(async () => {
    registerStatsIngest(recorder);
    t = await createTestDatabase(kind);
    gw = await startTestGateway(t.db);
    admin = await setupAdmin(t.db);
    hostId = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "10.0.0.1" }))).id;
    clusterId = (await admin.call((api) => api.clusters.create({ name: "web" }))).id;
    await admin.call((api) => api.directors.add({ clusterId, hostId, vipInterface: "eth0" }));
    await admin.call((api) =>
      api.services.create({ clusterId, protocol: "TCP", address: "192.0.2.10", port: 80, scheduler: "rr", realServers: [{ address: "10.0.0.11" }, { address: "10.0.0.12" }] }),
    );
    kernel.addForeignService("-A -t 198.51.100.1:80 -s rr", ["-a -t 198.51.100.1:80 -r 10.0.0.99:80 -g -w 1"]);
    await daemon.start();
    const { token } = await admin.call((api) => api.hosts.enroll({ hostId }));
    const res = await enrollRoute(
      new Request("http://panel.test/api/agent/enroll", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, hostname: "lb1" }) }),
    );
    const { credential } = (await res.json()) as { credential: string };
    connection = connectToPanel({ panelUrl: gw.url, hostId, credential, daemon, reconciler, hostname: "lb1", kernelInfo, checkIntervalMs: 0, stats: collector });
    await connection.ready;
    const review = await admin.call((api) => api.revisions.review({ clusterId }));
    await admin.call((api) => api.revisions.applyDraft({ clusterId, baseRevisionNumber: null, draftHash: review.draftHash }));
    await eventually(() => kernel.services.get(WEB)?.destinations.length === 2);
  });

  afterAll(async () => {
    connection?.close();
    await daemon.stop("test");
    await gw?.close();
    await t?.destroy();
    registerStatsIngest(previousIngest);
  });

  it("frames reach the ingest: the first one full, every one valid, only owned services, destinations keyed like the desired state", async () => {
    await eventually(() => lastWeb() !== undefined);
    expect(frames[0].hostId).toBe(hostId);
    expect(frames[0].frame).toMatchObject({ seq: 0, full: true, intervalMs: 100 });
    expect(frames.every((f) => StatsFrameSchema.safeParse(f.frame).success)).toBe(true);
    expect(frames.flatMap((f) => f.frame.services.map((s) => s.k))).not.toContain(FOREIGN);
    const full = frames.find((f) => f.frame.services.some((s) => s.k === WEB) && f.frame.full);
    // the service appeared with the apply: either in a full frame or as a new entry of a delta, with both destinations
    const web = full?.frame.services.find((s) => s.k === WEB) ?? lastWeb()!;
    expect(web.d.map((d) => d.k).sort()).toEqual(["10.0.0.11:80", "10.0.0.12:80"]);
  });

  it("traffic shows up as a delta with non-zero rates; idle frames carry nothing; seq counts up", async () => {
    kernel.traffic(WEB, "10.0.0.11:80", { conns: 3, inpkts: 18, inbytes: 1200, activeconns: 2 });
    const moving = await eventually(() => {
      const f = frames.find((x) => !x.frame.full && x.frame.services.some((s) => s.k === WEB && s.c[0] === 3));
      return f ?? null;
    });
    const web = moving.frame.services.find((s) => s.k === WEB)!;
    expect(web.r![0]).toBeGreaterThan(0);
    expect(web.a).toBe(2);
    expect(web.d.map((d) => d.k)).toEqual(["10.0.0.11:80"]);
    // once the rates are back to zero, frames list nothing
    await eventually(() => frames.length > 0 && !frames.at(-1)!.frame.full && frames.at(-1)!.frame.services.length === 0);
    const seqs = frames.map((f) => f.frame.seq);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it("an invalid frame is refused in the ack and never reaches the ingest", async () => {
    const before = frames.length;
    const ack = await connection!.socket.timeout(2000).emitWithAck("stats", { seq: -1, at: 0, full: true, services: [] });
    expect(ack).toMatchObject({ ok: false, error: expect.stringMatching(/invalid stats frame/) });
    expect(gw.logs.some((l) => /dropped an invalid stats frame from lb1/.test(l))).toBe(true);
    expect(frames.slice(before).every((f) => f.frame.seq >= 0)).toBe(true);
  });

  it("connections: the director's table of owned services, filtered and paginated; invalid requests get ok: false", async () => {
    kernel.connectionLines = [
      "TCP C6336407 C001 C000020A 0050 0A00000B 0050 ESTABLISHED     899",
      "TCP C6336407 C002 C000020A 0050 0A00000C 0050 FIN_WAIT        100",
      "TCP C6336408 C003 C000020A 0050 0A00000B 0050 ESTABLISHED     850",
      "TCP CB00710A D000 C6336401 0050 0A000063 0050 ESTABLISHED     800", // the foreign service's
    ];
    const all = await gw.gateway.connections(hostId, {});
    expect(all).toMatchObject({ ok: true, total: 3 });
    expect(all.rows[0]).toEqual({ protocol: "TCP", client: "198.51.100.7:49153", virtual: "192.0.2.10:80", destination: "10.0.0.11:80", state: "ESTABLISHED", expiresIn: 899 });
    expect(await gw.gateway.connections(hostId, { service: WEB, state: "ESTABLISHED", client: "198.51.100.7" })).toMatchObject({ ok: true, total: 1 });
    expect(await gw.gateway.connections(hostId, { destination: "10.0.0.11:80", offset: 1, limit: 1 })).toMatchObject({ ok: true, total: 2, rows: [{ client: "198.51.100.8:49155" }] });
    expect(await gw.gateway.connections(hostId, { service: FOREIGN })).toMatchObject({ ok: false, error: `${FOREIGN} is not a service this agent manages` });
    // the gateway refuses to send an invalid request; the agent refuses one that gets there anyway
    expect(await gw.gateway.connections(hostId, { limit: 0 })).toMatchObject({ ok: false, error: expect.stringMatching(/invalid connections request/) });
    const socket = [...gw.gateway.namespace.sockets.values()][0];
    expect(await socket.timeout(2000).emitWithAck("connections", { limit: 9999 })).toMatchObject({ ok: false, error: expect.stringMatching(/invalid connections request: limit/) });
    expect(await gw.gateway.connections("no-such-host", {})).toEqual({ ok: false, total: 0, rows: [], error: "the agent is not connected" });
  });

  it("zero: ipvsadm -Z of one owned service or all owned ones, never a foreign one; rates stay non-negative", async () => {
    kernel.traffic(FOREIGN, "10.0.0.99:80", { conns: 9 });
    kernel.calls = [];
    expect(await gw.gateway.zeroCounters(hostId, FOREIGN)).toEqual({ ok: false, error: `${FOREIGN} is not a service this agent manages` });
    expect(await gw.gateway.zeroCounters(hostId, WEB)).toEqual({ ok: true });
    expect(await gw.gateway.zeroCounters(hostId)).toEqual({ ok: true });
    expect(kernel.calls).toEqual(["ipvsadm -Z -t 192.0.2.10:80", "ipvsadm -Z -t 192.0.2.10:80"]);
    expect(kernel.counters.get(WEB)!.conns).toBe(0);
    expect(kernel.counters.get(FOREIGN)!.conns).toBe(9);
    const socket = [...gw.gateway.namespace.sockets.values()][0];
    expect(await socket.timeout(2000).emitWithAck("zero", { service: 5 })).toMatchObject({ ok: false, error: expect.stringMatching(/invalid zero request/) });
    // the frames after the reset carry the zeroed counters, and no rate ever went negative
    await eventually(() => lastWeb()?.c[0] === 0);
    for (const { frame } of frames) for (const s of frame.services) for (const e of [s, ...s.d]) expect(e.r?.every((n) => n >= 0) ?? true).toBe(true);
  });

  it("a disconnect tells the ingest; a reconnect starts again with a full frame at seq 0", async () => {
    const count = frames.length;
    connection!.socket.disconnect();
    await eventually(() => disconnected.includes(hostId));
    connection!.socket.connect();
    const again = await eventually(() => frames.slice(count).find((f) => f.frame.seq === 0) ?? null);
    expect(again.frame.full).toBe(true);
  });
});
