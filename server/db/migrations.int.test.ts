/**
 * The committed migrations produce exactly the database that the current
 * schema describes (no drift: a schema edit without a migration fails here).
 * Compares a database migrated with `migrate deploy` against one built from
 * `migrate diff --from-empty --to-schema-datamodel` of the current schema.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { createClient } from "@libsql/client";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createTestDatabase, testDatabaseKinds } from "@/server/testing/harness";
import { schemaPath } from "./url";

const root = path.resolve(__dirname, "..", "..");

function schemaSql(kind: "sqlite" | "postgres", url: string): string {
  return execFileSync(
    path.join(root, "node_modules", ".bin", "prisma"),
    ["migrate", "diff", "--from-empty", "--to-schema-datamodel", schemaPath(kind), "--script"],
    { cwd: root, encoding: "utf8", env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1" } },
  );
}

async function describeSqlite(url: string): Promise<string[]> {
  const c = createClient({ url });
  const rows = await c.execute(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '_prisma%' AND name NOT LIKE 'sqlite_%' ORDER BY type, name",
  );
  c.close();
  return rows.rows.map((r) => `${r.type} ${r.name} ${r.tbl_name}: ${String(r.sql).replace(/\s+/g, " ")}`);
}

async function describePostgres(url: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const columns = await c.query(
    `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name NOT LIKE '_prisma%' ORDER BY table_name, column_name`,
  );
  const indexes = await c.query(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename NOT LIKE '_prisma%' ORDER BY indexname`);
  const fks = await c.query(
    `SELECT tc.constraint_name, tc.table_name, rc.delete_rule, rc.update_rule FROM information_schema.table_constraints tc
     JOIN information_schema.referential_constraints rc ON rc.constraint_name = tc.constraint_name
     WHERE tc.table_schema = 'public' ORDER BY tc.constraint_name`,
  );
  await c.end();
  return [
    ...columns.rows.map((r) => `column ${r.table_name}.${r.column_name} ${r.data_type} ${r.is_nullable} ${r.column_default}`),
    ...indexes.rows.map((r) => `index ${r.indexname}: ${r.indexdef}`),
    ...fks.rows.map((r) => `fk ${r.constraint_name} ${r.table_name} delete ${r.delete_rule} update ${r.update_rule}`),
  ];
}

describe.each(testDatabaseKinds())("migrations (%s)", (kind) => {
  it("match the current schema", async () => {
    const migrated = await createTestDatabase(kind);
    try {
      const sql = schemaSql(kind, migrated.url);
      if (kind === "sqlite") {
        const scratchUrl = migrated.url.replace(/test\.db$/, "scratch.db");
        const c = createClient({ url: scratchUrl });
        await c.executeMultiple(sql);
        c.close();
        expect(await describeSqlite(migrated.url)).toEqual(await describeSqlite(scratchUrl));
      } else {
        const admin = new pg.Client({ connectionString: process.env.TEST_POSTGRES_URL });
        await admin.connect();
        const name = `lvs_scratch_${Date.now()}`;
        await admin.query(`CREATE DATABASE ${name}`);
        const u = new URL(process.env.TEST_POSTGRES_URL!);
        u.pathname = `/${name}`;
        try {
          const c = new pg.Client({ connectionString: u.toString() });
          await c.connect();
          await c.query(sql);
          await c.end();
          expect(await describePostgres(migrated.url)).toEqual(await describePostgres(u.toString()));
        } finally {
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          await admin.end();
        }
      }
    } finally {
      await migrated.destroy();
    }
  });
});
