/** Live stats (issue #5): dashboard, history, connection table, zero counters. Viewers read; operators zero. */
import * as dto from "@/server/stats/dto";
import * as stats from "@/server/stats/service";
import { operatorProcedure, router, viewerProcedure } from "../init";

export const statsRouter = router({
  /** Per service: latest rates and active connections, a 15-minute sparkline at 10 s; the cluster's agents online/offline. */
  clusterOverview: viewerProcedure
    .input(dto.clusterOverviewInput)
    .output(dto.clusterOverviewOutput)
    .query(({ ctx, input }) => stats.clusterOverview(ctx.db, input.clusterId)),
  /** live = the last 15 min at 1 s; 1h = 1-minute rollups + the minute in progress; 24h / 7d = rollups downsampled to ≤ 400 points. */
  serviceHistory: viewerProcedure
    .input(dto.serviceHistoryInput)
    .output(dto.serviceHistoryOutput)
    .query(({ ctx, input }) => stats.serviceHistory(ctx.db, input.serviceId, input.range)),
  /** The directors' connection table for the service (ipvsadm -Lcn), filtered and paginated, asked from their agents now. */
  connections: viewerProcedure
    .input(dto.connectionsInput)
    .output(dto.connectionsOutput)
    .query(({ ctx, input }) => stats.connections(ctx.db, input)),
  /** ipvsadm -Z on the cluster's directors, for one service or all of the cluster's. */
  zeroCounters: operatorProcedure
    .input(dto.zeroCountersInput)
    .output(dto.zeroCountersOutput)
    .mutation(({ ctx, input }) => stats.zeroCounters(ctx, input)),
});
