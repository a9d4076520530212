/**
 * How the agent gateway hands stats frames to the panel's stats pipeline:
 * ONE accessor, `getStatsIngest()`, registered on `globalThis`
 * (`__lvsStatsIngest`) by whoever owns the socket.io server (server/main.ts,
 * or a test) — the same pattern as getAgentGateway(), because tRPC code runs
 * inside Next's bundle, which does not share module singletons with main.ts.
 * Null without a stats pipeline (unit tests, a panel started without sockets):
 * callers drop the frame.
 */
import type { StatsFrame } from "@/shared/agent-protocol";

export interface StatsIngest {
  /** A validated frame from the agent of `hostId` (connected to this process). Never throws; cheap (no I/O on the hot path). */
  ingest(hostId: string, frame: StatsFrame): void;
  /** The agent of `hostId` disconnected from this process (its rates stop counting at once). */
  hostDisconnected?(hostId: string): void;
}

const registry = globalThis as unknown as { __lvsStatsIngest?: StatsIngest };

export function getStatsIngest(): StatsIngest | null {
  return registry.__lvsStatsIngest ?? null;
}

/** Installs (or with null removes) the process's stats ingest. */
export function registerStatsIngest(ingest: StatsIngest | null): void {
  if (ingest) registry.__lvsStatsIngest = ingest;
  else delete registry.__lvsStatsIngest;
}
