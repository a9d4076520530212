/**
 * Audit history: EVERY mutation procedure in the router tree writes exactly
 * one audit event (in the same transaction), and failed mutations write none.
 * The test walks appRouter's procedures, so a new mutation without an entry
 * here fails the suite.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { offlineGateway, registerAgentGateway } from "@/server/agent-gateway/registry";
import * as auditRepository from "@/server/repositories/audit";
import { countRows, databaseSnapshot } from "@/server/repositories/snapshot";
import { resetLoginLimits } from "@/server/services/auth/rate-limit";
import {
  ADMIN,
  TestClient,
  createTestDatabase,
  expectError,
  setupAdmin,
  testDatabaseKinds,
  userClient,
  type Caller,
  type TestDatabase,
} from "@/server/testing/harness";
import { appRouter } from "@/server/trpc/root";

type Call = (api: Caller) => Promise<unknown>;

interface Fixtures {
  admin: TestClient;
  t: TestDatabase;
  clusterId: string;
  hostId: string;
  serviceId: string;
  realServerId: string;
  n: number;
}

interface Scenario {
  action: string;
  /** Creates what the call needs (its own audit events are not counted) and returns the client and call. */
  valid(fx: Fixtures): Promise<{ client: TestClient; call: Call }>;
  invalid(fx: Fixtures): Promise<{ client: TestClient; call: Call }>;
}

const uniq = (fx: Fixtures, prefix: string) => `${prefix}-${++fx.n}`;

async function newCluster(fx: Fixtures) {
  return fx.admin.call((api) => api.clusters.create({ name: uniq(fx, "c") }));
}
async function newHost(fx: Fixtures) {
  const n = ++fx.n;
  return fx.admin.call((api) => api.hosts.create({ name: `h-${n}`, managementAddress: `192.0.2.${n % 250}` }));
}
async function newService(fx: Fixtures) {
  const n = ++fx.n;
  return fx.admin.call((api) =>
    api.services.create({ clusterId: fx.clusterId, protocol: "TCP", address: "203.0.113.1", port: 1000 + n, realServers: [{ address: "10.9.0.1" }] }),
  );
}
const asAdmin = (fx: Fixtures, call: Call) => ({ client: fx.admin, call });
/** A new real server of the main cluster, applied (drains need it in the applied revision). */
async function appliedRealServer(fx: Fixtures): Promise<string> {
  const rs = await fx.admin.call((api) => api.realServers.create({ virtualServiceId: fx.serviceId, address: `10.6.0.${++fx.n % 250}` }));
  const review = await fx.admin.call((api) => api.revisions.review({ clusterId: fx.clusterId }));
  await fx.admin.call((api) => api.revisions.applyDraft({ clusterId: fx.clusterId, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash }));
  return rs.id;
}

const scenarios: Record<string, Scenario> = {
  "auth.setup": {
    action: "auth.setup",
    // Valid setup happens once, in beforeAll (checked there).
    valid: async () => {
      throw new Error("covered in beforeAll");
    },
    invalid: async (fx) => ({ client: new TestClient(fx.t.db), call: (api) => api.auth.setup({ username: "late", password: "too late for setup" }) }),
  },
  "auth.login": {
    action: "auth.login",
    valid: async (fx) => ({ client: new TestClient(fx.t.db), call: (api) => api.auth.login(ADMIN) }),
    invalid: async (fx) => ({ client: new TestClient(fx.t.db), call: (api) => api.auth.login({ username: "admin", password: "wrong password" }) }),
  },
  "auth.logout": {
    action: "auth.logout",
    valid: async (fx) => {
      const c = new TestClient(fx.t.db);
      await c.call((api) => api.auth.login(ADMIN));
      return { client: c, call: (api) => api.auth.logout() };
    },
    invalid: async (fx) => {
      const { secret } = await fx.admin.call((api) => api.tokens.create({ name: uniq(fx, "t"), role: "viewer" }));
      return { client: new TestClient(fx.t.db, { bearer: secret, origin: null }), call: (api) => api.auth.logout() };
    },
  },
  "auth.changePassword": {
    action: "auth.changePassword",
    valid: async (fx) => {
      const name = uniq(fx, "pw");
      const c = await userClient(fx.t.db, fx.admin, name, "viewer");
      return { client: c, call: (api) => api.auth.changePassword({ currentPassword: `${name} password 123`, newPassword: "another password 456" }) };
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.auth.changePassword({ currentPassword: "not it", newPassword: "another password 456" })),
  },
  "clusters.create": {
    action: "cluster.create",
    valid: async (fx) => asAdmin(fx, (api) => api.clusters.create({ name: uniq(fx, "c") })),
    invalid: async (fx) => asAdmin(fx, (api) => api.clusters.create({ name: "main" })),
  },
  "clusters.update": {
    action: "cluster.update",
    valid: async (fx) => {
      const c = await newCluster(fx);
      return asAdmin(fx, (api) => api.clusters.update({ id: c.id, description: "changed" }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.clusters.update({ id: fx.clusterId, name: "bad/name" })),
  },
  "clusters.delete": {
    action: "cluster.delete",
    valid: async (fx) => {
      const c = await newCluster(fx);
      return asAdmin(fx, (api) => api.clusters.delete({ id: c.id }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.clusters.delete({ id: "missing" })),
  },
  "directors.add": {
    action: "director.add",
    valid: async (fx) => {
      const h = await newHost(fx);
      return asAdmin(fx, (api) => api.directors.add({ clusterId: fx.clusterId, hostId: h.id, priority: 100 }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.directors.add({ clusterId: fx.clusterId, hostId: fx.hostId, priority: 300 })),
  },
  "directors.update": {
    action: "director.update",
    valid: async (fx) => {
      const h = await newHost(fx);
      const d = await fx.admin.call((api) => api.directors.add({ clusterId: fx.clusterId, hostId: h.id, priority: 100 }));
      return asAdmin(fx, (api) => api.directors.update({ id: d.id, priority: 120 }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.directors.update({ id: "missing", priority: 120 })),
  },
  "directors.remove": {
    action: "director.remove",
    valid: async (fx) => {
      const h = await newHost(fx);
      const d = await fx.admin.call((api) => api.directors.add({ clusterId: fx.clusterId, hostId: h.id, priority: 100 }));
      return asAdmin(fx, (api) => api.directors.remove({ id: d.id }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.directors.remove({ id: "missing" })),
  },
  "services.create": {
    action: "virtualService.create",
    valid: async (fx) => asAdmin(fx, (api) => api.services.create({ clusterId: fx.clusterId, protocol: "UDP", address: "203.0.113.2", port: 2000 + ++fx.n })),
    invalid: async (fx) => asAdmin(fx, (api) => api.services.create({ clusterId: fx.clusterId, protocol: "TCP", address: "203.0.113.2", port: 0 })),
  },
  "services.update": {
    action: "virtualService.update",
    valid: async (fx) => {
      const s = await newService(fx);
      return asAdmin(fx, (api) => api.services.update({ id: s.id, scheduler: "rr" }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.services.update({ id: fx.serviceId, persistenceNetmask: 24 })),
  },
  "services.delete": {
    action: "virtualService.delete",
    valid: async (fx) => {
      const s = await newService(fx);
      return asAdmin(fx, (api) => api.services.delete({ id: s.id }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.services.delete({ id: "missing" })),
  },
  "realServers.create": {
    action: "realServer.create",
    valid: async (fx) => asAdmin(fx, (api) => api.realServers.create({ virtualServiceId: fx.serviceId, address: `10.8.0.${++fx.n % 250}` })),
    invalid: async (fx) => asAdmin(fx, (api) => api.realServers.create({ virtualServiceId: fx.serviceId, address: "10.8.1.1", port: 9999 })),
  },
  "realServers.update": {
    action: "realServer.update",
    valid: async (fx) => asAdmin(fx, (api) => api.realServers.update({ id: fx.realServerId, weight: ++fx.n })),
    invalid: async (fx) => asAdmin(fx, (api) => api.realServers.update({ id: fx.realServerId, weight: 70000 })),
  },
  "realServers.delete": {
    action: "realServer.delete",
    valid: async (fx) => {
      const rs = await fx.admin.call((api) => api.realServers.create({ virtualServiceId: fx.serviceId, address: `10.7.0.${++fx.n % 250}` }));
      return asAdmin(fx, (api) => api.realServers.delete({ id: rs.id }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.realServers.delete({ id: "missing" })),
  },
  "hosts.create": {
    action: "host.create",
    valid: async (fx) => asAdmin(fx, (api) => api.hosts.create({ name: uniq(fx, "hc"), managementAddress: "198.51.100.1" })),
    invalid: async (fx) => asAdmin(fx, (api) => api.hosts.create({ name: uniq(fx, "hc"), managementAddress: "198.51.100.999" })),
  },
  "hosts.update": {
    action: "host.update",
    valid: async (fx) => {
      const h = await newHost(fx);
      return asAdmin(fx, (api) => api.hosts.update({ id: h.id, labels: { role: "director" } }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.hosts.update({ id: fx.hostId, interfaces: [{ name: "eth0", addresses: ["nope"] }] })),
  },
  "hosts.delete": {
    action: "host.delete",
    valid: async (fx) => {
      const h = await newHost(fx);
      return asAdmin(fx, (api) => api.hosts.delete({ id: h.id }));
    },
    // fx.hostId directs the main cluster.
    invalid: async (fx) => asAdmin(fx, (api) => api.hosts.delete({ id: fx.hostId })),
  },
  "users.create": {
    action: "user.create",
    valid: async (fx) => asAdmin(fx, (api) => api.users.create({ username: uniq(fx, "u"), password: "long enough password", role: "viewer" })),
    invalid: async (fx) => asAdmin(fx, (api) => api.users.create({ username: "admin", password: "long enough password", role: "viewer" })),
  },
  "users.update": {
    action: "user.update",
    valid: async (fx) => {
      const u = await fx.admin.call((api) => api.users.create({ username: uniq(fx, "u"), password: "long enough password", role: "viewer" }));
      return asAdmin(fx, (api) => api.users.update({ id: u.id, role: "operator" }));
    },
    invalid: async (fx) => {
      const me = await fx.admin.call((api) => api.auth.me());
      return asAdmin(fx, (api) => api.users.update({ id: me.id, disabled: true }));
    },
  },
  "users.delete": {
    action: "user.delete",
    valid: async (fx) => {
      const u = await fx.admin.call((api) => api.users.create({ username: uniq(fx, "u"), password: "long enough password", role: "viewer" }));
      return asAdmin(fx, (api) => api.users.delete({ id: u.id }));
    },
    invalid: async (fx) => {
      const me = await fx.admin.call((api) => api.auth.me());
      return asAdmin(fx, (api) => api.users.delete({ id: me.id }));
    },
  },
  "tokens.create": {
    action: "apiToken.create",
    valid: async (fx) => asAdmin(fx, (api) => api.tokens.create({ name: uniq(fx, "t"), role: "operator" })),
    invalid: async (fx) => asAdmin(fx, (api) => api.tokens.create({ name: "", role: "operator" })),
  },
  "revisions.applyDraft": {
    action: "revision.apply",
    valid: async (fx) => {
      const review = await fx.admin.call((api) => api.revisions.review({ clusterId: fx.clusterId }));
      return asAdmin(fx, (api) => api.revisions.applyDraft({ clusterId: fx.clusterId, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash }));
    },
    invalid: async (fx) => {
      const review = await fx.admin.call((api) => api.revisions.review({ clusterId: fx.clusterId }));
      return asAdmin(fx, (api) => api.revisions.applyDraft({ clusterId: fx.clusterId, baseRevisionNumber: review.baseRevision, draftHash: "0".repeat(64) }));
    },
  },
  "revisions.rollback": {
    action: "revision.rollback",
    valid: async (fx) => {
      let review = await fx.admin.call((api) => api.revisions.review({ clusterId: fx.clusterId }));
      if (review.baseRevision === null) {
        await fx.admin.call((api) => api.revisions.applyDraft({ clusterId: fx.clusterId, baseRevisionNumber: null, draftHash: review.draftHash }));
        review = await fx.admin.call((api) => api.revisions.review({ clusterId: fx.clusterId }));
      }
      return asAdmin(fx, (api) => api.revisions.rollback({ clusterId: fx.clusterId, toNumber: 1, baseRevisionNumber: review.baseRevision }));
    },
    invalid: async (fx) => {
      const review = await fx.admin.call((api) => api.revisions.review({ clusterId: fx.clusterId }));
      return asAdmin(fx, (api) => api.revisions.rollback({ clusterId: fx.clusterId, toNumber: 999, baseRevisionNumber: review.baseRevision }));
    },
  },
  "stats.zeroCounters": {
    action: "stats.zeroCounters",
    // the stub gateway (beforeAll) zeroes on fx.hostId, the cluster's director
    valid: async (fx) => asAdmin(fx, (api) => api.stats.zeroCounters({ clusterId: fx.clusterId, serviceId: fx.serviceId })),
    invalid: async (fx) => asAdmin(fx, (api) => api.stats.zeroCounters({ clusterId: "missing" })),
  },
  "agents.repair": {
    action: "agent.repair",
    // the stub gateway (beforeAll) reports fx.hostId's agent online
    valid: async (fx) => asAdmin(fx, (api) => api.agents.repair({ hostId: fx.hostId })),
    invalid: async (fx) => {
      const h = await newHost(fx);
      return asAdmin(fx, (api) => api.agents.repair({ hostId: h.id }));
    },
  },
  "hosts.enroll": {
    action: "agent.enroll",
    valid: async (fx) => asAdmin(fx, (api) => api.hosts.enroll({ hostId: fx.hostId })),
    invalid: async (fx) => asAdmin(fx, (api) => api.hosts.enroll({ hostId: "missing" })),
  },
  "hosts.revokeAgent": {
    action: "agent.revoke",
    valid: async (fx) => {
      const h = await newHost(fx);
      await fx.admin.call((api) => api.hosts.enroll({ hostId: h.id }));
      return asAdmin(fx, (api) => api.hosts.revokeAgent({ hostId: h.id }));
    },
    // nothing to revoke
    invalid: async (fx) => {
      const h = await newHost(fx);
      return asAdmin(fx, (api) => api.hosts.revokeAgent({ hostId: h.id }));
    },
  },
  "drains.start": {
    action: "drain.start",
    valid: async (fx) => {
      const rs = await appliedRealServer(fx);
      return asAdmin(fx, (api) => api.drains.start({ realServerId: rs }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.drains.start({ realServerId: "missing" })),
  },
  "drains.restore": {
    action: "drain.restore",
    valid: async (fx) => {
      const rs = await appliedRealServer(fx);
      await fx.admin.call((api) => api.drains.start({ realServerId: rs }));
      return asAdmin(fx, (api) => api.drains.restore({ realServerId: rs }));
    },
    // not draining
    invalid: async (fx) => asAdmin(fx, (api) => api.drains.restore({ realServerId: fx.realServerId })),
  },
  "drains.remove": {
    action: "drain.remove",
    valid: async (fx) => {
      const rs = await appliedRealServer(fx);
      await fx.admin.call((api) => api.drains.start({ realServerId: rs }));
      return asAdmin(fx, (api) => api.drains.remove({ realServerId: rs }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.drains.remove({ realServerId: fx.realServerId })),
  },
  "tokens.revoke": {
    action: "apiToken.revoke",
    valid: async (fx) => {
      const { token } = await fx.admin.call((api) => api.tokens.create({ name: uniq(fx, "t"), role: "operator" }));
      return asAdmin(fx, (api) => api.tokens.revoke({ id: token.id }));
    },
    invalid: async (fx) => asAdmin(fx, (api) => api.tokens.revoke({ id: "missing" })),
  },
};

function mutationPaths(): string[] {
  const procedures = appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>;
  return Object.entries(procedures)
    .filter(([, p]) => p._def.type === "mutation")
    .map(([p]) => p)
    .sort();
}

describe("the router's mutations", () => {
  it("all have an audit scenario (a new mutation must be added here)", () => {
    expect(mutationPaths()).toEqual(Object.keys(scenarios).sort());
    expect(mutationPaths().length).toBeGreaterThanOrEqual(29);
  });

  it("the audit repository offers no update or delete", () => {
    expect(Object.keys(auditRepository).sort()).toEqual(["appendAuditEvent", "auditFacets", "listAuditEvents"]);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (entry.name !== "generated") walk(file);
        } else if (/\.tsx?$/.test(entry.name) && !entry.name.includes(".test.")) {
          const text = fs.readFileSync(file, "utf8");
          if (/auditEvent\s*\.\s*(update|updateMany|upsert|delete|deleteMany)\b/.test(text)) offenders.push(file);
        }
      }
    };
    walk(path.resolve(__dirname, ".."));
    expect(offenders).toEqual([]);
  });
});

describe.each(testDatabaseKinds())("audit (%s)", (kind) => {
  let t: TestDatabase;
  const fx = {} as Fixtures;
  let setupEvents = -1;

  beforeAll(async () => {
    registerAgentGateway({
      ...offlineGateway,
      isOnline: (hostId) => hostId === fx.hostId,
      repair: async () => ({ accepted: true, error: null }),
      zeroCounters: async () => ({ ok: true }),
    });
    t = await createTestDatabase(kind);
    fx.t = t;
    fx.n = 0;
    fx.admin = await setupAdmin(t.db);
    setupEvents = (await countRows(t.db)).auditEvents;
    fx.clusterId = (await fx.admin.call((api) => api.clusters.create({ name: "main" }))).id;
    fx.hostId = (await fx.admin.call((api) => api.hosts.create({ name: "lb-main", managementAddress: "192.0.2.254" }))).id;
    await fx.admin.call((api) => api.directors.add({ clusterId: fx.clusterId, hostId: fx.hostId, priority: 100 }));
    const s = await fx.admin.call((api) =>
      api.services.create({ clusterId: fx.clusterId, protocol: "TCP", address: "203.0.113.10", port: 80, realServers: [{ address: "10.0.0.1" }] }),
    );
    fx.serviceId = s.id;
    fx.realServerId = s.realServers[0].id;
  });
  afterAll(async () => {
    registerAgentGateway(null);
    await t?.destroy();
  });

  it("first-run setup wrote exactly one event", () => {
    expect(setupEvents).toBe(1);
  });

  it.each(Object.keys(scenarios).filter((p) => p !== "auth.setup"))("%s writes exactly one audit event", async (procedure) => {
    resetLoginLimits();
    const scenario = scenarios[procedure];
    const { client, call } = await scenario.valid(fx);
    const before = await countRows(t.db);
    const latestBefore = (await fx.admin.call((api) => api.audit.list({ limit: 1 }))).items[0]?.id;
    await client.call(call);
    const after = await countRows(t.db);
    expect(after.auditEvents - before.auditEvents).toBe(1);
    const [event] = (await fx.admin.call((api) => api.audit.list({ limit: 1 }))).items;
    expect(event.id).not.toBe(latestBefore);
    expect(event.action).toBe(scenario.action);
    expect(event.clientAddress).toBe("198.51.100.10");
    expect(event.summary.length).toBeGreaterThan(5);
  });

  it.each(Object.keys(scenarios))("a failed %s writes nothing", async (procedure) => {
    resetLoginLimits();
    const { client, call } = await scenarios[procedure].invalid(fx);
    const before = await databaseSnapshot(t.db);
    await expectError(client.call(call));
    expect(await databaseSnapshot(t.db)).toBe(before);
  });

  it("records before/after of a weight change, the actor and the cluster", async () => {
    await fx.admin.call((api) => api.realServers.update({ id: fx.realServerId, weight: 5 }));
    await fx.admin.call((api) => api.realServers.update({ id: fx.realServerId, weight: 7 }));
    const page = await fx.admin.call((api) => api.audit.list({ entityType: "realServer", clusterId: fx.clusterId, limit: 1 }));
    const e = page.items[0];
    expect(e).toMatchObject({
      action: "realServer.update",
      entityId: fx.realServerId,
      clusterId: fx.clusterId,
      clusterName: "main",
      actor: { name: "admin", tokenId: null },
      before: expect.objectContaining({ weight: 5, address: "10.0.0.1" }),
      after: expect.objectContaining({ weight: 7, address: "10.0.0.1" }),
    });
    expect(e.summary).toMatch(/weight 5 → 7/);
    expect(e.before).not.toHaveProperty("updatedAt");
  });

  it("filters by user, cluster, entity type and time, and pages with a cursor", async () => {
    const ops = await userClient(t.db, fx.admin, "auditor-op", "operator");
    const opId = (await ops.call((api) => api.auth.me())).id;
    const other = await ops.call((api) => api.clusters.create({ name: "audit-other" }));
    await ops.call((api) => api.clusters.update({ id: other.id, description: "x" }));

    const byUser = await fx.admin.call((api) => api.audit.list({ userId: opId }));
    expect(byUser.items.map((e) => e.action)).toEqual(["cluster.update", "cluster.create", "auth.login"]);
    const byCluster = await fx.admin.call((api) => api.audit.list({ clusterId: other.id }));
    expect(byCluster.items.every((e) => e.clusterId === other.id)).toBe(true);
    expect(byCluster.items).toHaveLength(2);

    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await fx.admin.call((api) => api.audit.list({ from: future }))).items).toEqual([]);
    const err = await expectError(fx.admin.call((api) => api.audit.list({ from: future, to: new Date(0).toISOString() })));
    expect(err.fieldErrors?.to).toBeTruthy();

    const all: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await fx.admin.call((api) => api.audit.list({ limit: 7, cursor }));
      all.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe((await countRows(t.db)).auditEvents);

    const facets = await fx.admin.call((api) => api.audit.facets());
    expect(facets.users.map((u) => u.name)).toEqual(expect.arrayContaining(["admin", "auditor-op"]));
    expect(facets.clusters.map((c) => c.name)).toEqual(expect.arrayContaining(["main", "audit-other"]));
    expect(facets.entityTypes).toEqual(expect.arrayContaining(["cluster", "realServer", "user", "session"]));
  });
});
