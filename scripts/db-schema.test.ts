import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { POSTGRES_SCHEMA, SQLITE_SCHEMA, postgresSchemaFrom } from "./db-schema";

const root = path.resolve(__dirname, "..");

describe("the PostgreSQL schema", () => {
  it("is the committed, up-to-date derivation of prisma/schema.prisma (run npm run db:generate)", () => {
    const expected = postgresSchemaFrom(fs.readFileSync(path.join(root, SQLITE_SCHEMA), "utf8"));
    expect(fs.readFileSync(path.join(root, POSTGRES_SCHEMA), "utf8")).toBe(expected);
  });

  it("differs only in provider and client output", () => {
    const derived = postgresSchemaFrom('generator client {\n  output = "../server/db/generated/sqlite"\n}\ndatasource db {\n  provider = "sqlite"\n}\n');
    expect(derived).toContain('provider = "postgresql"');
    expect(derived).toContain('output = "../../server/db/generated/postgres"');
    expect(() => postgresSchemaFrom("datasource db {\n  provider = \"mysql\"\n}")).toThrow(/expected provider/);
  });

  it("each database has migrations", () => {
    for (const dir of ["prisma/migrations", "prisma/postgres/migrations"]) {
      const entries = fs.readdirSync(path.join(root, dir)).filter((e) => /^\d{14}_/.test(e));
      expect(entries.length).toBeGreaterThan(0);
    }
  });
});
