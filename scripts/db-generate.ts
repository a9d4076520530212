/**
 * npm run db:generate
 *
 * 1. writes prisma/postgres/schema.prisma from prisma/schema.prisma (provider swap);
 * 2. runs `prisma generate` for both into server/db/generated/{sqlite,postgres}.
 *
 * `--check` only verifies that the committed PostgreSQL schema is up to date.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { POSTGRES_SCHEMA, SQLITE_SCHEMA, postgresSchemaFrom } from "./db-schema";

const root = path.resolve(__dirname, "..");
const prismaBin = path.join(root, "node_modules", ".bin", "prisma");

function main() {
  const expected = postgresSchemaFrom(fs.readFileSync(path.join(root, SQLITE_SCHEMA), "utf8"));
  const target = path.join(root, POSTGRES_SCHEMA);
  const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : null;
  if (process.argv.includes("--check")) {
    if (current !== expected) {
      console.error(`${POSTGRES_SCHEMA} is out of date: run npm run db:generate`);
      process.exit(1);
    }
    console.log(`${POSTGRES_SCHEMA} is up to date`);
    return;
  }
  if (current !== expected) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, expected);
    console.log(`wrote ${POSTGRES_SCHEMA}`);
  }
  const runs: [string, string][] = [
    [SQLITE_SCHEMA, "file:./.tmp/generate.db"],
    // generate never connects; the URL only selects the provider in prisma.config.ts.
    [POSTGRES_SCHEMA, "postgresql://generate@127.0.0.1:1/generate"],
  ];
  for (const [schema, url] of runs) {
    execFileSync(prismaBin, ["generate", "--schema", schema], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
    });
  }
}

main();
