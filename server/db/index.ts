/**
 * The database client, chosen by DATABASE_URL (see ./url.ts): SQLite through
 * the libSQL driver adapter, or PostgreSQL through the pg driver adapter.
 *
 * Both generated clients come from the same data model (the PostgreSQL schema
 * is generated from the SQLite one), so they expose the same API; the
 * repositories type against the SQLite client. Only server/repositories may
 * import this module's client type.
 */
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresPrismaClient } from "./generated/postgres/client";
import { PrismaClient as SqlitePrismaClient } from "./generated/sqlite/client";
import { databaseKind, databaseUrl, ensureSqliteDirectory, type DatabaseKind } from "./url";

export type DbClient = SqlitePrismaClient;

export interface Database {
  kind: DatabaseKind;
  client: DbClient;
  close(): Promise<void>;
}

export async function openDatabase(url: string = databaseUrl()): Promise<Database> {
  const kind = databaseKind(url);
  if (kind === "postgres") {
    const adapter = new PrismaPg({ connectionString: url, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
    const client = new PostgresPrismaClient({ adapter }) as unknown as DbClient;
    return { kind, client, close: () => client.$disconnect() };
  }
  ensureSqliteDirectory(url);
  const adapter = new PrismaLibSQL({ url });
  const client = new SqlitePrismaClient({ adapter });
  // SQLite enforces foreign keys (cascades, restricts) only when asked, per connection.
  await client.$executeRawUnsafe("PRAGMA foreign_keys = ON");
  await client.$executeRawUnsafe("PRAGMA busy_timeout = 5000");
  return { kind, client, close: () => client.$disconnect() };
}

const globalForDb = globalThis as unknown as { lvsDatabase?: Promise<Database> };

/** The process-wide database (one per process; survives Next.js dev reloads). */
export function getDatabase(): Promise<Database> {
  globalForDb.lvsDatabase ??= openDatabase();
  return globalForDb.lvsDatabase;
}
