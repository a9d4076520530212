"use client";
/**
 * The stats procedures (server/trpc/routers/stats.ts) as the live UI uses
 * them. The only file of components/stats that knows the router's shapes:
 * everything else works on the view types below.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import type { AgentPresence, LiveEntry, StatsPoint, StatsRange } from "@/shared/live";
import { useTRPC } from "@/components/trpc/client";
import type { RouterOutputs } from "@/server/trpc/root";

export interface ClusterOverview {
  /** newest sample, null = no director has sent stats yet */
  at: number | null;
  totals: LiveEntry;
  /** service id → sparkline over the last 15 min (one point per `sparklineStepMs`), oldest first */
  services: Map<string, StatsPoint[]>;
  /** service id → its latest rates and connections */
  latest: Map<string, LiveEntry>;
  sparklineStepMs: number;
  agents: AgentPresence[];
}

export interface ServiceHistory {
  points: StatsPoint[];
  stepMs: number;
  /** the window the panel answered for (ms) */
  from: number;
  to: number;
  /** real server id → points */
  realServers: Map<string, StatsPoint[]>;
}

// select functions live at module level: a new function per render would re-run
// them and hand out a new object per render (pages apply `data` in effects)
function selectOverview(d: RouterOutputs["stats"]["clusterOverview"]): ClusterOverview {
  return {
    at: d.at,
    totals: d.totals,
    services: new Map(d.services.map((s) => [s.id, s.sparkline])),
    latest: new Map(d.services.map((s) => [s.id, s.latest])),
    sparklineStepMs: d.sparklineStepSeconds * 1000,
    agents: d.agents,
  };
}

function selectHistory(d: RouterOutputs["stats"]["serviceHistory"]): ServiceHistory {
  return {
    points: d.service,
    stepMs: d.stepSeconds * 1000,
    from: d.from,
    to: d.to,
    realServers: new Map(d.realServers.map((r) => [r.id, r.points])),
  };
}

export function useClusterOverview(clusterId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.stats.clusterOverview.queryOptions({ clusterId }, { select: selectOverview }));
}

export function useServiceHistory(serviceId: string, range: StatsRange) {
  const trpc = useTRPC();
  return useQuery(
    trpc.stats.serviceHistory.queryOptions(
      { serviceId, range },
      {
        // rollups arrive once a minute: the 1 h / 24 h / 7 d views re-read on that pace; live frames come over the socket
        refetchInterval: range === "live" ? false : 60_000,
        select: selectHistory,
      },
    ),
  );
}

export interface ConnectionFilter {
  client?: string;
  state?: string;
  realServerId?: string;
}

export function useConnectionsQuery(serviceId: string, filter: ConnectionFilter, page: number, pageSize: number, enabled: boolean) {
  const trpc = useTRPC();
  return useQuery(
    trpc.stats.connections.queryOptions(
      { serviceId, filters: filter, page: { offset: (page - 1) * pageSize, limit: pageSize } },
      // on demand: fetched by "Load connections" and when the filter or page changes, never polled
      { enabled, staleTime: Infinity, refetchOnMount: false, retry: false },
    ),
  );
}

export function useZeroCounters() {
  const trpc = useTRPC();
  return useMutation(trpc.stats.zeroCounters.mutationOptions());
}
