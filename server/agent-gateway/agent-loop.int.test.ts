/**
 * The panel ↔ agent loop end to end, in process: tRPC procedures + the real
 * gateway (socket.io on a loopback port) + protocol-speaking agents driving
 * the agent's real Reconciler against the fake kernel. Both databases.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as enrollRoute } from "@/app/api/agent/enroll/route";
import { GET as installRoute } from "@/app/api/agent/install.sh/route";
import { FakeKernel } from "@/agent/src/kernel/fake";
import { connectTestAgent, eventually, TestAgent } from "@/server/testing/agent-client";
import { startTestGateway, type TestGateway } from "@/server/testing/gateway";
import {
  createTestDatabase,
  expectError,
  setupAdmin,
  testDatabaseKinds,
  userClient,
  type TestClient,
  type TestDatabase,
} from "@/server/testing/harness";

async function enrollViaHttp(token: string, hostname = "host.example") {
  const res = await enrollRoute(
    new Request("http://panel.test/api/agent/enroll", {
      method: "POST",
      headers: { "content-type": "application/json", "x-lvs-client-address": "198.51.100.77" },
      body: JSON.stringify({ token, hostname }),
    }),
  );
  return { status: res.status, body: (await res.json()) as { hostId?: string; hostName?: string; credential?: string; error?: string } };
}

describe.each(testDatabaseKinds())("panel ↔ agent loop (%s)", (kind) => {
  let t: TestDatabase;
  let gw: TestGateway;
  let admin: TestClient;
  let operator: TestClient;
  let operator2: TestClient;
  let viewer: TestClient;
  const ids = { cluster: "", service: "", rs1: "", rs2: "", lb1: "", web1: "", web2: "" };
  const credentials: Record<string, string> = {};
  const agents: TestAgent[] = [];

  async function enroll(hostId: string): Promise<string> {
    const { token } = await admin.call((api) => api.hosts.enroll({ hostId }));
    const r = await enrollViaHttp(token);
    expect(r.status).toBe(200);
    return r.body.credential!;
  }

  async function agentFor(hostId: string, name: string, kernel = new FakeKernel()) {
    const agent = await connectTestAgent({ panelUrl: gw.url, hostId, credential: credentials[hostId], hostname: name, kernel });
    agents.push(agent);
    return agent;
  }

  async function applyDraft(client: TestClient, note = "") {
    const review = await client.call((api) => api.revisions.review({ clusterId: ids.cluster }));
    return client.call((api) => api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash, note }));
  }

  async function settled() {
    return eventually(async () => {
      const s = await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }));
      return s.settled && s.hosts.every((h) => !h.online || h.status === "applied" || h.status === "failed") ? s : null;
    });
  }

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    gw = await startTestGateway(t.db);
    admin = await setupAdmin(t.db);
    operator = await userClient(t.db, admin, "alice", "operator");
    operator2 = await userClient(t.db, admin, "bob", "operator");
    viewer = await userClient(t.db, admin, "vera", "viewer");
    ids.lb1 = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "10.0.0.1" }))).id;
    ids.web1 = (await admin.call((api) => api.hosts.create({ name: "web1", managementAddress: "10.0.0.11" }))).id;
    ids.web2 = (await admin.call((api) => api.hosts.create({ name: "web2", managementAddress: "10.0.0.12" }))).id;
    ids.cluster = (await operator.call((api) => api.clusters.create({ name: "web" }))).id;
    await operator.call((api) => api.directors.add({ clusterId: ids.cluster, hostId: ids.lb1, vipInterface: "eth0" }));
    const service = await operator.call((api) =>
      api.services.create({
        clusterId: ids.cluster,
        protocol: "TCP",
        address: "192.0.2.10",
        port: 80,
        scheduler: "rr",
        realServers: [{ hostId: ids.web1 }, { hostId: ids.web2 }],
      }),
    );
    ids.service = service.id;
    ids.rs1 = service.realServers.find((r) => r.address === "10.0.0.11")!.id;
    ids.rs2 = service.realServers.find((r) => r.address === "10.0.0.12")!.id;
  });

  afterAll(async () => {
    for (const a of agents) a.close();
    await gw?.close();
    await t?.destroy();
  });

  describe("enrollment", () => {
    it("only admins issue tokens; the token and the command are shown once and stored hashed", async () => {
      for (const client of [viewer, operator]) {
        expect((await expectError(client.call((api) => api.hosts.enroll({ hostId: ids.lb1 })))).code).toBe("FORBIDDEN");
      }
      const r = await admin.call((api) => api.hosts.enroll({ hostId: ids.lb1 }));
      expect(r.token).toMatch(/^lvse_[A-Za-z0-9_-]{43}$/);
      expect(r.command).toBe(`curl -fsSL 'http://panel.test/api/agent/install.sh' | sudo sh -s -- --panel 'http://panel.test' --token '${r.token}'`);
      expect(new Date(r.expiresAt).getTime() - Date.now()).toBeGreaterThan(59 * 60_000);
      expect(new Date(r.expiresAt).getTime() - Date.now()).toBeLessThanOrEqual(60 * 60_000);
      const rows = await t.db.client.enrollmentToken.findMany({ where: { hostId: ids.lb1 } });
      expect(JSON.stringify(rows)).not.toContain(r.token);
    });

    it("a token works once, then 401 with nothing stored", async () => {
      const { token } = await admin.call((api) => api.hosts.enroll({ hostId: ids.lb1 }));
      const first = await enrollViaHttp(token);
      expect(first).toMatchObject({ status: 200, body: { hostId: ids.lb1, hostName: "lb1" } });
      expect(first.body.credential).toMatch(/^lvsh_/);
      credentials[ids.lb1] = first.body.credential!;
      const before = await t.db.client.agentCredential.count();
      const again = await enrollViaHttp(token);
      expect(again).toEqual({ status: 401, body: { error: expect.stringMatching(/already used/) } });
      expect(await t.db.client.agentCredential.count()).toBe(before);
      const stored = await t.db.client.agentCredential.findMany();
      expect(JSON.stringify(stored)).not.toContain(first.body.credential!);
    });

    it.each([
      ["an expired token", "expired"],
      ["an unknown token", "unknown"],
      ["garbage", "garbage"],
    ])("%s → 401, nothing stored", async (_name, kindOfToken) => {
      let token = `lvse_${"A".repeat(43)}`;
      if (kindOfToken === "expired") {
        token = (await admin.call((api) => api.hosts.enroll({ hostId: ids.web1 }))).token;
        await t.db.client.enrollmentToken.updateMany({ where: { hostId: ids.web1, usedAt: null }, data: { expiresAt: new Date(Date.now() - 1000) } });
      }
      if (kindOfToken === "garbage") token = "not-a-token";
      const before = await t.db.client.agentCredential.count();
      const r = await enrollViaHttp(token);
      expect(r.status).toBe(401);
      expect(r.body.error).toMatch(kindOfToken === "expired" ? /expired/ : kindOfToken === "unknown" ? /unknown enrollment token/ : /not an enrollment token/);
      expect(await t.db.client.agentCredential.count()).toBe(before);
    });

    it("enrolling again revokes the previous credential", async () => {
      const old = await enroll(ids.web1);
      const fresh = await enroll(ids.web1);
      const rows = await t.db.client.agentCredential.findMany({ where: { hostId: ids.web1 }, orderBy: { createdAt: "asc" } });
      expect(rows.filter((r) => r.revokedAt === null)).toHaveLength(1);
      await expect(connectTestAgent({ panelUrl: gw.url, hostId: ids.web1, credential: old })).rejects.toThrow(/unauthorized/);
      credentials[ids.web1] = fresh;
      credentials[ids.web2] = await enroll(ids.web2);
    });

    it("serves a POSIX sh installer", async () => {
      const res = installRoute();
      const text = await res.text();
      expect(text.startsWith("#!/bin/sh")).toBe(true);
      expect(text).toMatch(/lvs-agent" enroll --panel "\$PANEL" --token "\$TOKEN"|\$BIN" enroll --panel "\$PANEL" --token "\$TOKEN"/);
      expect(text).toContain("/api/agent/lvs-agent.cjs");
    });
  });

  describe("gateway authentication", () => {
    it.each([
      ["a malformed credential", () => ({ hostId: ids.lb1, credential: "lvsh_short" })],
      ["an unknown credential", () => ({ hostId: ids.lb1, credential: `lvsh_${"B".repeat(43)}` })],
      ["host A's credential for host B", () => ({ hostId: ids.web2, credential: credentials[ids.lb1] })],
    ])("refuses %s", async (_name, auth) => {
      const a = auth();
      await expect(connectTestAgent({ panelUrl: gw.url, ...a })).rejects.toThrow(/unauthorized/);
      expect(gw.logs.join("\n")).not.toMatch(/lvsh_[A-Za-z0-9_-]{20,}/);
    });
  });

  describe("apply, conflicts, rollback, drift", () => {
    let lb1: TestAgent;
    let web1: TestAgent;

    it("review before any agent is connected: every host offline, the whole model added", async () => {
      const review = await viewer.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      expect(review.baseRevision).toBeNull();
      expect(review.hosts.map((h) => [h.name, h.roles, h.online, h.changed, h.plan.status])).toEqual([
        ["lb1", ["director"], false, true, "offline"],
        ["web1", ["realServer"], false, true, "offline"],
        ["web2", ["realServer"], false, true, "offline"],
      ]);
      expect(review.modelDiff.map((c) => `${c.kind} ${c.entity}`)).toEqual(["added director", "added service", "added realServer", "added realServer"]);
      expect(review.canApply).toBe(true);
    });

    it("review with agents online shows each agent's exact plan lines", async () => {
      lb1 = await agentFor(ids.lb1, "lb1");
      web1 = await agentFor(ids.web1, "web1");
      expect(lb1.helloAck).toEqual({ ok: true, hostName: "lb1" });
      const review = await viewer.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      const plan = review.hosts.find((h) => h.name === "lb1")!.plan;
      expect(plan.status).toBe("ok");
      expect(plan.ops.map((o) => o.command)).toEqual(
        expect.arrayContaining(["ipvsadm -A -t 192.0.2.10:80 -s rr", "ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1", "ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1"]),
      );
      expect(plan.ops.some((o) => /^ip addr add 192\.0\.2\.10\/32 dev eth0/.test(o.command))).toBe(true);
      const web1Plan = review.hosts.find((h) => h.name === "web1")!.plan;
      expect(web1Plan.ops.some((o) => /192\.0\.2\.10\/32 dev lo/.test(o.command))).toBe(true);
      expect(review.hosts.find((h) => h.name === "web2")!.plan.status).toBe("offline");
      expect(lb1.kernel.services.size).toBe(0);
    });

    it("viewers cannot apply, roll back or repair", async () => {
      const review = await viewer.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      const refused = [
        viewer.call((api) => api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: null, draftHash: review.draftHash })),
        viewer.call((api) => api.revisions.rollback({ clusterId: ids.cluster, toNumber: 1, baseRevisionNumber: null })),
        viewer.call((api) => api.agents.repair({ hostId: ids.lb1 })),
        viewer.call((api) => api.hosts.revokeAgent({ hostId: ids.lb1 })),
      ];
      for (const p of refused) expect((await expectError(p)).code).toBe("FORBIDDEN");
    });

    it("apply → the online agents apply it → status applied; the offline host stays pending", async () => {
      const revision = await applyDraft(operator, "first");
      expect(revision).toMatchObject({ number: 1, kind: "apply", note: "first", createdByName: "alice" });
      expect(revision.deployments.map((d) => [d.hostName, d.generation]).sort()).toEqual([["lb1", 1], ["web1", 1], ["web2", 1]]);
      const status = await settled();
      expect(status.appliedNumber).toBe(1);
      expect(status.draftChanged).toBe(false);
      expect(status.changeCount).toBe(0);
      expect(status.hosts.map((h) => [h.name, h.online, h.status, h.appliedGeneration])).toEqual([
        ["lb1", true, "applied", 1],
        ["web1", true, "applied", 1],
        ["web2", false, "pending", null],
      ]);
      expect(lb1.kernel.services.get("tcp 192.0.2.10:80")?.destinations.map((d) => `${d.key} w${d.weight}`)).toEqual(["10.0.0.11:80 w1", "10.0.0.12:80 w1"]);
      expect(lb1.kernel.links.get("eth0")!.addresses.map((a) => a.address)).toEqual(["192.0.2.10"]);
      expect(web1.kernel.links.get("lo")!.addresses.map((a) => a.address)).toEqual(["192.0.2.10"]);
      expect(web1.kernel.sysctlValues.get("net.ipv4.conf.all.arp_ignore")).toBe("1");
      // an agent only ever receives its own host's state
      expect(lb1.pushes.every((p) => (p.state as { host: string }).host === "lb1")).toBe(true);
      expect(web1.pushes.every((p) => (p.state as { host: string }).host === "web1")).toBe(true);
    });

    it("an offline host gets its pending state when it connects (hello)", async () => {
      const web2 = await agentFor(ids.web2, "web2");
      await eventually(async () => {
        const s = await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }));
        return s.hosts.find((h) => h.name === "web2")?.status === "applied";
      });
      expect(web2.pushes.map((p) => p.generation)).toEqual([1]);
      expect(web2.kernel.links.get("lo")!.addresses.map((a) => a.address)).toEqual(["192.0.2.10"]);
    });

    it("two operators applying from the same base: the second gets CONFLICT and nothing is lost", async () => {
      await operator.call((api) => api.realServers.update({ id: ids.rs1, weight: 5 }));
      const reviewA = await operator.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      const reviewB = await operator2.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      expect(reviewA.hosts.map((h) => [h.name, h.changed])).toEqual([["lb1", true], ["web1", false], ["web2", false]]);
      expect(reviewA.hosts[0].desiredDiff).toEqual([
        "- destination tcp 192.0.2.10:80 -> 10.0.0.11:80 dr weight 1",
        "+ destination tcp 192.0.2.10:80 -> 10.0.0.11:80 dr weight 5",
      ]);
      expect(reviewA.hosts[0].plan.ops.map((o) => o.command)).toEqual(["ipvsadm -e -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 5"]);
      const applied = await operator.call((api) =>
        api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: reviewA.baseRevision, draftHash: reviewA.draftHash }),
      );
      expect(applied.number).toBe(2);
      expect(applied.deployments.map((d) => d.hostName)).toEqual(["lb1"]);
      const err = await expectError(
        operator2.call((api) => api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: reviewB.baseRevision, draftHash: reviewB.draftHash })),
      );
      expect(err.code).toBe("CONFLICT");
      expect(err.message).toMatch(/^Revision #2 was applied by alice at .* since you reviewed \(base #1\); review again$/);
      const list = await viewer.call((api) => api.revisions.list({ clusterId: ids.cluster }));
      expect(list.map((r) => r.number)).toEqual([2, 1]);
      await settled();
      expect(lb1.kernel.services.get("tcp 192.0.2.10:80")!.destinations.find((d) => d.address === "10.0.0.11")!.weight).toBe(5);
    });

    it("concurrent applies from the same base: exactly one wins", async () => {
      await operator.call((api) => api.realServers.update({ id: ids.rs2, weight: 3 }));
      const review = await operator.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      const input = { clusterId: ids.cluster, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash };
      const results = await Promise.allSettled([
        operator.call((api) => api.revisions.applyDraft(input)),
        operator2.call((api) => api.revisions.applyDraft(input)),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const failure = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect((await expectError(Promise.reject(failure.reason))).code).toBe("CONFLICT");
      expect((await viewer.call((api) => api.revisions.list({ clusterId: ids.cluster }))).map((r) => r.number)).toEqual([3, 2, 1]);
      await settled();
    });

    it("a draft changed since the review → CONFLICT, nothing written", async () => {
      const review = await operator.call((api) => api.revisions.review({ clusterId: ids.cluster }));
      await operator.call((api) => api.realServers.update({ id: ids.rs1, weight: 9 }));
      const before = await t.db.client.revision.count();
      const err = await expectError(
        operator.call((api) => api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash })),
      );
      expect(err).toMatchObject({ code: "CONFLICT", message: "The draft changed since your review; review again" });
      expect(await t.db.client.revision.count()).toBe(before);
      const status = await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }));
      expect(status).toMatchObject({ appliedNumber: 3, draftChanged: true, changeCount: 1 });
    });

    it("rollback to revision 1 restores the tables and the kernel, as a new revision", async () => {
      const status = await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }));
      const stale = await expectError(operator.call((api) => api.revisions.rollback({ clusterId: ids.cluster, toNumber: 1, baseRevisionNumber: 2 })));
      expect(stale.code).toBe("CONFLICT");
      const revision = await operator.call((api) => api.revisions.rollback({ clusterId: ids.cluster, toNumber: 1, baseRevisionNumber: status.appliedNumber, note: "back" }));
      expect(revision).toMatchObject({ number: 4, kind: "rollback", rolledBackToNumber: 1 });
      const service = await viewer.call((api) => api.services.get({ id: ids.service }));
      expect(service.realServers.map((r) => [r.id, r.weight]).sort()).toEqual([[ids.rs1, 1], [ids.rs2, 1]].sort());
      const after = await settled();
      expect(after).toMatchObject({ appliedNumber: 4, draftChanged: false });
      expect(lb1.kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.weight)).toEqual([1, 1]);
      const r1 = await viewer.call((api) => api.revisions.get({ clusterId: ids.cluster, number: 1 }));
      const r4 = await viewer.call((api) => api.revisions.get({ clusterId: ids.cluster, number: 4 }));
      expect(r4.snapshot.services).toEqual(r1.snapshot.services);
      expect(r4.results.find((r) => r.hostId === ids.lb1)!.results.map((x) => x.ok)).toEqual([true, true]);
    });

    it("drift: an out-of-band ipvsadm -d shows as drift; repair makes it clean", async () => {
      await lb1.kernel.ipvs.run("-d -t 192.0.2.10:80 -r 10.0.0.12:80");
      await lb1.checkDrift();
      const drifted = await eventually(async () => {
        const s = await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }));
        const h = s.hosts.find((x) => x.name === "lb1")!;
        return h.driftCount > 0 ? h : null;
      });
      expect(drifted.drift.map((d) => d.command)).toEqual(["ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1"]);
      expect((await admin.call((api) => api.hosts.get({ id: ids.lb1 }))).agent).toMatchObject({ online: true, driftCount: 1, enrolled: true });

      expect(await operator.call((api) => api.agents.repair({ hostId: ids.lb1 }))).toEqual({ accepted: true, error: null });
      await eventually(async () => {
        const s = await viewer.call((api) => api.revisions.status({ clusterId: ids.cluster }));
        return s.hosts.find((x) => x.name === "lb1")!.driftCount === 0;
      });
      expect(lb1.kernel.services.get("tcp 192.0.2.10:80")!.destinations.map((d) => d.address)).toEqual(["10.0.0.11", "10.0.0.12"]);
      expect(lb1.reports.at(-1)).toMatchObject({ kind: "repair", converged: true });
    });

    it("invalid messages are dropped and logged without secrets", async () => {
      const reportsBefore = await t.db.client.host.findUnique({ where: { id: ids.lb1 }, select: { lastReport: true } });
      lb1.emitRaw("report", { kind: "apply", generation: "four" });
      await eventually(() => gw.logs.some((l) => /dropped an invalid report from lb1/.test(l)));
      const after = await t.db.client.host.findUnique({ where: { id: ids.lb1 }, select: { lastReport: true } });
      expect(after).toEqual(reportsBefore);
    });

    it("repairing an offline host is a clear CONFLICT", async () => {
      web1.close();
      await eventually(async () => !(await viewer.call((api) => api.hosts.get({ id: ids.web1 }))).agent.online);
      const err = await expectError(operator.call((api) => api.agents.repair({ hostId: ids.web1 })));
      expect(err).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/web1 is not connected/) });
    });

    it("revoking a credential disconnects the agent and refuses it afterwards", async () => {
      await admin.call((api) => api.hosts.revokeAgent({ hostId: ids.lb1 }));
      await eventually(() => !lb1.socket.connected);
      await expect(connectTestAgent({ panelUrl: gw.url, hostId: ids.lb1, credential: credentials[ids.lb1] })).rejects.toThrow(/unauthorized/);
      expect((await admin.call((api) => api.hosts.get({ id: ids.lb1 }))).agent).toMatchObject({ enrolled: false, online: false });
    });

    it("an applied cluster cannot be deleted until its hosts were released by an apply", async () => {
      const err = await expectError(operator.call((api) => api.clusters.delete({ id: ids.cluster })));
      expect(err).toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/^web is applied \(revision #4\) on lb1, web1, web2; remove its directors/) });
      const cluster = await viewer.call((api) => api.clusters.get({ id: ids.cluster }));
      await operator.call((api) => api.directors.remove({ id: cluster.directors[0].id }));
      await operator.call((api) => api.services.delete({ id: ids.service }));
      const released = await applyDraft(operator, "release the hosts");
      expect(released.deployments.map((d) => d.hostName).sort()).toEqual(["lb1", "web1", "web2"]);
      const web2 = agents.find((a) => a.socket.connected && a.pushes.some((p) => (p.state as { host: string }).host === "web2"))!;
      await eventually(() => web2.pushes.length === 2 && web2.reports.length === 2);
      expect(web2.kernel.links.get("lo")!.addresses).toEqual([]);
      await operator.call((api) => api.clusters.delete({ id: ids.cluster }));
    });

    it("each step left its audit event", async () => {
      const page = await admin.call((api) => api.audit.list({ limit: 200 }));
      const actions = page.items.map((e) => e.action);
      for (const action of ["agent.enroll", "agent.credentialIssued", "revision.apply", "revision.rollback", "agent.repair", "agent.revoke"]) {
        expect(actions).toContain(action);
      }
      const rollback = page.items.find((e) => e.action === "revision.rollback")!;
      expect(rollback).toMatchObject({ clusterId: ids.cluster, actor: { name: "alice" }, entityType: "revision" });
      expect(rollback.summary).toMatch(/Rolled web back to revision #1 as revision #4/);
      const issued = page.items.find((e) => e.action === "agent.credentialIssued")!;
      expect(issued.clientAddress).toBe("198.51.100.77");
      expect(JSON.stringify(page.items)).not.toMatch(/lvs[he]_[A-Za-z0-9_-]{43}/);
    });
  });
});
