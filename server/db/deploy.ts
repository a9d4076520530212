/** Applies the committed migrations for a database URL with `prisma migrate deploy`. */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { databaseKind, databaseUrl, ensureSqliteDirectory, redactUrl, schemaPath } from "./url";

const run = promisify(execFile);
const root = path.resolve(__dirname, "..", "..");

export async function deployMigrations(url: string = databaseUrl(), options: { quiet?: boolean } = {}): Promise<void> {
  const kind = databaseKind(url);
  if (kind === "sqlite") ensureSqliteDirectory(url);
  const prismaBin = path.join(root, "node_modules", ".bin", "prisma");
  try {
    const { stdout } = await run(prismaBin, ["migrate", "deploy", "--schema", schemaPath(kind)], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    });
    if (!options.quiet) {
      const applied = stdout.split("\n").filter((l) => /└─ \d{14}_/.test(l)).length;
      console.log(`database ${redactUrl(url)} (${kind}): ${applied ? `${applied} migration(s) applied` : "up to date"}`);
    }
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`prisma migrate deploy failed for ${redactUrl(url)}:\n${e.stderr || e.stdout || e.message}`);
  }
}
