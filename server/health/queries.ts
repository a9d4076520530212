/** Health reads for tRPC (issue #6): the current view (memory) and a real server's transitions (HealthEvent rows). */
import type { Database } from "@/server/db";
import { findCluster } from "@/server/repositories/clusters";
import { read } from "@/server/repositories/db";
import * as repo from "@/server/repositories/health";
import { notFound } from "@/server/services/errors";
import { HEALTH_TIMELINE_RANGE_MS, type ClusterHealth, type HealthTimeline, type healthTimelineInput } from "@/shared/cluster";
import type { z } from "zod";
import { getHealthStore } from "./store";

export async function clusterHealth(db: Database, clusterId: string): Promise<ClusterHealth> {
  const cluster = await read(db, (q) => findCluster(q, clusterId));
  if (!cluster) throw notFound("Cluster");
  return { clusterId, ...getHealthStore().view(clusterId) };
}

export async function healthTimeline(db: Database, input: z.output<typeof healthTimelineInput>, now = new Date()): Promise<HealthTimeline> {
  return read(db, async (q) => {
    if (!(await repo.realServerOwner(q, input.realServerId))) throw notFound("Real server");
    const since = new Date(now.getTime() - HEALTH_TIMELINE_RANGE_MS[input.range]);
    const rows = await repo.listHealthEvents(q, input.realServerId, since, input.limit + 1);
    return {
      realServerId: input.realServerId,
      events: rows.slice(0, input.limit).map((r) => ({ ...r, status: r.status as "up" | "down" | "unknown" })),
      truncated: rows.length > input.limit,
    };
  });
}
