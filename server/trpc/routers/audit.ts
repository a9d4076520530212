import * as audit from "@/server/services/audit";
import { auditFacetsDto, auditListInput, auditPageDto } from "@/shared/cluster";
import { router, viewerProcedure } from "../init";

export const auditRouter = router({
  /** Newest first; pass nextCursor back as cursor for the next page. */
  list: viewerProcedure
    .input(auditListInput)
    .output(auditPageDto)
    .query(({ ctx, input }) => audit.listAudit(ctx.db, input)),
  /** Users, clusters and entity types present in the log, for the filters. */
  facets: viewerProcedure.output(auditFacetsDto).query(({ ctx }) => audit.getAuditFacets(ctx.db)),
});
