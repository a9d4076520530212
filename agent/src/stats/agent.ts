/**
 * `lvs-agent run`'s live stats (issue #5): one collector sampling every
 * `statsIntervalMs` for whoever listens — the panel stream while connected
 * (agent/src/stats/panel.ts) and the optional local Prometheus endpoint
 * (`metricsListen`). Nothing is sampled while nobody listens.
 */
import type { Daemon } from "../daemon";
import type { Reconciler } from "../reconciler";
import { startMetricsServer, type MetricsServer } from "./metrics";
import { ownedServices } from "./panel";
import { StatsCollector, type StatsLogEvent } from "./stream";

export type AgentStatsEvent = StatsLogEvent | { event: "metrics-listening"; address: string };

export interface AgentStats {
  readonly collector: StatsCollector;
  readonly metrics: MetricsServer | null;
  close(): Promise<void>;
}

/** Throws (nothing started) when the metrics address cannot be listened on. */
export async function startAgentStats(options: {
  reconciler: Reconciler;
  daemon: Daemon;
  intervalMs: number;
  metricsListen: string | null;
  log: (event: AgentStatsEvent) => void;
}): Promise<AgentStats> {
  const collector = new StatsCollector({
    kernel: options.reconciler.kernel.stats,
    intervalMs: options.intervalMs,
    owned: ownedServices(options.reconciler.store, options.daemon),
    log: options.log,
  });
  let metrics: MetricsServer | null = null;
  if (options.metricsListen) {
    metrics = await startMetricsServer(collector, options.metricsListen);
    options.log({ event: "metrics-listening", address: options.metricsListen });
  }
  return {
    collector,
    metrics,
    async close() {
      await metrics?.close();
    },
  };
}
