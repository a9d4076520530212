/**
 * Reads of the process's stats pipeline for tRPC and /metrics. Type-only
 * imports, so Next's bundle does not pull in socket.io or the pg adapter.
 * Duck-typed: Next's bundle has its own copy of the StatsIngestService class.
 */
import type { StatsIngestService } from "./ingest";
import { getStatsIngest } from "./registry";

export function getStatsService(): StatsIngestService | null {
  const s = getStatsIngest();
  return s && "series" in s ? (s as StatsIngestService) : null;
}
