"use client";
/**
 * Current health of a cluster's real servers in the browser: one read of
 * health.cluster, then the /live `health` frames of room cluster:<id>
 * (components/stats/use-live.ts: one socket per tab, resubscribe after a
 * reconnect — then the view is read again, so nothing missed stays stale).
 * A frame carries only the entries that changed; they replace the same
 * (real server, director) entry.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useLive, type LiveStatus } from "@/components/stats/use-live";
import { useTRPC } from "@/components/trpc/client";
import type { RealServerHealthView } from "@/shared/cluster";
import type { HealthLiveFrame } from "@/shared/live";
import { mergeHealthFrame } from "./health-state";

export interface ClusterHealthState {
  /** realServerId → one entry per director that checks it */
  byRealServer: Map<string, RealServerHealthView[]>;
  sorryActive: Set<string>;
  /** at least one director has reported since the panel started */
  reporting: boolean;
  live: LiveStatus;
  error: string | null;
  loading: boolean;
}

export function useClusterHealth(clusterId: string): ClusterHealthState {
  const trpc = useTRPC();
  const query = useQuery(trpc.health.cluster.queryOptions({ clusterId }, { refetchInterval: 30_000 }));
  const [entries, setEntries] = useState<RealServerHealthView[]>([]);
  const [sorry, setSorry] = useState<string[]>([]);

  useEffect(() => {
    if (!query.data) return;
    setEntries(query.data.entries);
    setSorry(query.data.sorryActive);
  }, [query.data]);

  const live = useLive({ scope: "cluster", clusterId }, "health", (frame: HealthLiveFrame) => {
    setEntries((prev) => mergeHealthFrame(prev, frame));
    setSorry(frame.sorryActive);
  });
  const { refetch } = query;
  useEffect(() => {
    if (live.epoch > 1) void refetch();
  }, [live.epoch, refetch]);

  return useMemo(() => {
    const byRealServer = new Map<string, RealServerHealthView[]>();
    for (const e of entries) byRealServer.set(e.realServerId, [...(byRealServer.get(e.realServerId) ?? []), e]);
    return {
      byRealServer,
      sorryActive: new Set(sorry),
      reporting: (query.data?.reportingHosts.length ?? 0) > 0 || entries.length > 0,
      live: live.status,
      error: query.error ? query.error.message : live.error,
      loading: query.isPending,
    };
  }, [entries, sorry, query.data, query.error, query.isPending, live.status, live.error]);
}
