import * as clusters from "@/server/services/clusters";
import {
  byIdInput,
  clusterCreateInput,
  clusterDetailDto,
  clusterSummaryDto,
  clusterUpdateInput,
  directorAddInput,
  directorDto,
  directorUpdateInput,
  okDto,
} from "@/shared/cluster";
import { z } from "zod";
import { operatorProcedure, router, viewerProcedure } from "../init";

const ok = { ok: true as const };

export const clustersRouter = router({
  list: viewerProcedure.output(z.array(clusterSummaryDto)).query(({ ctx }) => clusters.listClusters(ctx.db)),
  get: viewerProcedure
    .input(byIdInput)
    .output(clusterDetailDto)
    .query(({ ctx, input }) => clusters.getCluster(ctx.db, input.id)),
  create: operatorProcedure
    .input(clusterCreateInput)
    .output(clusterDetailDto)
    .mutation(({ ctx, input }) => clusters.createCluster(ctx, input)),
  update: operatorProcedure
    .input(clusterUpdateInput)
    .output(clusterDetailDto)
    .mutation(({ ctx, input }) => clusters.updateCluster(ctx, input)),
  /** Deletes the cluster with its directors, virtual services and real servers. */
  delete: operatorProcedure
    .input(byIdInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await clusters.deleteCluster(ctx, input.id);
      return ok;
    }),
});

export const directorsRouter = router({
  add: operatorProcedure
    .input(directorAddInput)
    .output(directorDto)
    .mutation(({ ctx, input }) => clusters.addDirector(ctx, input)),
  update: operatorProcedure
    .input(directorUpdateInput)
    .output(directorDto)
    .mutation(({ ctx, input }) => clusters.updateDirector(ctx, input)),
  remove: operatorProcedure
    .input(byIdInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await clusters.removeDirector(ctx, input.id);
      return ok;
    }),
});
