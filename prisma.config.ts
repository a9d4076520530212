/**
 * Prisma CLI configuration: JS engine with a driver adapter (no native
 * engines; works offline). The schema and adapter follow DATABASE_URL, like
 * the runtime client in server/db. DATABASE_URL is given a value before
 * anything else so Prisma never falls back to the native engine.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { databaseKind, databaseUrl, ensureSqliteDirectory, schemaPath } from "./server/db/url";

const url = databaseUrl();
process.env.DATABASE_URL = url;
const kind = databaseKind(url);
if (kind === "sqlite") ensureSqliteDirectory(url);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join(__dirname, schemaPath(kind)),
  async adapter() {
    if (kind === "postgres") {
      const { PrismaPg } = await import("@prisma/adapter-pg");
      return new PrismaPg({ connectionString: url });
    }
    const { PrismaLibSQL } = await import("@prisma/adapter-libsql");
    return new PrismaLibSQL({ url });
  },
});
