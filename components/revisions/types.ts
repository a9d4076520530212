/** Shapes the revision pages render: the API's DTOs (components never see Prisma types). */
export type {
  ClusterRevisionStatus as ClusterStatus,
  Deployment,
  Lint,
  ModelChange,
  Review,
  ReviewHost,
  RevisionDetail,
  RevisionSummary,
  StatusHost,
} from "@/shared/revisions";
