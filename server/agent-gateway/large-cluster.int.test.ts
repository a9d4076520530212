/**
 * A cluster whose messages exceed socket.io's 1 MB default (3,000 services ×
 * 2 real servers: the plan reply and the apply report carry ~9,000 op lines)
 * still reviews and applies over the channel.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKernel } from "@/agent/src/kernel/fake";
import { transaction } from "@/server/repositories/db";
import { createServicesBulk } from "@/server/repositories/services";
import { realServerData, serviceData } from "@/server/services/virtual-services";
import { exchangeEnrollmentToken } from "@/server/services/agents";
import { connectTestAgent, eventually, type TestAgent } from "@/server/testing/agent-client";
import { startTestGateway, type TestGateway } from "@/server/testing/gateway";
import { createTestDatabase, setupAdmin, testDatabaseKinds, type TestClient, type TestDatabase } from "@/server/testing/harness";
import { virtualServiceFieldsSchema } from "@/shared/cluster";

const SERVICES = 3000;

describe.each(testDatabaseKinds())("a large cluster over the channel (%s)", (kind) => {
  let t: TestDatabase;
  let gw: TestGateway;
  let admin: TestClient;
  let agent: TestAgent;
  let clusterId = "";

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    gw = await startTestGateway(t.db);
    admin = await setupAdmin(t.db);
    const hostId = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "10.0.0.1" }))).id;
    clusterId = (await admin.call((api) => api.clusters.create({ name: "big" }))).id;
    await admin.call((api) => api.directors.add({ clusterId, hostId }));
    const services = Array.from({ length: SERVICES }, (_, i) => {
      const fields = virtualServiceFieldsSchema.parse({ protocol: "TCP", address: `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`, port: 80, scheduler: "wlc" });
      const rs = (address: string) => realServerData(fields, { hostId: null, address, port: null, forwarding: "DR", weight: 1, upperThreshold: 0, lowerThreshold: 0, enabled: true });
      return { data: serviceData(fields), realServers: [rs(`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`), rs(`10.2.${Math.floor(i / 250)}.${(i % 250) + 1}`)] };
    });
    await transaction(t.db, (tx) => createServicesBulk(tx, clusterId, services));
    const { token } = await admin.call((api) => api.hosts.enroll({ hostId }));
    const { credential } = await exchangeEnrollmentToken(t.db, token, "lb1", "127.0.0.1");
    agent = await connectTestAgent({ panelUrl: gw.url, hostId, credential, kernel: new FakeKernel() });
  }, 180_000);

  afterAll(async () => {
    agent?.close();
    await gw?.close();
    await t?.destroy();
  });

  it("reviews (plan reply > 1 MB) and applies (report > 1 MB)", async () => {
    const review = await admin.call((api) => api.revisions.review({ clusterId }));
    const plan = review.hosts[0].plan;
    expect(plan.status).toBe("ok");
    expect(plan.ops.length).toBeGreaterThanOrEqual(SERVICES * 3);
    expect(JSON.stringify(plan).length).toBeGreaterThan(1024 * 1024);
    await admin.call((api) => api.revisions.applyDraft({ clusterId, baseRevisionNumber: null, draftHash: review.draftHash }));
    await eventually(async () => (await admin.call((api) => api.revisions.status({ clusterId }))).hosts[0].status === "applied", 60_000);
    expect(agent.kernel.services.size).toBe(SERVICES);
    expect(JSON.stringify(agent.reports.at(-1)).length).toBeGreaterThan(1024 * 1024);
  }, 120_000);
});
