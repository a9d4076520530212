/**
 * Health checks, drains and health reports through the panel (issue #6), both
 * databases: tRPC procedures + the real agent gateway on a loopback port + the
 * agent's real panel client, Daemon and Reconciler on the fake kernel
 * (server/testing/agent-client.ts). Health reports are injected on the
 * agent's own socket (the services under test have no check, so the agent
 * itself sends none about them — no network traffic leaves the test).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as enrollRoute } from "@/app/api/agent/enroll/route";
import { registerLiveHub } from "@/server/live/hub";
import { databaseSnapshot } from "@/server/repositories/snapshot";
import { connectTestAgent, eventually, type TestAgent } from "@/server/testing/agent-client";
import { startTestGateway, type TestGateway } from "@/server/testing/gateway";
import { createTestDatabase, expectError, setupAdmin, testDatabaseKinds, userClient, type TestClient, type TestDatabase } from "@/server/testing/harness";
import type { HealthReport } from "@/shared/agent-protocol";
import type { HealthLiveFrame } from "@/shared/live";
import { getHealthStore } from "./store";

describe.each(testDatabaseKinds())("health checks, drains and health reports (%s)", (kind) => {
  let t: TestDatabase;
  let gw: TestGateway;
  let admin: TestClient;
  let operator: TestClient;
  let viewer: TestClient;
  let lb1: TestAgent;
  const ids = { cluster: "", service: "", rs1: "", rs2: "", lb1: "", other: "" };
  const frames: { room: string; event: string; payload: unknown }[] = [];

  async function applyDraft(client: TestClient = operator) {
    const review = await client.call((api) => api.revisions.review({ clusterId: ids.cluster }));
    return client.call((api) => api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash }));
  }
  /** every write the agent's apply causes has landed (snapshot comparisons must not race a report) */
  async function settled() {
    await lb1.idle();
    await eventually(async () => {
      const s = await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }));
      return s.hosts.every((h) => h.status === "applied") && s.settled;
    });
  }
  const weights = () => lb1.kernel.services.get("tcp 192.0.2.10:80")?.destinations.map((d) => `${d.key} w${d.weight}`);

  beforeAll(async () => {
    getHealthStore().clear();
    registerLiveHub({
      emitToCluster: (id, event, payload) => frames.push({ room: `cluster:${id}`, event, payload }),
      emitToService: (id, event, payload) => frames.push({ room: `service:${id}`, event, payload }),
    });
    t = await createTestDatabase(kind);
    gw = await startTestGateway(t.db);
    admin = await setupAdmin(t.db);
    operator = await userClient(t.db, admin, "olga", "operator");
    viewer = await userClient(t.db, admin, "vic", "viewer");
    ids.lb1 = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "10.0.0.1" }))).id;
    ids.cluster = (await operator.call((api) => api.clusters.create({ name: "web" }))).id;
    await operator.call((api) => api.directors.add({ clusterId: ids.cluster, hostId: ids.lb1, vipInterface: "eth0" }));
    const service = await operator.call((api) =>
      api.services.create({ clusterId: ids.cluster, protocol: "TCP", address: "192.0.2.10", port: 80, scheduler: "wlc", persistenceTimeout: 300, realServers: [{ address: "10.0.0.11", weight: 3 }, { address: "10.0.0.12", weight: 2 }] }),
    );
    ids.service = service.id;
    ids.rs1 = service.realServers.find((r) => r.address === "10.0.0.11")!.id;
    ids.rs2 = service.realServers.find((r) => r.address === "10.0.0.12")!.id;
    // a service of another cluster, never applied: where the role rules are tried
    const other = await operator.call((api) => api.clusters.create({ name: "scratch" }));
    ids.other = (await operator.call((api) => api.services.create({ clusterId: other.id, protocol: "TCP", address: "192.0.2.50", port: 80 }))).id;

    const { token } = await admin.call((api) => api.hosts.enroll({ hostId: ids.lb1 }));
    const res = await enrollRoute(
      new Request("http://panel.test/api/agent/enroll", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, hostname: "lb1" }) }),
    );
    const { credential } = (await res.json()) as { credential: string };
    lb1 = await connectTestAgent({ panelUrl: gw.url, hostId: ids.lb1, credential, hostname: "lb1" });
    await applyDraft();
    await eventually(() => weights()?.join(",") === "10.0.0.11:80 w3,10.0.0.12:80 w2");
    await settled();
  });

  afterAll(async () => {
    lb1?.close();
    registerLiveHub(null);
    await gw?.close();
    await t?.destroy();
  });

  describe("exec checks are admin-only", () => {
    const exec = { type: "exec" as const, command: "/usr/local/bin/check-app", args: ["--fast"] };

    it("an operator cannot create or change one: FORBIDDEN, nothing stored", async () => {
      const before = await databaseSnapshot(t.db);
      const e1 = await expectError(operator.call((api) => api.services.update({ id: ids.other, healthCheck: exec })));
      expect(e1.code).toBe("FORBIDDEN");
      expect(e1.message).toMatch(/Only admins may define or change an exec health check/);
      const e2 = await expectError(
        operator.call((api) => api.services.create({ clusterId: ids.cluster, protocol: "TCP", address: "192.0.2.11", port: 80, healthCheck: exec })),
      );
      expect(e2.code).toBe("FORBIDDEN");
      expect(await databaseSnapshot(t.db)).toBe(before);
    });

    it("an admin can; then an operator may edit other fields, may not change the command, may replace it", async () => {
      const s = await admin.call((api) => api.services.update({ id: ids.other, healthCheck: exec }));
      expect(s.healthCheck).toMatchObject({ type: "exec", command: "/usr/local/bin/check-app", args: ["--fast"], intervalMs: 300, timeoutMs: 500 });
      const edited = await operator.call((api) => api.services.update({ id: ids.other, description: "still checked" }));
      expect(edited.healthCheck).toMatchObject({ type: "exec" });
      // the same check sent back unchanged (what the dialog does) is no change
      await operator.call((api) => api.services.update({ id: ids.other, healthCheck: exec, description: "again" }));
      expect((await expectError(operator.call((api) => api.services.update({ id: ids.other, healthCheck: { ...exec, args: ["--slow"] } })))).code).toBe("FORBIDDEN");
      const replaced = await operator.call((api) => api.services.update({ id: ids.other, healthCheck: { type: "tcp" } }));
      expect(replaced.healthCheck).toEqual({ type: "tcp", intervalMs: 300, timeoutMs: 500, rise: 2, fall: 2, port: null });
      const events = await admin.call((api) => api.audit.list({ entityType: "virtualService", limit: 1 }));
      expect(events.items[0].summary).toMatch(/health check exec → tcp/);
    });

    it("a bad check definition is BAD_REQUEST on the field and stores nothing", async () => {
      const before = await databaseSnapshot(t.db);
      const e = await expectError(operator.call((api) => api.services.update({ id: ids.other, healthCheck: { type: "http", path: "health", intervalMs: 300, fall: 1, timeoutMs: 500 } })));
      expect(e.code).toBe("BAD_REQUEST");
      expect(e.fieldErrors?.["healthCheck.path"]?.[0]).toMatch(/starts with \//);
      const e2 = await expectError(operator.call((api) => api.services.update({ id: ids.other, healthCheck: { type: "tcp", intervalMs: 300, fall: 1, timeoutMs: 500 } })));
      expect(e2.fieldErrors?.["healthCheck.timeoutMs"]?.[0]).toMatch(/interval × fall/);
      expect(await databaseSnapshot(t.db)).toBe(before);
    });
  });

  describe("drain", () => {
    it("a viewer cannot drain; a real server not applied yet cannot be drained", async () => {
      expect((await expectError(viewer.call((api) => api.drains.start({ realServerId: ids.rs1 })))).code).toBe("FORBIDDEN");
      const fresh = await operator.call((api) => api.realServers.create({ virtualServiceId: ids.service, address: "10.0.0.13" }));
      const e = await expectError(operator.call((api) => api.drains.start({ realServerId: fresh.id })));
      expect(e.code).toBe("CONFLICT");
      expect(e.message).toMatch(/not in the applied revision #1/);
      await operator.call((api) => api.realServers.delete({ id: fresh.id }));
    });

    it("drain publishes weight 0 to the director as a new generation without a revision; persistence gets expire_quiescent_template", async () => {
      const revisionsBefore = (await viewer.call((api) => api.revisions.list({ clusterId: ids.cluster }))).length;
      const generationBefore = (await t.db.client.host.findUniqueOrThrow({ where: { id: ids.lb1 } })).desiredGeneration;
      const r = await operator.call((api) => api.drains.start({ realServerId: ids.rs1, timeoutSeconds: 60 }));
      expect(r.publishedTo).toEqual(["lb1"]);
      expect(r.drain).toMatchObject({ timeoutSeconds: 60, startedByName: "olga" });
      await eventually(() => weights()?.join(",") === "10.0.0.11:80 w0,10.0.0.12:80 w2");
      expect(lb1.kernel.sysctlValues.get("net.ipv4.vs.expire_quiescent_template")).toBe("1");
      expect((await viewer.call((api) => api.revisions.list({ clusterId: ids.cluster }))).length).toBe(revisionsBefore);
      expect((await t.db.client.host.findUniqueOrThrow({ where: { id: ids.lb1 } })).desiredGeneration).toBe(generationBefore + 1);
      // the row shows the drain; the draft is unchanged (weight stays 3 in the model, nothing to apply)
      const svc = await viewer.call((api) => api.services.get({ id: ids.service }));
      expect(svc.realServers.find((x) => x.id === ids.rs1)).toMatchObject({ weight: 3, drain: { timeoutSeconds: 60 } });
      expect((await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }))).draftChanged).toBe(false);
      const review = await viewer.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      expect(review.hosts.find((h) => h.name === "lb1")!.changed).toBe(false);
      expect((await expectError(operator.call((api) => api.drains.start({ realServerId: ids.rs1 })))).message).toMatch(/already draining/);
    });

    it("an apply while draining keeps the drained server at weight 0", async () => {
      await operator.call((api) => api.realServers.update({ id: ids.rs2, weight: 4 }));
      await applyDraft();
      await eventually(() => weights()?.join(",") === "10.0.0.11:80 w0,10.0.0.12:80 w4");
    });

    it("restore publishes the applied weight again, audited", async () => {
      const r = await operator.call((api) => api.drains.restore({ realServerId: ids.rs1 }));
      expect(r.drain).toBeNull();
      await eventually(() => weights()?.join(",") === "10.0.0.11:80 w3,10.0.0.12:80 w4");
      const actions = (await admin.call((api) => api.audit.list({ entityType: "realServer", limit: 5 }))).items.map((e) => e.action);
      expect(actions[0]).toBe("drain.restore");
      expect(actions).toContain("drain.start");
      expect((await expectError(operator.call((api) => api.drains.restore({ realServerId: ids.rs1 })))).message).toMatch(/not draining/);
    });
  });

  describe("health reports", () => {
    const report = (status: "up" | "down", extra: Partial<HealthReport["entries"][number]> = {}, full = false): HealthReport => ({
      at: new Date().toISOString(),
      full,
      entries: [
        {
          service: "tcp 192.0.2.10:80",
          destination: "10.0.0.11:80",
          status,
          since: new Date().toISOString(),
          lastCheckAt: new Date().toISOString(),
          lastOk: status === "up",
          latencyMs: status === "up" ? 1.5 : null,
          reason: status === "up" ? "HTTP 200" : "connect ECONNREFUSED",
          action: status === "up" ? "none" : "quiesced",
          ...extra,
        },
        // a destination the director's deployment does not have: skipped
        { service: "tcp 192.0.2.10:80", destination: "10.9.9.9:80", status, since: new Date().toISOString(), lastCheckAt: null, lastOk: null, latencyMs: null, reason: "", action: "none" },
      ],
      sorryActive: [],
    });
    const events = () => t.db.client.healthEvent.count({ where: { realServerId: ids.rs1 } });

    it("a transition writes one HealthEvent; the same status again writes none; the live room gets a frame", async () => {
      await lb1.idle();
      lb1.emitRaw("health", report("up"));
      await eventually(async () => (await events()) === 1);
      lb1.emitRaw("health", report("up", { latencyMs: 2.5 }));
      lb1.emitRaw("health", report("down"));
      await eventually(async () => (await events()) === 2);
      lb1.emitRaw("health", report("down", { reason: "connect ETIMEDOUT" }));
      const current = await eventually(async () => {
        const h = await viewer.call((api) => api.health.cluster({ clusterId: ids.cluster }));
        const e = h.entries.find((x) => x.realServerId === ids.rs1);
        return e?.reason === "connect ETIMEDOUT" ? h : null;
      });
      expect(await events()).toBe(2);
      expect(current.entries.find((x) => x.realServerId === ids.rs1)).toMatchObject({ status: "down", hostName: "lb1", action: "quiesced", virtualServiceId: ids.service });
      expect(current.entries.some((x) => x.realServerId === "10.9.9.9")).toBe(false);
      const healthFrames = frames.filter((f) => f.event === "health" && f.room === `cluster:${ids.cluster}`).map((f) => f.payload as HealthLiveFrame);
      expect(healthFrames.some((f) => f.entries.some((e) => e.realServerId === ids.rs1 && e.status === "down"))).toBe(true);
      expect(frames.some((f) => f.event === "health" && f.room === `service:${ids.service}`)).toBe(true);

      const timeline = await viewer.call((api) => api.health.timeline({ realServerId: ids.rs1, range: "1h" }));
      expect(timeline.events.map((e) => [e.status, e.reason, e.hostName])).toEqual([
        ["down", "connect ECONNREFUSED", "lb1"],
        ["up", "HTTP 200", "lb1"],
      ]);
    });

    it("an invalid report is dropped with a log line and stores nothing", async () => {
      const before = await events();
      lb1.emitRaw("health", { at: "yesterday", full: false, entries: [{ service: "tcp 192.0.2.10:80" }] });
      await eventually(() => gw.logs.some((l) => l.includes("dropped an invalid health report from lb1")));
      expect(await events()).toBe(before);
    });

    it("after a panel restart (memory lost) the first report is compared with the stored history", async () => {
      getHealthStore().clear();
      lb1.emitRaw("health", report("down", {}, true));
      await eventually(async () => (await viewer.call((api) => api.health.cluster({ clusterId: ids.cluster }))).entries.length > 0);
      expect(await events()).toBe(2);
      lb1.emitRaw("health", report("up"));
      await eventually(async () => (await events()) === 3);
    });

    it("timeline of an unknown real server is NOT_FOUND; health of an unknown cluster is NOT_FOUND", async () => {
      expect((await expectError(viewer.call((api) => api.health.timeline({ realServerId: "missing" })))).code).toBe("NOT_FOUND");
      expect((await expectError(viewer.call((api) => api.health.cluster({ clusterId: "missing" })))).code).toBe("NOT_FOUND");
    });
  });

  describe("remove a drained real server", () => {
    it("deletes it from the draft only: the kernel keeps weight 0 until apply removes it", async () => {
      await operator.call((api) => api.drains.start({ realServerId: ids.rs2 }));
      await eventually(() => weights()?.join(",") === "10.0.0.11:80 w3,10.0.0.12:80 w0");
      const r = await operator.call((api) => api.drains.remove({ realServerId: ids.rs2 }));
      expect(r.clusterId).toBe(ids.cluster);
      const svc = await viewer.call((api) => api.services.get({ id: ids.service }));
      expect(svc.realServers.map((x) => x.address)).toEqual(["10.0.0.11"]);
      expect(weights()?.join(",")).toBe("10.0.0.11:80 w3,10.0.0.12:80 w0");

      // Another drain published before the apply must not give the removed server its weight back.
      await operator.call((api) => api.drains.start({ realServerId: ids.rs1 }));
      await eventually(() => weights()?.join(",") === "10.0.0.11:80 w0,10.0.0.12:80 w0");
      await operator.call((api) => api.drains.restore({ realServerId: ids.rs1 }));
      await eventually(() => weights()?.join(",") === "10.0.0.11:80 w3,10.0.0.12:80 w0");
      await settled();

      await applyDraft();
      await eventually(() => weights()?.join(",") === "10.0.0.11:80 w3");
      // the apply that removed the server ended its drain
      const drains = JSON.parse(await databaseSnapshot(t.db)).drains as { realServerId: string }[];
      expect(drains.map((d) => d.realServerId)).toEqual([]);
    });
  });
});
