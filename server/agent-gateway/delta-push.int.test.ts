/**
 * Delta pushes between the real gateway and the real agent client (fake
 * kernel): the first push on a connection is whole, the next ones are deltas
 * against what the agent accepted; a delta the agent refuses (it does not hold
 * the base) is followed by the whole state, and the deployment still applies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as enrollRoute } from "@/app/api/agent/enroll/route";
import { Daemon } from "@/agent/src/daemon";
import { FakeKernel } from "@/agent/src/kernel/fake";
import { connectToPanel, type PanelConnection, type PanelEvent } from "@/agent/src/panel/client";
import { MemoryStore, Reconciler } from "@/agent/src/reconciler";
import type { KernelInfo } from "@/shared/agent-protocol";
import { eventually } from "@/server/testing/agent-client";
import { startTestGateway, type TestGateway } from "@/server/testing/gateway";
import { createTestDatabase, setupAdmin, testDatabaseKinds, type TestClient, type TestDatabase } from "@/server/testing/harness";

const kernelInfo: KernelInfo = { release: "6.1.0-test", ipvs: true, ipvsVersion: "1.2.1", schedulers: ["rr", "wlc"], interfaces: [{ name: "eth0", addresses: ["10.0.0.1/24"], up: true }], defaultGateways: [] };

describe.each(testDatabaseKinds())("delta pushes (%s)", (kind) => {
  let t: TestDatabase;
  let gw: TestGateway;
  let admin: TestClient;
  let clusterId = "";
  let hostId = "";
  const kernel = new FakeKernel();
  const store = new MemoryStore();
  const daemon = new Daemon(new Reconciler(kernel, store), { intervalMs: 3_600_000, periodic: false, log: () => undefined });
  const pushes: PanelEvent[] = [];
  let connection: PanelConnection | null = null;

  const hostStatus = async () => (await admin.call((api) => api.revisions.status({ clusterId }))).hosts.find((h) => h.id === hostId)!;
  async function applyDraft() {
    const review = await admin.call((api) => api.revisions.review({ clusterId }));
    await admin.call((api) => api.revisions.applyDraft({ clusterId, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash }));
  }
  async function setWeight(index: number, weight: number) {
    const services = (await admin.call((api) => api.services.list({ clusterId }))).items;
    const service = services.find((s) => s.port === 80 + index)!;
    await admin.call((api) => api.realServers.update({ id: service.realServers[0].id, weight }));
  }

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    gw = await startTestGateway(t.db);
    admin = await setupAdmin(t.db);
    hostId = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "10.0.0.1" }))).id;
    clusterId = (await admin.call((api) => api.clusters.create({ name: "web" }))).id;
    await admin.call((api) => api.directors.add({ clusterId, hostId, vipInterface: "eth0" }));
    for (let i = 0; i < 4; i++) {
      await admin.call((api) =>
        api.services.create({ clusterId, protocol: "TCP", address: "192.0.2.10", port: 80 + i, scheduler: "rr", realServers: [{ address: "10.0.0.11" }, { address: "10.0.0.12" }] }),
      );
    }
    await daemon.start();
    const { token } = await admin.call((api) => api.hosts.enroll({ hostId }));
    const res = await enrollRoute(new Request("http://panel.test/api/agent/enroll", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, hostname: "lb1" }) }));
    const { credential } = (await res.json()) as { credential: string };
    connection = connectToPanel({ panelUrl: gw.url, hostId, credential, daemon, reconciler: new Reconciler(kernel, store), hostname: "lb1", kernelInfo, checkIntervalMs: 0, log: (e) => e.event === "panel-push" && pushes.push(e) });
    await connection.ready;
  });

  afterAll(async () => {
    connection?.close();
    await daemon.stop("test");
    await gw?.close();
    await t?.destroy();
  });

  it("first push whole, the next a delta; the kernel and the stored state are the whole document's", async () => {
    await applyDraft();
    await eventually(async () => (await hostStatus()).status === "applied");
    expect(pushes).toEqual([{ event: "panel-push", generation: 1, accepted: true }]);
    await setWeight(2, 9);
    await applyDraft();
    await eventually(async () => (await hostStatus()).appliedGeneration === 2 && (await hostStatus()).status === "applied");
    expect(pushes[1]).toEqual({ event: "panel-push", generation: 2, accepted: true, delta: true });
    expect(kernel.services.get("tcp 192.0.2.10:82")!.destinations.map((d) => d.weight).sort()).toEqual([1, 9]);
    const { DesiredStateSchema } = await import("@/shared/desired-state/schema");
    // what the agent stored is a whole, valid document of generation 2 with all four services
    const stored = DesiredStateSchema.parse(store.desired);
    expect(stored.generation).toBe(2);
    expect(stored.ipvs.services.map((s) => ("port" in s ? s.port : 0))).toEqual([80, 81, 82, 83]);
  });

  it("an agent that no longer holds the base refuses the delta; the panel sends the whole state and it applies", async () => {
    // the agent's validator now holds another document (as after a restart from an older cache)
    const current = structuredClone(store.desired) as { generation: number; ipvs: { services: unknown[] } };
    expect(daemon.validator.validate({ ...current, generation: 99, ipvs: { ...current.ipvs, services: current.ipvs.services.slice(1) } }).ok).toBe(true);
    await setWeight(0, 4);
    await applyDraft();
    await eventually(async () => (await hostStatus()).appliedGeneration === 3 && (await hostStatus()).status === "applied");
    expect(pushes.slice(2)).toEqual([
      { event: "panel-push", generation: 3, accepted: false, error: expect.stringMatching(/relative to generation 2 with 4 services, but the agent holds generation 99 with 3 services: send the whole state/) },
      { event: "panel-push", generation: 3, accepted: true },
    ]);
    expect(kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.weight).sort()).toEqual([1, 4]);
    expect(kernel.services.size).toBe(4);
  });
});
