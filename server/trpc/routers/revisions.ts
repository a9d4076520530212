import * as revisions from "@/server/services/revisions";
import {
  clusterIdInput,
  clusterRevisionStatusDto,
  reviewDto,
  revisionApplyInput,
  revisionDetailDto,
  revisionGetInput,
  revisionRollbackInput,
  revisionSummaryDto,
} from "@/shared/revisions";
import { z } from "zod";
import { operatorProcedure, router, viewerProcedure } from "../init";

export const revisionsRouter = router({
  /** Draft vs applied revision: model diff, per-host desired-state diff, each online agent's dry-run plan, lints. */
  review: viewerProcedure
    .input(clusterIdInput)
    .output(reviewDto)
    .query(({ ctx, input }) => revisions.reviewCluster(ctx.db, input.clusterId)),
  /** Freezes the draft as a new revision and publishes it ("apply" is a reserved word in tRPC routers); CONFLICT when the base or the draft changed since the review. */
  applyDraft: operatorProcedure
    .input(revisionApplyInput)
    .output(revisionSummaryDto)
    .mutation(({ ctx, input }) => revisions.applyRevision(ctx, input)),
  /** Restores the cluster's tables to revision `toNumber` and applies that as a new revision (kind rollback). */
  rollback: operatorProcedure
    .input(revisionRollbackInput)
    .output(revisionSummaryDto)
    .mutation(({ ctx, input }) => revisions.rollbackRevision(ctx, input)),
  /** Newest first, with per-host deployment statuses. */
  list: viewerProcedure
    .input(clusterIdInput)
    .output(z.array(revisionSummaryDto))
    .query(({ ctx, input }) => revisions.listRevisions(ctx.db, input.clusterId)),
  get: viewerProcedure
    .input(revisionGetInput)
    .output(revisionDetailDto)
    .query(({ ctx, input }) => revisions.getRevision(ctx.db, input.clusterId, input.number)),
  /** Applied revision, whether the draft changed, and every host's deployment / agent / drift status (poll while unsettled). */
  status: viewerProcedure
    .input(clusterIdInput)
    .output(clusterRevisionStatusDto)
    .query(({ ctx, input }) => revisions.clusterStatus(ctx.db, input.clusterId)),
});
