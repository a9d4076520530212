/**
 * The panel with the REAL agent panel client (agent/src/panel/: connectToPanel
 * + Daemon + Reconciler) on the fake kernel: enroll over HTTP → connect →
 * apply → applied → out-of-band change → drift → repair → clean; a revoked
 * credential is refused. Complements agent-loop.int.test.ts (which uses the
 * minimal protocol agent in server/testing/ for the wider scenario matrix).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as enrollRoute } from "@/app/api/agent/enroll/route";
import { Daemon } from "@/agent/src/daemon";
import { FakeKernel } from "@/agent/src/kernel/fake";
import { connectToPanel, type PanelConnection } from "@/agent/src/panel/client";
import { MemoryStore, Reconciler } from "@/agent/src/reconciler";
import type { KernelInfo } from "@/shared/agent-protocol";
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

describe.each(testDatabaseKinds())("panel with the real agent client (%s)", (kind) => {
  let t: TestDatabase;
  let gw: TestGateway;
  let admin: TestClient;
  let clusterId = "";
  let hostId = "";
  let credential = "";
  const kernel = new FakeKernel();
  const reconciler = new Reconciler(kernel, new MemoryStore());
  const daemon = new Daemon(reconciler, { intervalMs: 3_600_000, log: () => undefined });
  let connection: PanelConnection | null = null;

  async function hostStatus() {
    const s = await admin.call((api) => api.revisions.status({ clusterId }));
    return s.hosts.find((h) => h.id === hostId)!;
  }

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    gw = await startTestGateway(t.db);
    admin = await setupAdmin(t.db);
    hostId = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "10.0.0.1" }))).id;
    clusterId = (await admin.call((api) => api.clusters.create({ name: "web" }))).id;
    await admin.call((api) => api.directors.add({ clusterId, hostId, vipInterface: "eth0" }));
    await admin.call((api) =>
      api.services.create({ clusterId, protocol: "TCP", address: "192.0.2.10", port: 80, scheduler: "rr", realServers: [{ address: "10.0.0.11" }, { address: "10.0.0.12" }] }),
    );
    await daemon.start();
  });

  afterAll(async () => {
    connection?.close();
    await daemon.stop("test");
    await gw?.close();
    await t?.destroy();
  });

  it("enrolls over HTTP and connects", async () => {
    const { token } = await admin.call((api) => api.hosts.enroll({ hostId }));
    const res = await enrollRoute(
      new Request("http://panel.test/api/agent/enroll", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, hostname: "lb1" }) }),
    );
    expect(res.status).toBe(200);
    credential = ((await res.json()) as { credential: string }).credential;
    connection = connectToPanel({ panelUrl: gw.url, hostId, credential, daemon, reconciler, hostname: "lb1", kernelInfo, checkIntervalMs: 0 });
    expect(await connection.ready).toMatchObject({ ok: true, hostName: "lb1" });
    expect((await admin.call((api) => api.hosts.get({ id: hostId }))).agent).toMatchObject({ online: true, version: expect.any(String), ipvs: true, ipvsVersion: "1.2.1" });
  });

  it("review shows the agent's plan; apply reaches the kernel and reports applied", async () => {
    const review = await admin.call((api) => api.revisions.review({ clusterId }));
    const plan = review.hosts.find((h) => h.hostId === hostId)!.plan;
    expect(plan.status).toBe("ok");
    expect(plan.ops.map((o) => o.command)).toContain("ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1");
    await admin.call((api) => api.revisions.applyDraft({ clusterId, baseRevisionNumber: null, draftHash: review.draftHash }));
    await eventually(async () => (await hostStatus()).status === "applied");
    expect(kernel.services.get("tcp 192.0.2.10:80")?.destinations.map((d) => d.address)).toEqual(["10.0.0.11", "10.0.0.12"]);
    expect((await hostStatus()).appliedGeneration).toBe(1);
  });

  it("a weight change applies, and rolling back to revision 1 restores the kernel", async () => {
    const service = (await admin.call((api) => api.services.list({ clusterId }))).items[0];
    await admin.call((api) => api.realServers.update({ id: service.realServers[0].id, weight: 7 }));
    let review = await admin.call((api) => api.revisions.review({ clusterId }));
    expect(review.hosts[0].plan.ops.map((o) => o.command)).toEqual([`ipvsadm -e -t 192.0.2.10:80 -r ${service.realServers[0].address}:80 -g -w 7`]);
    await admin.call((api) => api.revisions.applyDraft({ clusterId, baseRevisionNumber: 1, draftHash: review.draftHash }));
    await eventually(async () => (await hostStatus()).appliedGeneration === 2);
    expect(kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.weight).sort()).toEqual([1, 7]);
    await admin.call((api) => api.revisions.rollback({ clusterId, toNumber: 1, baseRevisionNumber: 2 }));
    await eventually(async () => (await hostStatus()).appliedGeneration === 3 && (await hostStatus()).status === "applied");
    expect(kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.weight)).toEqual([1, 1]);
    review = await admin.call((api) => api.revisions.review({ clusterId }));
    expect(review.modelDiff).toEqual([]);
  });

  it("a host's credential cannot get another host's state", async () => {
    const otherId = (await admin.call((api) => api.hosts.create({ name: "lb2", managementAddress: "10.0.0.2" }))).id;
    const other = connectToPanel({ panelUrl: gw.url, hostId: otherId, credential, daemon, reconciler, kernelInfo, checkIntervalMs: 0 });
    try {
      await expect(other.ready).rejects.toThrow(/unauthorized/);
    } finally {
      other.close();
    }
  });

  it("an out-of-band ipvsadm -d shows as drift; repair makes it clean", async () => {
    await kernel.ipvs.run("-d -t 192.0.2.10:80 -r 10.0.0.11:80");
    await connection!.checkDrift();
    const drifted = await eventually(async () => {
      const h = await hostStatus();
      return h.driftCount > 0 ? h : null;
    });
    expect(drifted.drift.map((d) => d.command)).toEqual(["ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1"]);
    expect((await admin.call((api) => api.agents.repair({ hostId }))).accepted).toBe(true);
    await eventually(async () => (await hostStatus()).driftCount === 0);
    expect(kernel.services.get("tcp 192.0.2.10:80")?.destinations.map((d) => d.address).sort()).toEqual(["10.0.0.11", "10.0.0.12"]);
  });

  it("a revoked credential is disconnected and refused", async () => {
    await admin.call((api) => api.hosts.revokeAgent({ hostId }));
    await eventually(() => !connection!.socket.connected);
    connection!.close();
    const again = connectToPanel({ panelUrl: gw.url, hostId, credential, daemon, reconciler, kernelInfo, checkIntervalMs: 0 });
    try {
      await expect(again.ready).rejects.toThrow(/unauthorized/);
    } finally {
      again.close();
    }
    // the kernel keeps what was applied
    expect(kernel.services.get("tcp 192.0.2.10:80")?.destinations).toHaveLength(2);
  });
});
