/**
 * The stats pipeline against a real database (SQLite and PostgreSQL): keys of
 * a director's frames map to the ids of its APPLIED deployment, rollups are
 * written once per minute in one transaction and read back by
 * stats.serviceHistory, retention prunes, /metrics needs an API token, and the
 * /live namespace authenticates with the session cookie and serves rooms.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "socket.io";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineGateway, registerAgentGateway, type AgentGateway } from "@/server/agent-gateway/registry";
import * as statsRepo from "@/server/repositories/stats";
import * as channel from "@/server/services/agent-channel";
import { SESSION_COOKIE } from "@/server/services/auth/secrets";
import { createTestDatabase, expectError, setupAdmin, testDatabaseKinds, userClient, type TestClient, type TestDatabase } from "@/server/testing/harness";
import type { StatsFrame } from "@/shared/agent-protocol";
import { LIVE_NAMESPACE, LiveEvents, type ClusterLiveFrame, type ServiceLiveFrame, type SubscribeAck } from "@/shared/live";
import { StatsIngestService } from "./ingest";
import { handleMetrics } from "./metrics";
import { registerStatsIngest } from "./registry";
import { startStatsRuntime, type StatsRuntime } from "./runtime";
import { databaseMappingSource } from "./source";

const MINUTE = 60_000;

describe.each(testDatabaseKinds())("stats pipeline (%s)", (kind) => {
  let t: TestDatabase;
  let admin: TestClient;
  const ids = { cluster: "", lb1: "", lb2: "", service: "", rs1: "", rs2: "", draftOnly: "" };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    admin = await setupAdmin(t.db);
    ids.cluster = (await admin.call((api) => api.clusters.create({ name: "web" }))).id;
    ids.lb1 = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "192.0.2.1" }))).id;
    ids.lb2 = (await admin.call((api) => api.hosts.create({ name: "lb2", managementAddress: "192.0.2.2" }))).id;
    for (const hostId of [ids.lb1, ids.lb2]) await admin.call((api) => api.directors.add({ clusterId: ids.cluster, hostId, priority: 100 }));
    const s = await admin.call((api) =>
      api.services.create({ clusterId: ids.cluster, protocol: "TCP", address: "192.0.2.10", port: 80, realServers: [{ address: "10.0.0.11" }, { address: "10.0.0.12" }] }),
    );
    ids.service = s.id;
    ids.rs1 = s.realServers.find((r) => r.address === "10.0.0.11")!.id;
    ids.rs2 = s.realServers.find((r) => r.address === "10.0.0.12")!.id;
    const review = await admin.call((api) => api.revisions.review({ clusterId: ids.cluster }));
    await admin.call((api) => api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: null, draftHash: review.draftHash }));
    // both directors report generation 1 applied
    for (const hostId of [ids.lb1, ids.lb2]) {
      await channel.recordReport(t.db, hostId, { kind: "apply", generation: 1, at: new Date().toISOString(), results: [], drift: [], converged: true, durationMs: 1 });
    }
    // a service only in the draft: not deployed, so not mapped
    ids.draftOnly = (await admin.call((api) => api.services.create({ clusterId: ids.cluster, protocol: "TCP", address: "192.0.2.11", port: 80, realServers: [] }))).id;
  });
  afterAll(async () => {
    registerStatsIngest(null);
    registerAgentGateway(null);
    await t?.destroy();
  });

  const frame = (at: number, conns: number, rate: number | null, active: number, full = true): StatsFrame => ({
    seq: 0,
    at,
    intervalMs: 1000,
    full,
    totals: null,
    services: [
      {
        k: "tcp 192.0.2.10:80",
        c: [conns, conns * 2, 0, conns * 100, 0],
        r: rate === null ? null : [rate, rate * 2, 0, rate * 100, 0],
        a: active,
        i: 1,
        d: [
          { k: "10.0.0.11:80", c: [conns, 0, 0, 0, 0], r: rate === null ? null : [rate, 0, 0, 0, 0], a: active, i: 1 },
          { k: "10.0.0.12:80", c: [0, 0, 0, 0, 0], r: rate === null ? null : [0, 0, 0, 0, 0], a: 0, i: 0 },
        ],
      },
      // a service the director runs that the panel does not know: ignored
      { k: "udp 198.51.100.9:53", c: [5, 5, 5, 5, 5], r: null, a: 0, i: 0, d: [] },
    ],
  });

  it("maps frames through the applied deployment, sums directors, writes each minute once, and charts it", async () => {
    const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
    let now = T0;
    const ingest = new StatsIngestService({
      mappings: databaseMappingSource(t.db),
      now: () => now,
      log: () => undefined,
      writeRollups: async (rows) => {
        await statsRepo.insertRollups(t.db, rows);
      },
    });
    registerStatsIngest(ingest);
    for (const hostId of [ids.lb1, ids.lb2]) {
      ingest.ingest(hostId, frame(T0 - 1000, 1000, null, 2));
      await ingest.refreshMapping(hostId);
    }
    expect(ingest.memory()).toMatchObject({ services: 1, realServers: 2, clusters: 1 });
    // minute T0: lb1 +60 connections in 60 frames, lb2 +120
    for (let s = 0; s < 60; s++) {
      now = T0 + s * 1000;
      ingest.ingest(ids.lb1, frame(now, 1000 + s + 1, 1, 3));
      ingest.ingest(ids.lb2, frame(now, 1000 + 2 * (s + 1), 2, 5));
    }
    expect(ingest.latest("service", ids.service)).toMatchObject({ rates: { conns: 3 }, active: 8 });
    now = T0 + MINUTE + 6000;
    expect(await ingest.flush()).toBe(3);
    // flushing again writes nothing; a second process writing the same minute is skipped, not an error
    expect(await ingest.flush()).toBe(0);
    const rows = await statsRepo.listRollups(t.db.client, ids.service, new Date(T0), new Date(T0 + MINUTE));
    const bySubject = Object.fromEntries(rows.map((r) => [r.subject, r]));
    expect(bySubject[""]).toMatchObject({ clusterId: ids.cluster, samples: 60, conns: 180, inbytes: 18_000, activeAvg: 8, activeMax: 8, inactAvg: 2 });
    expect(bySubject[ids.rs1]).toMatchObject({ conns: 180, activeAvg: 8 });
    expect(bySubject[ids.rs2]).toMatchObject({ conns: 0, activeAvg: 0 });
    expect(await statsRepo.insertRollups(t.db, rows.map((r) => ({ ...r, conns: 999 })))).toBe(0);

    // history through tRPC, as a viewer
    const viewer = await userClient(t.db, admin, "watcher", "viewer");
    const hour = await viewer.call((api) => api.stats.serviceHistory({ serviceId: ids.service, range: "1h" }));
    expect(hour.stepSeconds).toBe(60);
    const point = hour.service.find((p) => p.t === T0)!;
    expect(point.rates.conns).toBeCloseTo(3);
    expect(point.active).toBe(8);
    expect(hour.realServers.map((r) => r.label).sort()).toEqual(["10.0.0.11:80", "10.0.0.12:80"]);
    const week = await viewer.call((api) => api.stats.serviceHistory({ serviceId: ids.service, range: "7d" }));
    expect(week.stepSeconds).toBe(26 * 60);
    expect(week.service.length).toBeLessThanOrEqual(400);
    expect(week.service.length).toBe(1);
    const overview = await viewer.call((api) => api.stats.clusterOverview({ clusterId: ids.cluster }));
    expect(overview.services.map((s) => s.id).sort()).toEqual([ids.service, ids.draftOnly].sort());
    expect(overview.agents.map((a) => [a.name, a.role]).sort()).toEqual([
      ["lb1", "director"],
      ["lb2", "director"],
    ]);
    expect((await expectError(viewer.call((api) => api.stats.serviceHistory({ serviceId: "missing", range: "live" })))).code).toBe("NOT_FOUND");
    expect((await expectError(viewer.call((api) => api.stats.zeroCounters({ clusterId: ids.cluster })))).code).toBe("FORBIDDEN");
    registerStatsIngest(null);
  });

  it("retention: pruning deletes rollups older than the cut-off only", async () => {
    const old = new Date(Date.now() - 40 * 86_400_000);
    await statsRepo.insertRollups(t.db, [
      { clusterId: ids.cluster, virtualServiceId: ids.service, subject: "", bucket: old, samples: 60, conns: 1, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0, activeAvg: 0, activeMax: 0, inactAvg: 0 },
    ]);
    const before = await t.db.client.statsRollup.count();
    expect(await statsRepo.pruneRollups(t.db, new Date(Date.now() - 30 * 86_400_000))).toBe(1);
    expect(await t.db.client.statsRollup.count()).toBe(before - 1);
  });

  it("rollups in several chunks: every row written once, rows of unknown services skipped in any chunk", async () => {
    const bucket = new Date(Math.floor(Date.now() / MINUTE) * MINUTE - 20 * MINUTE);
    const row = (virtualServiceId: string, subject: string) => ({ clusterId: ids.cluster, virtualServiceId, subject, bucket, samples: 60, conns: 7, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0, activeAvg: 1, activeMax: 2, inactAvg: 0 });
    const rows = [row(ids.service, ""), row("deleted-service", ""), row(ids.service, ids.rs1), row(ids.service, ids.rs2), row("deleted-service", "x")];
    // 2 rows per chunk: 3 chunks, the deleted service's rows fall in the first and the last
    expect(await statsRepo.insertRollups(t.db, rows, 2)).toBe(3);
    expect(await statsRepo.insertRollups(t.db, rows, 2)).toBe(0);
    const stored = await statsRepo.listRollups(t.db.client, ids.service, bucket, new Date(bucket.getTime() + MINUTE));
    expect(stored.map((r) => r.subject).sort()).toEqual(["", ids.rs1, ids.rs2].sort());
    await t.db.client.statsRollup.deleteMany({ where: { bucket } });
  });

  it("zeroCounters asks every online director, writes one audit event, and fails whole when none could", async () => {
    const zeroed: [string, string | undefined][] = [];
    registerAgentGateway({
      ...offlineGateway,
      isOnline: (hostId: string) => hostId === ids.lb1,
      zeroCounters: async (hostId: string, service?: string) => {
        zeroed.push([hostId, service]);
        return { ok: true };
      },
    } as AgentGateway);
    const ops = await userClient(t.db, admin, "op-zero", "operator");
    const r = await ops.call((api) => api.stats.zeroCounters({ clusterId: ids.cluster, serviceId: ids.service }));
    expect(r).toEqual({ zeroed: ["lb1"], failed: [{ director: "lb2", error: "the agent is not connected" }] });
    expect(zeroed).toEqual([[ids.lb1, "tcp 192.0.2.10:80"]]);
    const [event] = (await admin.call((api) => api.audit.list({ limit: 1 }))).items;
    expect(event).toMatchObject({ action: "stats.zeroCounters", entityId: ids.service, clusterId: ids.cluster });
    expect(event.summary).toMatch(/ipvsadm -Z.*TCP 192\.0\.2\.10:80 on lb1; not on lb2/);
    registerAgentGateway({ ...offlineGateway, zeroCounters: async () => ({ ok: true }) } as AgentGateway);
    const count = await t.db.client.auditEvent.count();
    expect((await expectError(ops.call((api) => api.stats.zeroCounters({ clusterId: ids.cluster })))).code).toBe("CONFLICT");
    expect(await t.db.client.auditEvent.count()).toBe(count);
    registerAgentGateway(null);
  });

  describe("over HTTP and socket.io", () => {
    let http: HttpServer;
    let io: Server;
    let runtime: StatsRuntime;
    let url = "";
    const clients: ClientSocket[] = [];

    beforeAll(async () => {
      http = createServer((req, res) => {
        if (!handleMetrics(req, res, async () => t.db)) {
          res.writeHead(404);
          res.end();
        }
      });
      io = new Server(http, { path: "/socket.io", serveClient: false });
      runtime = await startStatsRuntime(io, { db: t.db, adapter: false, log: () => undefined });
      await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const c of clients) c.disconnect();
      await runtime?.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    });

    function browser(cookie: string | null): Promise<ClientSocket> {
      const socket = connectClient(`${url}${LIVE_NAMESPACE}`, {
        path: "/socket.io",
        transports: ["websocket"],
        reconnection: false,
        extraHeaders: cookie ? { cookie: `${SESSION_COOKIE}=${cookie}` } : {},
      });
      clients.push(socket);
      return new Promise((resolve, reject) => {
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", reject);
      });
    }

    it("/metrics: 401 without a valid API token, Prometheus text with one", async () => {
      expect((await fetch(`${url}/metrics`)).status).toBe(401);
      expect((await fetch(`${url}/metrics`, { headers: { authorization: "Bearer lvst_nope" } })).status).toBe(401);
      const { secret } = await admin.call((api) => api.tokens.create({ name: "prometheus", role: "viewer" }));
      const now = Date.now();
      runtime.ingest.ingest(ids.lb1, frame(now - 1000, 100, null, 4));
      await runtime.ingest.refreshMapping(ids.lb1);
      runtime.ingest.ingest(ids.lb1, frame(now, 110, 10, 4));
      const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      const text = await res.text();
      expect(text).toContain("# TYPE lvs_connections_total counter");
      expect(text).toContain('lvs_connections_total{cluster="web",service="TCP 192.0.2.10:80"} 110');
      expect(text).toContain('lvs_connections_total{cluster="web",service="TCP 192.0.2.10:80",real_server="10.0.0.11:80"} 110');
      expect(text).toContain('lvs_active_connections{cluster="web",service="TCP 192.0.2.10:80"} 4');
      expect(text).not.toContain("198.51.100.9");
    });

    it("/live refuses a connection without a valid session", async () => {
      await expect(browser(null)).rejects.toThrow(/unauthorized/);
      await expect(browser("not-a-session")).rejects.toThrow(/unauthorized/);
    });

    it("/live: subscribe validates and checks existence; a watched room gets cluster-stats and service-stats", async () => {
      const socket = await browser(admin.cookie);
      const subscribe = (payload: unknown) => socket.timeout(5000).emitWithAck(LiveEvents.subscribe, payload) as Promise<SubscribeAck>;
      expect((await subscribe({ scope: "galaxy" })).ok).toBe(false);
      expect(await subscribe({ scope: "cluster", clusterId: "missing" })).toEqual({ ok: false, error: "no such cluster" });
      expect(await subscribe({ scope: "service", serviceId: "missing" })).toEqual({ ok: false, error: "no such virtual service" });
      const clusterFrames: ClusterLiveFrame[] = [];
      const serviceFrames: ServiceLiveFrame[] = [];
      socket.on(LiveEvents.clusterStats, (f: ClusterLiveFrame) => clusterFrames.push(f));
      socket.on(LiveEvents.serviceStats, (f: ServiceLiveFrame) => serviceFrames.push(f));
      expect(await subscribe({ scope: "cluster", clusterId: ids.cluster })).toEqual({ ok: true });
      expect(await subscribe({ scope: "service", serviceId: ids.service })).toEqual({ ok: true });
      const at = Date.now() + 1000;
      runtime.ingest.ingest(ids.lb1, frame(at, 130, 20, 6));
      await until(() => clusterFrames.some((f) => f.at === at) && serviceFrames.some((f) => f.at === at));
      const c = clusterFrames.find((f) => f.at === at)!;
      expect(c.totals).toMatchObject({ rates: { conns: 20 }, active: 6 });
      expect(c.services.find((s) => s.id === ids.service)).toMatchObject({ rates: { conns: 20 } });
      expect(c.agents.find((a) => a.name === "lb1")).toMatchObject({ online: true, role: "director" });
      const s = serviceFrames.find((f) => f.at === at)!;
      expect(s.realServers.find((r) => r.id === ids.rs1)).toMatchObject({ rates: { conns: 20 }, active: 6 });
      // unsubscribed: no more service frames
      await socket.timeout(5000).emitWithAck(LiveEvents.unsubscribe, { scope: "service", serviceId: ids.service });
      const count = serviceFrames.length;
      runtime.ingest.ingest(ids.lb1, frame(at + 1000, 140, 10, 6));
      await until(() => clusterFrames.some((f) => f.at === at + 1000));
      expect(serviceFrames.length).toBe(count);
    });
  });
});

async function until(check: () => boolean, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}
