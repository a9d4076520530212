/**
 * Authentication, roles, CSRF and API tokens through the tRPC procedures,
 * against real databases (SQLite, and PostgreSQL when TEST_POSTGRES_URL is set).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
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

describe.each(testDatabaseKinds())("auth and roles (%s)", (kind) => {
  let t: TestDatabase;
  let admin: TestClient;

  beforeAll(async () => {
    t = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await t?.destroy();
  });
  beforeEach(() => resetLoginLimits());

  describe("first run", () => {
    it("reports that setup is needed and refuses everything but status/setup/login", async () => {
      const anon = new TestClient(t.db);
      expect(await anon.call((api) => api.auth.status())).toEqual({ needsSetup: true, user: null });
      expect((await expectError(anon.call((api) => api.clusters.list()))).code).toBe("UNAUTHORIZED");
    });

    it("refuses a cross-site setup", async () => {
      const evil = new TestClient(t.db, { origin: "http://evil.test" });
      const err = await expectError(evil.call((api) => api.auth.setup({ username: "evil", password: "long enough password" })));
      expect(err.code).toBe("FORBIDDEN");
      expect((await countRows(t.db)).users).toBe(0);
    });

    it("refuses a weak admin password with a field error and creates nothing", async () => {
      const anon = new TestClient(t.db);
      const err = await expectError(anon.call((api) => api.auth.setup({ username: "admin", password: "short" })));
      expect(err.code).toBe("BAD_REQUEST");
      expect(err.fieldErrors?.password?.[0]).toMatch(/at least 12/);
      expect((await countRows(t.db)).users).toBe(0);
    });

    it("creates the admin once (even when four setups race), signs them in with a hardened cookie", async () => {
      const racers = await Promise.allSettled(
        [1, 2, 3, 4].map((i) => new TestClient(t.db).call((api) => api.auth.setup({ username: `racer${i}`, password: "long enough password" }))),
      );
      expect(racers.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect((await countRows(t.db)).users).toBe(1);
      // Start this suite from a clean first run again.
      const winner = racers.findIndex((r) => r.status === "fulfilled") + 1;
      await t.destroy();
      t = await createTestDatabase(kind);
      expect(winner).toBeGreaterThan(0);

      admin = await setupAdmin(t.db);
      expect(admin.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const setCookie = admin.lastSetCookie.join("\n");
      expect(setCookie).toMatch(/lvs_session=.*; Path=\/; HttpOnly; SameSite=Strict/);
      expect(setCookie).not.toMatch(/Secure/); // plain http in tests
      expect(await admin.call((api) => api.auth.status())).toEqual({
        needsSetup: false,
        user: expect.objectContaining({ username: "admin", role: "admin", via: "session" }),
      });

      const before = await databaseSnapshot(t.db);
      const err = await expectError(
        new TestClient(t.db).call((api) => api.auth.setup({ username: "second", password: "another long password" })),
      );
      expect(err.code).toBe("FORBIDDEN");
      expect(await databaseSnapshot(t.db)).toBe(before);
    });
  });

  describe("login and logout", () => {
    it("signs in with the right password and out again; the old cookie stops working", async () => {
      const browser = new TestClient(t.db);
      const user = await browser.call((api) => api.auth.login({ username: "ADMIN", password: ADMIN.password }));
      expect(user).toMatchObject({ username: "admin", role: "admin" });
      const cookie = browser.cookie;
      expect(cookie).toBeTruthy();
      expect((await browser.call((api) => api.auth.me())).username).toBe("admin");

      await browser.call((api) => api.auth.logout());
      expect(browser.cookie).toBeNull();
      expect(browser.lastSetCookie.join()).toMatch(/Max-Age=0/);

      const replay = new TestClient(t.db);
      replay.cookie = cookie;
      const err = await expectError(replay.call((api) => api.auth.me()));
      expect(err.code).toBe("UNAUTHORIZED");
      expect(err.message).toMatch(/session has ended/);
    });

    it("refuses a wrong password and an unknown user with the same answer", async () => {
      const a = await expectError(new TestClient(t.db).call((api) => api.auth.login({ username: "admin", password: "wrong password!" })));
      const b = await expectError(new TestClient(t.db).call((api) => api.auth.login({ username: "nobody", password: "wrong password!" })));
      expect(a).toMatchObject({ code: "UNAUTHORIZED", message: "Wrong username or password" });
      expect(b).toMatchObject({ code: "UNAUTHORIZED", message: "Wrong username or password" });
    });

    it("rate-limits a username after 5 failures, even with the right password, without blocking others", async () => {
      const attacker = new TestClient(t.db, { clientAddress: "203.0.113.66" });
      for (let i = 0; i < 5; i++) {
        expect((await expectError(attacker.call((api) => api.auth.login({ username: "admin", password: `guess ${i} xxxxx` })))).code).toBe(
          "UNAUTHORIZED",
        );
      }
      const limited = await expectError(attacker.call((api) => api.auth.login({ username: "admin", password: ADMIN.password })));
      expect(limited.code).toBe("TOO_MANY_REQUESTS");
      expect(limited.httpStatus).toBe(429);
      expect(limited.message).toMatch(/try again in 15 minutes/);
      expect(limited.retryAfterSeconds).toBeGreaterThan(800);

      // Another account from another address is unaffected.
      const other = await userClient(t.db, admin, "rl-other", "viewer", { clientAddress: "198.51.100.77" });
      expect((await other.call((api) => api.auth.me())).username).toBe("rl-other");
    });

    it("rate-limits a client address after 20 failures across usernames", async () => {
      const sprayer = new TestClient(t.db, { clientAddress: "203.0.113.99" });
      for (let i = 0; i < 20; i++) {
        await expectError(sprayer.call((api) => api.auth.login({ username: `user${i}`, password: "spray password" })));
      }
      const limited = await expectError(sprayer.call((api) => api.auth.login({ username: "admin", password: ADMIN.password })));
      expect(limited.code).toBe("TOO_MANY_REQUESTS");
    });

    it("changes a password: wrong current password is a field error; other sessions end", async () => {
      const user = await userClient(t.db, admin, "pw-user", "operator");
      const second = new TestClient(t.db);
      await second.call((api) => api.auth.login({ username: "pw-user", password: "pw-user password 123" }));

      const wrong = await expectError(
        user.call((api) => api.auth.changePassword({ currentPassword: "nope", newPassword: "a brand new password" })),
      );
      expect(wrong.code).toBe("BAD_REQUEST");
      expect(wrong.fieldErrors).toEqual({ currentPassword: ["Wrong password"] });

      await user.call((api) => api.auth.changePassword({ currentPassword: "pw-user password 123", newPassword: "a brand new password" }));
      expect((await user.call((api) => api.auth.me())).username).toBe("pw-user");
      expect((await expectError(second.call((api) => api.auth.me()))).code).toBe("UNAUTHORIZED");
      await new TestClient(t.db).call((api) => api.auth.login({ username: "pw-user", password: "a brand new password" }));
    });
  });

  describe("CSRF", () => {
    it("refuses cookie-authenticated mutations from another origin or without Origin; reads still work", async () => {
      const crossSite = new TestClient(t.db, { origin: "http://evil.test" });
      crossSite.cookie = admin.cookie;
      const noOrigin = new TestClient(t.db, { origin: null });
      noOrigin.cookie = admin.cookie;
      const before = await databaseSnapshot(t.db);
      for (const client of [crossSite, noOrigin]) {
        const err = await expectError(client.call((api) => api.clusters.create({ name: "csrf" })));
        expect(err).toMatchObject({ code: "FORBIDDEN", message: "Cross-site request refused" });
        expect(Array.isArray(await client.call((api) => api.clusters.list()))).toBe(true);
      }
      expect(await databaseSnapshot(t.db)).toBe(before);
    });
  });

  describe("roles", () => {
    it("a viewer reads but every mutation is FORBIDDEN and the database is unchanged", async () => {
      const cluster = await admin.call((api) => api.clusters.create({ name: "viewer-test" }));
      const viewer = await userClient(t.db, admin, "vera", "viewer");
      expect((await viewer.call((api) => api.clusters.list())).map((c) => c.name)).toContain("viewer-test");
      await viewer.call((api) => api.services.list({ clusterId: cluster.id }));
      await viewer.call((api) => api.audit.list({}));

      const before = await databaseSnapshot(t.db);
      const attempts = [
        () => viewer.call((api) => api.clusters.create({ name: "nope" })),
        () => viewer.call((api) => api.clusters.delete({ id: cluster.id })),
        () => viewer.call((api) => api.services.create({ clusterId: cluster.id, protocol: "TCP", address: "192.0.2.1", port: 80 })),
        () => viewer.call((api) => api.hosts.create({ name: "h", managementAddress: "192.0.2.2" })),
        () => viewer.call((api) => api.users.list()),
        () => viewer.call((api) => api.tokens.create({ name: "t", role: "admin" })),
      ];
      for (const attempt of attempts) {
        const err = await expectError(attempt());
        expect(err.code).toBe("FORBIDDEN");
        expect(err.message).toMatch(/needs the (operator|admin) role; you are a viewer/);
      }
      expect(await databaseSnapshot(t.db)).toBe(before);
    });

    it("an operator edits clusters but cannot manage users or tokens", async () => {
      const operator = await userClient(t.db, admin, "otto", "operator");
      const cluster = await operator.call((api) => api.clusters.create({ name: "operator-test" }));
      expect(cluster.name).toBe("operator-test");
      const before = await databaseSnapshot(t.db);
      for (const attempt of [
        () => operator.call((api) => api.users.list()),
        () => operator.call((api) => api.users.create({ username: "mallory", password: "long enough password", role: "admin" })),
        () => operator.call((api) => api.tokens.list()),
        () => operator.call((api) => api.tokens.create({ name: "t", role: "viewer" })),
      ]) {
        expect((await expectError(attempt())).code).toBe("FORBIDDEN");
      }
      expect(await databaseSnapshot(t.db)).toBe(before);
    });

    it("protects the last admin and your own account", async () => {
      const me = await admin.call((api) => api.auth.me());
      const users = await admin.call((api) => api.users.list());
      const self = users.find((u) => u.username === "admin")!;
      expect(me.id).toBe(self.id);
      expect((await expectError(admin.call((api) => api.users.delete({ id: self.id })))).code).toBe("CONFLICT");
      expect((await expectError(admin.call((api) => api.users.update({ id: self.id, disabled: true })))).fieldErrors?.disabled).toBeTruthy();
      const demote = await expectError(admin.call((api) => api.users.update({ id: self.id, role: "operator" })));
      expect(demote.code).toBe("CONFLICT");
      expect(demote.fieldErrors?.role?.[0]).toMatch(/last active admin/);
    });

    it("disabling a user ends their sessions and blocks login; usernames are unique", async () => {
      const dan = await userClient(t.db, admin, "dan", "operator");
      const id = (await dan.call((api) => api.auth.me())).id;
      await admin.call((api) => api.users.update({ id, disabled: true }));
      expect((await expectError(dan.call((api) => api.auth.me()))).code).toBe("UNAUTHORIZED");
      const login = await expectError(new TestClient(t.db).call((api) => api.auth.login({ username: "dan", password: "dan password 123" })));
      expect(login.code).toBe("FORBIDDEN");
      const dup = await expectError(admin.call((api) => api.users.create({ username: "Dan", password: "long enough password", role: "viewer" })));
      expect(dup).toMatchObject({ code: "CONFLICT", fieldErrors: { username: ["The username dan is taken"] } });
    });
  });

  describe("every procedure checks its role on the server", () => {
    const PUBLIC = ["auth.status", "auth.setup", "auth.login"];
    const ADMIN_ONLY = /^(users|tokens)\./;
    const VIEWER_MUTATIONS = ["auth.logout", "auth.changePassword"];
    const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>);
    const minimumRole = (path: string, type: string) =>
      PUBLIC.includes(path)
        ? "public"
        : ADMIN_ONLY.test(path)
          ? "admin"
          : type === "query" || VIEWER_MUTATIONS.includes(path)
            ? "viewer"
            : "operator";
    const invoke = (api: Caller, path: string) =>
      (path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], api) as (input: unknown) => Promise<unknown>)({});

    it("anonymous callers get UNAUTHORIZED everywhere but status/setup/login", async () => {
      const anon = new TestClient(t.db);
      for (const [path, p] of procedures) {
        if (minimumRole(path, p._def.type) === "public") continue;
        expect((await expectError(anon.call((api) => invoke(api, path)))).code, path).toBe("UNAUTHORIZED");
      }
    });

    it("viewers and operators get FORBIDDEN above their role, before any input is looked at", async () => {
      const viewer = await userClient(t.db, admin, "role-viewer", "viewer");
      const operator = await userClient(t.db, admin, "role-operator", "operator");
      const before = await databaseSnapshot(t.db);
      let checked = 0;
      for (const [path, p] of procedures) {
        const role = minimumRole(path, p._def.type);
        if (role === "operator" || role === "admin") {
          expect((await expectError(viewer.call((api) => invoke(api, path)))).code, path).toBe("FORBIDDEN");
          checked++;
        }
        if (role === "admin") expect((await expectError(operator.call((api) => invoke(api, path)))).code, path).toBe("FORBIDDEN");
      }
      expect(checked).toBeGreaterThanOrEqual(22);
      expect(await databaseSnapshot(t.db)).toBe(before);
    });
  });

  describe("API tokens", () => {
    it("authenticates with the bearer secret (shown once, stored hashed), within its role, until revoked", async () => {
      const created = await admin.call((api) => api.tokens.create({ name: "ci deploy", role: "operator" }));
      expect(created.secret).toMatch(/^lvsc_[A-Za-z0-9_-]{43}$/);
      expect(created.token.prefix).toBe(created.secret.slice(0, 11));
      expect(await databaseSnapshot(t.db)).not.toContain(created.secret);
      const listed = await admin.call((api) => api.tokens.list());
      expect(JSON.stringify(listed)).not.toContain(created.secret);

      // No Origin header: a script, not a browser — fine for bearer tokens.
      const bot = new TestClient(t.db, { bearer: created.secret, origin: null });
      expect(await bot.call((api) => api.auth.me())).toMatchObject({ username: "token:ci deploy", role: "operator", via: "token" });
      const cluster = await bot.call((api) => api.clusters.create({ name: "from-token" }));
      expect((await expectError(bot.call((api) => api.users.list()))).code).toBe("FORBIDDEN");
      const events = await admin.call((api) => api.audit.list({ entityType: "cluster" }));
      const event = events.items.find((e) => e.entityId === cluster.id)!;
      expect(event.actor).toEqual({ userId: null, tokenId: created.token.id, name: "token:ci deploy" });
      expect((await admin.call((api) => api.tokens.list())).find((x) => x.id === created.token.id)?.lastUsedAt).not.toBeNull();

      await admin.call((api) => api.tokens.revoke({ id: created.token.id }));
      const revoked = await expectError(bot.call((api) => api.clusters.list()));
      expect(revoked).toMatchObject({ code: "UNAUTHORIZED", message: "This API token was revoked" });
      expect((await expectError(admin.call((api) => api.tokens.revoke({ id: created.token.id })))).code).toBe("CONFLICT");
    });

    it("a viewer token cannot mutate; an unknown token is refused", async () => {
      const { secret } = await admin.call((api) => api.tokens.create({ name: "dashboards", role: "viewer" }));
      const bot = new TestClient(t.db, { bearer: secret, origin: null });
      expect((await expectError(bot.call((api) => api.clusters.create({ name: "x" })))).code).toBe("FORBIDDEN");
      const unknown = new TestClient(t.db, { bearer: "lvsc_not-a-real-token", origin: null });
      expect(await expectError(unknown.call((api) => api.clusters.list()))).toMatchObject({ code: "UNAUTHORIZED", message: "Unknown API token" });
    });
  });
});
