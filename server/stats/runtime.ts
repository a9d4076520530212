/**
 * Starts the stats pipeline of one panel process (issue #5): the ingest
 * (registered for getStatsIngest(), fed by the agent gateway), the `/live`
 * namespace (registered for getLiveHub()), the rollup writer (every
 * FLUSH_EVERY_MS, minutes ROLLUP_GRACE_MS after they end) and the retention job
 * (STATS_RETENTION_DAYS, default 30, every PRUNE_EVERY_MS). On PostgreSQL the
 * live namespace gets the Postgres adapter so several panel processes share
 * rooms and frames (LIVE_ADAPTER=off disables it for a single process).
 */
import pg from "pg";
import type { Server } from "socket.io";
import type { AgentGateway } from "@/server/agent-gateway/registry";
import type { Database } from "@/server/db";
import { databaseUrl } from "@/server/db/url";
import { registerLiveHub } from "@/server/live/hub";
import { attachLiveServer, prepareAdapterTable, type LiveServer } from "@/server/live/server";
import { insertRollups, pruneRollups } from "@/server/repositories/stats";
import { StatsIngestService } from "./ingest";
import { getStatsIngest, registerStatsIngest } from "./registry";
import { databaseMappingSource } from "./source";

export const FLUSH_EVERY_MS = 5_000;
export const PRUNE_EVERY_MS = 3600_000;
export const DEFAULT_RETENTION_DAYS = 30;

export function retentionDays(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.STATS_RETENTION_DAYS?.trim();
  if (!text) return DEFAULT_RETENTION_DAYS;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 3650) throw new Error(`STATS_RETENTION_DAYS must be a number of days between 0 and 3650 (got ${JSON.stringify(text)})`);
  return n;
}

export interface StatsRuntime {
  ingest: StatsIngestService;
  live: LiveServer;
  close(): Promise<void>;
}

export interface StatsRuntimeOptions {
  db: Database;
  gateway?: Pick<AgentGateway, "isOnline">;
  /** PostgreSQL URL for the adapter (default DATABASE_URL); only used when db.kind is postgres */
  databaseUrl?: string;
  /** use the Postgres adapter (default: on for PostgreSQL unless LIVE_ADAPTER=off) */
  adapter?: boolean;
  log?: (line: string) => void;
}

export async function startStatsRuntime(io: Server, options: StatsRuntimeOptions): Promise<StatsRuntime> {
  const { db } = options;
  const log = options.log ?? ((line: string) => console.log(line));
  const days = retentionDays();
  const ingest = new StatsIngestService({
    mappings: databaseMappingSource(db),
    writeRollups: async (rows) => {
      await insertRollups(db, rows);
    },
    log,
  });
  const useAdapter = db.kind === "postgres" && (options.adapter ?? process.env.LIVE_ADAPTER !== "off");
  let pool: pg.Pool | null = null;
  if (useAdapter) {
    pool = new pg.Pool({ connectionString: options.databaseUrl ?? databaseUrl(), max: 4 });
    pool.on("error", (e) => log(`live: adapter pool: ${e.message}`));
    await prepareAdapterTable(pool);
  }
  const live = attachLiveServer(io, { db, ingest, gateway: options.gateway, adapterPool: pool, log });
  registerStatsIngest(ingest);

  const flushTimer = setInterval(() => void ingest.flush(), FLUSH_EVERY_MS);
  flushTimer.unref();
  const prune = () =>
    void pruneRollups(db, new Date(Date.now() - days * 86_400_000)).catch((e) => log(`stats: pruning rollups failed: ${(e as Error).message}`));
  prune();
  const pruneTimer = setInterval(prune, PRUNE_EVERY_MS);
  pruneTimer.unref();

  return {
    ingest,
    live,
    async close() {
      clearInterval(flushTimer);
      clearInterval(pruneTimer);
      if (getStatsIngest() === ingest) registerStatsIngest(null);
      registerLiveHub(null);
      await live.close();
      await pool?.end();
    },
  };
}
