/**
 * Database selection by DATABASE_URL, shared by the runtime client
 * (server/db), prisma.config.ts and the db scripts.
 *
 *   unset / empty            → file:./data/lvs-control.db (SQLite through libSQL)
 *   file:…                   → SQLite
 *   postgres:// postgresql:// → PostgreSQL through the pg adapter
 */
import fs from "node:fs";
import path from "node:path";

export const DEFAULT_DATABASE_URL = "file:./data/lvs-control.db";

export type DatabaseKind = "sqlite" | "postgres";

export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL?.trim();
  return url ? url : DEFAULT_DATABASE_URL;
}

export function databaseKind(url: string): DatabaseKind {
  if (/^postgres(ql)?:\/\//i.test(url)) return "postgres";
  if (/^file:/i.test(url)) return "sqlite";
  throw new Error(`Unsupported DATABASE_URL scheme (use file:… or postgresql://…): ${url.replace(/\/\/[^@/]*@/, "//***@")}`);
}

/** The schema file for a database kind, relative to the repository root. */
export function schemaPath(kind: DatabaseKind): string {
  return kind === "postgres" ? "prisma/postgres/schema.prisma" : "prisma/schema.prisma";
}

/** Makes sure the directory of a SQLite file exists (the default data/ on first start). */
export function ensureSqliteDirectory(url: string): void {
  const file = url.replace(/^file:/i, "").split("?")[0];
  if (file === "" || file === ":memory:") return;
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
}

/** Removes credentials from a URL for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*)(:[^@/]*)?@/, "//$1:***@");
}
