/**
 * npm run db:deploy — applies the committed migrations of the database
 * selected by DATABASE_URL (unset → file:./data/lvs-control.db) with
 * `prisma migrate deploy` (JS engine, offline). The panel start runs it.
 */
import { deployMigrations } from "../server/db/deploy";

deployMigrations()
  .then(() => process.exit(0))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
