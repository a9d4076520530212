/**
 * The cluster model through the API: every validation rule refuses bad
 * input with field errors and leaves the database unchanged; listing,
 * updates and cascades behave. Runs against SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countRows, databaseSnapshot } from "@/server/repositories/snapshot";
import { createTestDatabase, expectError, setupAdmin, testDatabaseKinds, type TestClient, type TestDatabase } from "@/server/testing/harness";
import { createContext } from "@/server/trpc/context";
import { appRouter } from "@/server/trpc/root";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

describe.each(testDatabaseKinds())("cluster model through the API (%s)", (kind) => {
  let t: TestDatabase;
  let admin: TestClient;
  let web: { id: string };
  let other: { id: string };
  let webService: { id: string; realServers: { id: string }[] };

  beforeAll(async () => {
    t = await createTestDatabase(kind);
    admin = await setupAdmin(t.db);
    web = await admin.call((api) => api.clusters.create({ name: "web", description: "front-end VIPs" }));
    other = await admin.call((api) => api.clusters.create({ name: "other" }));
    webService = await admin.call((api) =>
      api.services.create({
        clusterId: web.id,
        protocol: "TCP",
        address: "192.0.2.10",
        port: 80,
        scheduler: "wlc",
        persistenceTimeout: 120,
        realServers: [
          { address: "10.0.0.1", forwarding: "DR", weight: 100 },
          { address: "10.0.0.2", forwarding: "DR", weight: 100 },
          { address: "10.0.0.3", forwarding: "DR", weight: 50 },
        ],
      }),
    );
  });
  afterAll(async () => {
    await t?.destroy();
  });

  /** Asserts that a call fails with the given code and field error, and changes nothing. */
  async function refused(call: () => Promise<unknown>, code: string, field: string, message: RegExp) {
    const before = await databaseSnapshot(t.db);
    const err = await expectError(call());
    expect(err.code).toBe(code);
    expect(err.fieldErrors?.[field]?.[0], JSON.stringify(err.fieldErrors)).toMatch(message);
    expect(await databaseSnapshot(t.db)).toBe(before);
  }

  const svc = (patch: Record<string, unknown>) => ({ clusterId: web.id, protocol: "TCP" as const, address: "192.0.2.20", port: 443, ...patch });

  describe("validation rules refuse with field errors and change nothing", () => {
    it.each([
      ["a bad IP", { address: "192.0.2.300" }, "address", /IPv4 or IPv6/],
      ["port 0", { port: 0 }, "port", /between 1 and 65535/],
      ["port 70000", { port: 70000 }, "port", /between 1 and 65535/],
      ["an unknown scheduler", { scheduler: "fastest" }, "scheduler", /Unknown scheduler/],
      ["a port on a FWMARK service", { protocol: "FWMARK", fwmark: 1 }, "port", /leave the port empty/],
      ["a TCP service with a mark", { fwmark: 1 }, "fwmark", /only used by FWMARK/],
      ["an IPv4 netmask of /64", { persistenceTimeout: 60, persistenceNetmask: 64 }, "persistenceNetmask", /1 to 32/],
      ["a DR port remap", { realServers: [{ address: "10.0.0.9", port: 8443 }] }, "realServers.0.port", /cannot remap port 443 to 8443/],
      ["a weight of 70000", { realServers: [{ address: "10.0.0.9", weight: 70000 }] }, "realServers.0.weight", /between 0 and 65535/],
      [
        "the same real server twice",
        { realServers: [{ address: "10.0.0.9" }, { address: "10.0.0.9", port: 443 }] },
        "realServers.1.address",
        /Same real server as #1/,
      ],
    ])("%s", async (_label, patch, field, message) => {
      await refused(() => admin.call((api) => api.services.create(svc(patch) as never)), "BAD_REQUEST", field, message);
    });

    it("a duplicate (protocol, VIP, port) in the cluster", async () => {
      await refused(
        () => admin.call((api) => api.services.create(svc({ address: "192.0.2.10", port: 80 }))),
        "CONFLICT",
        "port",
        /TCP 192.0.2.10:80 already exists in this cluster/,
      );
    });

    it("the same VIP:port in another cluster (any protocol)", async () => {
      await refused(
        () => admin.call((api) => api.services.create({ clusterId: other.id, protocol: "UDP", address: "192.0.2.10", port: 80 })),
        "CONFLICT",
        "address",
        /192.0.2.10:80 is already used by cluster web/,
      );
    });

    it("concurrent claims of one VIP:port by four clusters: exactly one wins", async () => {
      const clusters = await Promise.all([1, 2, 3, 4].map((i) => admin.call((api) => api.clusters.create({ name: `race-${i}` }))));
      const results = await Promise.allSettled(
        clusters.map((c) => admin.call((api) => api.services.create({ clusterId: c.id, protocol: "TCP", address: "203.0.113.77", port: 443 }))),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(String(r.reason)).toMatch(/already used by cluster race-/);
    });

    it("an equivalent IPv6 spelling is the same VIP", async () => {
      await admin.call((api) => api.services.create(svc({ address: "2001:db8::10", port: 443 })));
      await refused(
        () => admin.call((api) => api.services.create(svc({ address: "2001:DB8:0::0:10", port: 443 }))),
        "CONFLICT",
        "port",
        /\[2001:db8::10\]:443 already exists/,
      );
    });

    it("the same real server twice via realServers.create, and a DR remap", async () => {
      await refused(
        () => admin.call((api) => api.realServers.create({ virtualServiceId: webService.id, address: "10.0.0.1", port: 80 })),
        "CONFLICT",
        "address",
        /10.0.0.1:80 is already a real server of TCP 192.0.2.10:80/,
      );
      await refused(
        () => admin.call((api) => api.realServers.create({ virtualServiceId: webService.id, address: "10.0.0.8", port: 8080 })),
        "BAD_REQUEST",
        "port",
        /DR forwarding cannot remap port 80 to 8080/,
      );
    });

    it("an update that would break the service or its real servers", async () => {
      await refused(
        () => admin.call((api) => api.services.update({ id: webService.id, scheduler: "nope" as never })),
        "BAD_REQUEST",
        "scheduler",
        /Unknown scheduler/,
      );
      await refused(
        () => admin.call((api) => api.services.update({ id: webService.id, protocol: "FWMARK" })),
        "BAD_REQUEST",
        "fwmark",
        /need a firewall mark/,
      );
      await refused(
        () => admin.call((api) => api.services.update({ id: webService.id, address: "2001:db8::80" })),
        "BAD_REQUEST",
        "address",
        /Real server 10.0.0.1: .*same address family/,
      );
      await refused(
        () => admin.call((api) => api.realServers.update({ id: webService.realServers[0].id, port: 81 })),
        "BAD_REQUEST",
        "port",
        /cannot remap/,
      );
      await refused(
        () => admin.call((api) => api.realServers.update({ id: webService.realServers[0].id, address: "10.0.0.2" })),
        "CONFLICT",
        "address",
        /already a real server/,
      );
    });

    it("duplicate cluster and host names, unknown hosts", async () => {
      await refused(() => admin.call((api) => api.clusters.create({ name: "web" })), "CONFLICT", "name", /already exists/);
      await refused(() => admin.call((api) => api.clusters.update({ id: other.id, name: "web" })), "CONFLICT", "name", /already exists/);
      await admin.call((api) => api.hosts.create({ name: "dup-host", managementAddress: "192.0.2.50" }));
      await refused(
        () => admin.call((api) => api.hosts.create({ name: "dup-host", managementAddress: "192.0.2.51" })),
        "CONFLICT",
        "name",
        /already exists/,
      );
      await refused(
        () => admin.call((api) => api.directors.add({ clusterId: web.id, hostId: "no-such-host", priority: 100 })),
        "BAD_REQUEST",
        "hostId",
        /Unknown host/,
      );
      await refused(
        () => admin.call((api) => api.services.create(svc({ port: 8443, realServers: [{ hostId: "no-such-host" }] }))),
        "BAD_REQUEST",
        "realServers.0.hostId",
        /Unknown host/,
      );
    });
  });

  describe("the HTTP error format", () => {
    it("carries fieldErrors and a readable message in the JSON error", async () => {
      const res = await fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request("http://panel.test/api/trpc/services.create", {
          method: "POST",
          headers: {
            host: "panel.test",
            origin: "http://panel.test",
            "content-type": "application/json",
            cookie: `lvs_session=${admin.cookie}`,
          },
          body: JSON.stringify({ clusterId: web.id, protocol: "TCP", address: "192.0.2.300", port: 0 }),
        }),
        router: appRouter,
        createContext: ({ req, resHeaders }) => createContext({ req, resHeaders, db: t.db }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { message: string; data: { code: string; fieldErrors: Record<string, string[]> } } };
      expect(body.error.data.code).toBe("BAD_REQUEST");
      expect(body.error.message).toBe("Not a valid IPv4 or IPv6 address");
      expect(body.error.data.fieldErrors).toEqual({
        address: ["Not a valid IPv4 or IPv6 address"],
        port: ["Port must be between 1 and 65535"],
      });
    });
  });

  describe("services, real servers, hosts and directors", () => {
    it("creates the media VIP with two ports and a FWMARK service; lists in VIP order with real servers nested", async () => {
      for (const port of [554, 8554]) {
        await admin.call((api) =>
          api.services.create({
            clusterId: web.id,
            protocol: "TCP",
            address: "192.0.2.30",
            port,
            scheduler: "rr",
            persistenceTimeout: 3600,
            realServers: [{ address: "10.0.1.1" }, { address: "10.0.1.2" }],
          }),
        );
      }
      await admin.call((api) =>
        api.services.create({ clusterId: web.id, protocol: "FWMARK", address: "192.0.2.9", fwmark: 7, scheduler: "sh", schedulerFlags: ["sh-port"] }),
      );
      const page = await admin.call((api) => api.services.list({ clusterId: web.id, page: 1, pageSize: 50 }));
      const labels = page.items.map((s) => `${s.protocol} ${s.address} ${s.port ?? s.fwmark}`);
      expect(labels).toEqual([
        "FWMARK 192.0.2.9 7",
        "TCP 192.0.2.10 80",
        "TCP 192.0.2.30 554",
        "TCP 192.0.2.30 8554",
        "TCP 2001:db8::10 443",
      ]);
      const first = page.items.find((s) => s.port === 80)!;
      expect(first.realServers.map((r) => [r.address, r.port, r.forwarding, r.weight])).toEqual([
        ["10.0.0.1", null, "DR", 100],
        ["10.0.0.2", null, "DR", 100],
        ["10.0.0.3", null, "DR", 50],
      ]);
      expect(first).toMatchObject({ scheduler: "wlc", persistenceTimeout: 120, family: "ipv4" });
    });

    it("filters by protocol and searches VIPs, real servers and descriptions; paginates with a total", async () => {
      const fw = await admin.call((api) => api.services.list({ clusterId: web.id, protocol: "FWMARK" }));
      expect(fw.items.map((s) => s.fwmark)).toEqual([7]);
      const byRealServer = await admin.call((api) => api.services.list({ clusterId: web.id, search: "10.0.1.2" }));
      expect(byRealServer.items.map((s) => s.port)).toEqual([554, 8554]);
      const byVipPort = await admin.call((api) => api.services.list({ clusterId: web.id, search: "192.0.2.30:8554" }));
      expect(byVipPort.total).toBe(1);
      const page2 = await admin.call((api) => api.services.list({ clusterId: web.id, page: 2, pageSize: 2 }));
      expect(page2).toMatchObject({ total: 5, page: 2, pageSize: 2 });
      expect(page2.items.map((s) => s.port)).toEqual([554, 8554]);
      expect((await expectError(admin.call((api) => api.services.list({ clusterId: "nope" })))).code).toBe("NOT_FOUND");
    });

    it("search is a plain substring match: LIKE wildcards in the query are not wildcards", async () => {
      const c = await admin.call((api) => api.clusters.create({ name: "search-test" }));
      await admin.call((api) => api.services.create({ clusterId: c.id, protocol: "TCP", address: "198.51.100.1", port: 80, description: "Spring_Sale 50%" }));
      await admin.call((api) => api.services.create({ clusterId: c.id, protocol: "TCP", address: "198.51.100.2", port: 80, description: "springxsale" }));
      const total = async (search: string) => (await admin.call((api) => api.services.list({ clusterId: c.id, search }))).total;
      expect(await total("spring_sale")).toBe(1);
      expect(await total("SPRING")).toBe(2);
      expect(await total("50%")).toBe(1);
      expect(await total("198.51.100.2:80")).toBe(1);
    });

    it("changes a weight and keeps real servers following the service port", async () => {
      const rs = webService.realServers[2];
      const updated = await admin.call((api) => api.realServers.update({ id: rs.id, weight: 0 }));
      expect(updated.weight).toBe(0);
      const moved = await admin.call((api) => api.services.update({ id: webService.id, port: 8080 }));
      expect(moved.port).toBe(8080);
      expect(moved.realServers.every((r) => r.port === null)).toBe(true);
      // The endpoint identity followed the port: adding 10.0.0.1:8080 is a duplicate now.
      const dup = await expectError(admin.call((api) => api.realServers.create({ virtualServiceId: webService.id, address: "10.0.0.1", port: 8080 })));
      expect(dup.code).toBe("CONFLICT");
      await admin.call((api) => api.services.update({ id: webService.id, port: 80 }));
    });

    it("host-backed real servers take the host's address; hosts in use cannot be deleted", async () => {
      const host = await admin.call((api) =>
        api.hosts.create({
          name: "rs-7",
          managementAddress: "10.0.0.7",
          interfaces: [{ name: "eth0", addresses: ["10.0.0.7/24"] }],
          labels: { rack: "r1" },
        }),
      );
      const rs = await admin.call((api) => api.realServers.create({ virtualServiceId: webService.id, hostId: host.id }));
      expect(rs).toMatchObject({ address: "10.0.0.7", hostId: host.id, host: { name: "rs-7" } });
      const director = await admin.call((api) => api.hosts.create({ name: "lb-1", managementAddress: "192.0.2.2" }));
      const membership = await admin.call((api) => api.directors.add({ clusterId: web.id, hostId: director.id, priority: 150 }));
      expect((await expectError(admin.call((api) => api.directors.add({ clusterId: web.id, hostId: director.id, priority: 100 })))).code).toBe(
        "CONFLICT",
      );
      const detail = await admin.call((api) => api.clusters.get({ id: web.id }));
      expect(detail.directors.map((d) => [d.host.name, d.priority])).toEqual([["lb-1", 150]]);
      await admin.call((api) => api.directors.update({ id: membership.id, priority: 200 }));

      const before = await databaseSnapshot(t.db);
      expect((await expectError(admin.call((api) => api.hosts.delete({ id: host.id })))).message).toMatch(/real server in 1 virtual service/);
      expect((await expectError(admin.call((api) => api.hosts.delete({ id: director.id })))).message).toMatch(/directs web/);
      expect(await databaseSnapshot(t.db)).toBe(before);

      await admin.call((api) => api.realServers.delete({ id: rs.id }));
      await admin.call((api) => api.hosts.delete({ id: host.id }));
      const hosts = await admin.call((api) => api.hosts.list());
      expect(hosts.find((h) => h.name === "lb-1")?.directorOf).toEqual([{ clusterId: web.id, clusterName: "web", priority: 200 }]);
    });

    it("deleting a cluster cascades to its directors, services and real servers but keeps hosts and audit", async () => {
      const c = await admin.call((api) => api.clusters.create({ name: "doomed" }));
      const h = await admin.call((api) => api.hosts.create({ name: "lb-doomed", managementAddress: "192.0.2.200" }));
      await admin.call((api) => api.directors.add({ clusterId: c.id, hostId: h.id, priority: 100 }));
      await admin.call((api) =>
        api.services.create({ clusterId: c.id, protocol: "UDP", address: "198.51.100.53", port: 53, realServers: [{ address: "10.2.0.1" }, { address: "10.2.0.2" }] }),
      );
      const before = await countRows(t.db);
      const summary = (await admin.call((api) => api.clusters.list())).find((x) => x.id === c.id)!;
      expect(summary).toMatchObject({ directorCount: 1, serviceCount: 1, realServerCount: 2 });
      await admin.call((api) => api.clusters.delete({ id: c.id }));
      const after = await countRows(t.db);
      expect(after).toMatchObject({
        clusters: before.clusters - 1,
        directors: before.directors - 1,
        services: before.services - 1,
        realServers: before.realServers - 2,
        hosts: before.hosts,
        auditEvents: before.auditEvents + 1,
      });
      // The host is free again.
      await admin.call((api) => api.hosts.delete({ id: h.id }));
      // The VIP:port is free for another cluster now.
      await admin.call((api) => api.services.create({ clusterId: other.id, protocol: "UDP", address: "198.51.100.53", port: 53 }));
    });

    it("deleting a service removes its real servers", async () => {
      const s = await admin.call((api) =>
        api.services.create({ clusterId: other.id, protocol: "TCP", address: "198.51.100.80", port: 80, realServers: [{ address: "10.3.0.1" }] }),
      );
      const before = await countRows(t.db);
      await admin.call((api) => api.services.delete({ id: s.id }));
      expect(await countRows(t.db)).toMatchObject({ services: before.services - 1, realServers: before.realServers - 1 });
      expect((await expectError(admin.call((api) => api.services.get({ id: s.id })))).code).toBe("NOT_FOUND");
    });
  });
});
