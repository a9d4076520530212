/**
 * Transactions and error translation for the repositories. Services get an
 * opaque transaction handle (Tx) and pass it back to repository functions;
 * they never see Prisma types.
 */
import type { Database } from "@/server/db";
import type { Prisma } from "@/server/db/generated/sqlite/client";

export type Tx = Prisma.TransactionClient;

/** Database constraint violations, translated for the services. */
export class ConstraintError extends Error {
  constructor(
    readonly kind: "unique" | "foreignKey" | "notFound",
    message: string,
    readonly target?: string,
  ) {
    super(message);
  }
}

function translate(err: unknown): unknown {
  const e = err as { code?: string; meta?: { target?: unknown; modelName?: string; field_name?: string } };
  if (e && typeof e === "object" && typeof e.code === "string") {
    if (e.code === "P2002") return new ConstraintError("unique", "Already exists", String(e.meta?.target ?? ""));
    if (e.code === "P2003" || e.code === "P2014") {
      return new ConstraintError("foreignKey", "Still in use", String(e.meta?.field_name ?? ""));
    }
    if (e.code === "P2025") return new ConstraintError("notFound", "Not found");
  }
  return err;
}

export interface TransactionOptions {
  /**
   * Checks that read before they write (e.g. "no other cluster uses this
   * VIP:port") need SERIALIZABLE isolation on PostgreSQL to be race-free;
   * SQLite serialises write transactions anyway. Serialization failures are
   * retried a few times.
   */
  serializable?: boolean;
}

/** Runs fn in one database transaction: everything it writes commits together or not at all. */
export async function transaction<T>(db: Database, fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
  const serializable = options.serializable === true && db.kind === "postgres";
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.client.$transaction(fn, {
        maxWait: 10_000,
        timeout: 30_000,
        ...(serializable ? { isolationLevel: "Serializable" as const } : {}),
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      // P2034 from the client, or the pg driver adapter's own error when PostgreSQL aborts a statement (40001)
      const serializationFailure =
        code === "P2034" || /could not serialize|40001|TransactionWriteConflict/.test(`${(err as Error).name} ${String((err as Error).message)}`);
      if (serializable && serializationFailure && attempt < 4) continue;
      throw translate(err);
    }
  }
}

/** transaction() with SERIALIZABLE isolation on PostgreSQL (see TransactionOptions). */
export function serializableTransaction<T>(db: Database, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(db, fn, { serializable: true });
}

/**
 * Runs several reads as one consistent snapshot: a page that shows one table's
 * row next to another's (a deployment's status beside the host's applied
 * generation) must not mix a write's before and after. On PostgreSQL READ
 * COMMITTED gives each statement its own snapshot, so this uses the
 * serializable transaction (with its retries); SQLite transactions always read
 * one snapshot.
 */
export function snapshotRead<T>(db: Database, fn: (q: Tx) => Promise<T>): Promise<T> {
  return transaction(db, fn, { serializable: true });
}

/** Runs a read outside a transaction with the same error translation. */
export async function read<T>(db: Database, fn: (q: Tx) => Promise<T>): Promise<T> {
  try {
    return await fn(db.client);
  } catch (err) {
    throw translate(err);
  }
}

export const iso = (d: Date): string => d.toISOString();
export const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);
