import * as drains from "@/server/services/drains";
import { clusterHealth, healthTimeline } from "@/server/health/queries";
import { clusterHealthDto, drainByRealServerInput, drainDto, drainStartInput, healthTimelineDto, healthTimelineInput } from "@/shared/cluster";
import { clusterIdInput } from "@/shared/revisions";
import { z } from "zod";
import { operatorProcedure, router, viewerProcedure } from "../init";

export const healthRouter = router({
  /** What each director last reported about each real server of the cluster, and the sorry servers in the kernel. */
  cluster: viewerProcedure
    .input(clusterIdInput)
    .output(clusterHealthDto)
    .query(({ ctx, input }) => clusterHealth(ctx.db, input.clusterId)),
  /** A real server's up/down transitions, newest first. */
  timeline: viewerProcedure
    .input(healthTimelineInput)
    .output(healthTimelineDto)
    .query(({ ctx, input }) => healthTimeline(ctx.db, input)),
});

const drainResultDto = z.object({
  realServerId: z.string(),
  clusterId: z.string(),
  drain: drainDto.nullable(),
  /** directors that got a new generation */
  publishedTo: z.array(z.string()),
});

export const drainsRouter = router({
  /** Weight 0 on every director now, without a revision (an operational override). */
  start: operatorProcedure
    .input(drainStartInput)
    .output(drainResultDto)
    .mutation(({ ctx, input }) => drains.startDrain(ctx, input)),
  /** Ends the drain: the applied weight is published again. */
  restore: operatorProcedure
    .input(drainByRealServerInput)
    .output(drainResultDto)
    .mutation(({ ctx, input }) => drains.restoreDrain(ctx, input)),
  /** Deletes the drained real server from the draft (apply removes it from the directors). */
  remove: operatorProcedure
    .input(drainByRealServerInput)
    .output(drainResultDto)
    .mutation(({ ctx, input }) => drains.removeDrained(ctx, input)),
});
