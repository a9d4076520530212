/**
 * Integration-test harness: a fresh, migrated database per test file (SQLite
 * temp file, or a new database on TEST_POSTGRES_URL), and "browser" clients
 * that call tRPC procedures through createCaller with real request headers,
 * keeping the session cookie like a browser would.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDatabase, type Database } from "@/server/db";
import { deployMigrations } from "@/server/db/deploy";
import { resetLoginLimits } from "@/server/services/auth/rate-limit";
import { createContext } from "@/server/trpc/context";
import { SESSION_COOKIE } from "@/server/services/auth/secrets";
import { appRouter, createCaller } from "@/server/trpc/root";
import { TRPCError } from "@trpc/server";
import { getErrorShape } from "@trpc/server/unstable-core-do-not-import";

export type Caller = ReturnType<typeof createCaller>;

export type DbKind = "sqlite" | "postgres";

export interface TestDatabase {
  kind: DbKind;
  url: string;
  db: Database;
  destroy(): Promise<void>;
}

/**
 * The database kinds to run against: SQLite always, PostgreSQL when
 * TEST_POSTGRES_URL is set. TEST_REQUIRE_POSTGRES=1 turns a missing
 * TEST_POSTGRES_URL into an error instead of a SQLite-only run.
 */
export function testDatabaseKinds(): DbKind[] {
  if (process.env.TEST_POSTGRES_URL) return ["sqlite", "postgres"];
  if (process.env.TEST_REQUIRE_POSTGRES === "1") {
    throw new Error("TEST_REQUIRE_POSTGRES=1 but TEST_POSTGRES_URL is not set (scripts/pg-private.sh start)");
  }
  return ["sqlite"];
}

export async function createTestDatabase(kind: DbKind): Promise<TestDatabase> {
  if (kind === "sqlite") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-test-"));
    const url = `file:${path.join(dir, "test.db")}`;
    await deployMigrations(url, { quiet: true });
    const db = await openDatabase(url);
    return {
      kind,
      url,
      db,
      async destroy() {
        await db.close();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const adminUrl = process.env.TEST_POSTGRES_URL;
  if (!adminUrl) throw new Error("TEST_POSTGRES_URL is not set (scripts/pg-private.sh start)");
  const name = `lvs_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  await deployMigrations(url, { quiet: true });
  const db = await openDatabase(url);
  return {
    kind,
    url,
    db,
    async destroy() {
      await closeWithin(db, 5000);
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * Closes the client, but gives up after `ms`: a pg driver-adapter client whose
 * serializable transaction failed with TransactionWriteConflict is not always
 * released to the pool (seen with @prisma/adapter-pg 7.10.1 + client 6.19.3), and
 * pool.end() then waits forever. DROP DATABASE … WITH (FORCE) ends it anyway.
 */
async function closeWithin(db: Database, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      console.warn(`test database: the client did not close within ${ms} ms (a pool connection was not released); dropping the database anyway`);
      resolve();
    }, ms);
  });
  await Promise.race([db.close(), gaveUp]);
  clearTimeout(timer);
}

export const PANEL_ORIGIN = "http://panel.test";

export interface ClientOptions {
  /** Defaults to 198.51.100.10 */
  clientAddress?: string;
  /** Origin header; null = none (non-browser). Defaults to the panel's origin. */
  origin?: string | null;
  bearer?: string;
}

/** A client with a cookie jar, like a browser tab (or a script with a bearer token). */
export class TestClient {
  cookie: string | null = null;
  lastSetCookie: string[] = [];

  constructor(
    private readonly db: Database,
    private readonly options: ClientOptions = {},
  ) {}

  /** Runs fn with a caller for one request (fresh context); cookies it sets land in the jar. */
  async call<T>(fn: (api: Caller) => Promise<T>): Promise<T> {
    const headers = new Headers({ host: "panel.test", "user-agent": "vitest" });
    headers.set("x-lvs-client-address", this.options.clientAddress ?? "198.51.100.10");
    const origin = this.options.origin === undefined ? PANEL_ORIGIN : this.options.origin;
    if (origin) headers.set("origin", origin);
    if (this.cookie) headers.set("cookie", `${SESSION_COOKIE}=${this.cookie}`);
    if (this.options.bearer) headers.set("authorization", `Bearer ${this.options.bearer}`);
    const resHeaders = new Headers();
    const ctx = await createContext({ req: new Request(`${PANEL_ORIGIN}/api/trpc`, { headers }), resHeaders, db: this.db });
    try {
      return await fn(createCaller(ctx));
    } finally {
      this.absorb(resHeaders);
    }
  }

  private absorb(resHeaders: Headers) {
    this.lastSetCookie = resHeaders.getSetCookie();
    for (const c of this.lastSetCookie) {
      const m = c.match(new RegExp(`^${SESSION_COOKIE}=([^;]*)`));
      if (m) this.cookie = /Max-Age=0/.test(c) || m[1] === "" ? null : m[1];
    }
  }
}

export const ADMIN = { username: "admin", password: "correct horse battery" };

/** Sets up the panel (first-run admin) and returns the signed-in admin client. */
export async function setupAdmin(db: Database): Promise<TestClient> {
  resetLoginLimits();
  const admin = new TestClient(db);
  await admin.call((api) => api.auth.setup(ADMIN));
  return admin;
}

/** Creates a user as admin and returns a signed-in client for them. */
export async function userClient(
  db: Database,
  admin: TestClient,
  username: string,
  role: "viewer" | "operator" | "admin",
  options: ClientOptions = {},
): Promise<TestClient> {
  const password = `${username} password 123`;
  await admin.call((api) => api.users.create({ username, password, role }));
  const client = new TestClient(db, options);
  await client.call((api) => api.auth.login({ username, password }));
  return client;
}

/** The error as a client receives it: the router's errorFormatter output (message, code, fieldErrors). */
export async function expectError(promise: Promise<unknown>): Promise<{
  code: string;
  httpStatus: number;
  message: string;
  fieldErrors: Record<string, string[]> | null;
  retryAfterSeconds: number | null;
}> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    const shape = getErrorShape({ config: appRouter._def._config, error: err, type: "unknown", path: undefined, input: undefined, ctx: undefined });
    return {
      code: shape.data.code,
      httpStatus: shape.data.httpStatus,
      message: shape.message,
      fieldErrors: shape.data.fieldErrors,
      retryAfterSeconds: shape.data.retryAfterSeconds,
    };
  }
  throw new Error("expected the call to fail, it succeeded");
}
