/**
 * Revisions, review, deployments and agent status (issue #4): the input
 * schemas and output DTOs of the `revisions`, `agents` and `hosts.enroll`
 * procedures, and the ClusterSnapshot a revision freezes. Pure zod, shared by
 * the UI and the API.
 *
 * Flow: the live tables are the draft → `revisions.review` (model diff, per-host
 * desired-state diff, each agent's dry-run plan, lints) → `revisions.applyDraft` with
 * the reviewed `baseRevisionNumber` + `draftHash` (CONFLICT when either is stale)
 * → one HostDeployment per changed host (pending → applying → applied | failed;
 * superseded when a newer one replaces it before it finished) → `revisions.status`.
 */
import { z } from "zod";
import { OpLineSchema, OpResultLineSchema } from "../agent-protocol";
import { FORWARDING_METHODS, LIMITS, MARK_PROTOCOLS, PERSISTENCE_ENGINES, PROTOCOLS, SCHEDULERS } from "../cluster/constants";
import { ON_FAILURE_ACTIONS, healthCheckDto, sorryServerDto } from "../cluster/health";

const isoDate = z.string();
const id = z.string({ error: "Missing id" }).min(1, "Missing id").max(64, "Invalid id");

// ---------------------------------------------------------------------------
// The frozen model of one cluster

export const snapshotRealServerSchema = z.object({
  id: z.string(),
  hostId: z.string().nullable(),
  /** host name when the snapshot was taken (for messages once the host is gone) */
  hostName: z.string().nullable(),
  address: z.string(),
  port: z.number().int().nullable(),
  forwarding: z.enum(FORWARDING_METHODS),
  weight: z.number().int(),
  upperThreshold: z.number().int(),
  lowerThreshold: z.number().int(),
  enabled: z.boolean(),
});
export type SnapshotRealServer = z.infer<typeof snapshotRealServerSchema>;

export const snapshotServiceSchema = z.object({
  id: z.string(),
  protocol: z.enum(PROTOCOLS),
  address: z.string(),
  family: z.enum(["ipv4", "ipv6"]),
  port: z.number().int().nullable(),
  fwmark: z.number().int().nullable(),
  markProtocol: z.enum(MARK_PROTOCOLS).nullable(),
  markPorts: z.array(z.number().int()),
  scheduler: z.enum(SCHEDULERS),
  schedulerFlags: z.array(z.string()),
  persistenceTimeout: z.number().int().nullable(),
  persistenceNetmask: z.number().int().nullable(),
  persistenceEngine: z.enum(PERSISTENCE_ENGINES).nullable(),
  description: z.string(),
  enabled: z.boolean(),
  /*
   * Health settings (issue #6). Present only when not the default, so the
   * snapshot (and the draftHash) of a service without them is exactly what it
   * was before health checks existed: revisions applied earlier stay "not changed".
   */
  healthCheck: healthCheckDto.optional(),
  /** absent = QUIESCE */
  onFailure: z.enum(ON_FAILURE_ACTIONS).optional(),
  /** absent = 0 */
  slowStartSeconds: z.number().int().optional(),
  sorryServer: sorryServerDto.optional(),
  realServers: z.array(snapshotRealServerSchema),
});
export type SnapshotService = z.infer<typeof snapshotServiceSchema>;

export const snapshotDirectorSchema = z.object({
  id: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  vipInterface: z.string(),
  priority: z.number().int(),
});
export type SnapshotDirector = z.infer<typeof snapshotDirectorSchema>;

/** Everything that defines a cluster's desired state; ids kept so a rollback restores the same rows. */
export const clusterSnapshotSchema = z.object({
  cluster: z.object({ id: z.string(), name: z.string(), description: z.string() }),
  directors: z.array(snapshotDirectorSchema),
  services: z.array(snapshotServiceSchema),
});
export type ClusterSnapshot = z.infer<typeof clusterSnapshotSchema>;

/** Canonical JSON (sorted keys, arrays as given): the input of draftHash. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

// ---------------------------------------------------------------------------
// Inputs

export const clusterIdInput = z.object({ clusterId: id });
export const revisionGetInput = z.object({ clusterId: id, number: z.number().int().min(1) });

const noteSchema = z.string().trim().max(LIMITS.note.max, `Keep the note under ${LIMITS.note.max} characters`);

export const revisionApplyInput = z.object({
  clusterId: id,
  /** the applied revision the review was made against (null: nothing applied yet) */
  baseRevisionNumber: z.number().int().min(1).nullable(),
  /** draftHash from revisions.review */
  draftHash: z.string().regex(/^[0-9a-f]{64}$/, "Review the changes first"),
  note: noteSchema.default(""),
});

export const revisionRollbackInput = z.object({
  clusterId: id,
  /** the revision whose model is restored and applied as a new revision */
  toNumber: z.number({ error: "Choose a revision" }).int().min(1),
  /** the applied revision when the operator chose to roll back */
  baseRevisionNumber: z.number().int().min(1).nullable(),
  note: noteSchema.default(""),
});

export const hostIdInput = z.object({ hostId: id });

// ---------------------------------------------------------------------------
// Outputs

export const DEPLOYMENT_STATUSES = ["pending", "applying", "applied", "failed", "superseded"] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];
export const deploymentStatusDto = z.enum(DEPLOYMENT_STATUSES);

export const opLineDto = OpLineSchema;
export type OpLineDto = z.infer<typeof opLineDto>;
export const opResultLineDto = OpResultLineSchema;

export const lintDto = z.object({
  /** error: apply is refused; warning: probably wrong; info: could not be checked */
  level: z.enum(["error", "warning", "info"]),
  message: z.string(),
  hostId: z.string().nullable(),
  hostName: z.string().nullable(),
});
export type Lint = z.infer<typeof lintDto>;

export const fieldChangeDto = z.object({ field: z.string(), before: z.string().nullable(), after: z.string().nullable() });
export type FieldChange = z.infer<typeof fieldChangeDto>;

/** One added / removed / changed object of the model, with field-level before → after. */
export const modelChangeDto = z.object({
  kind: z.enum(["added", "removed", "changed"]),
  entity: z.enum(["cluster", "director", "service", "realServer"]),
  id: z.string(),
  /** e.g. "TCP 192.0.2.10:80", "10.0.0.11:80", "lb1" */
  label: z.string(),
  /** the service of a real server */
  parentLabel: z.string().nullable(),
  fields: z.array(fieldChangeDto),
});
export type ModelChange = z.infer<typeof modelChangeDto>;

export const hostRoleDto = z.enum(["director", "realServer"]);

export const hostPlanDto = z.object({
  /** ok: the agent's dry run; offline: no agent connected; error: the agent refused (e.g. unknown interface) or timed out */
  status: z.enum(["ok", "offline", "error"]),
  /** exactly the commands the agent will run (ipvsadm / ip / sysctl / nft lines) */
  ops: z.array(opLineDto),
  warnings: z.array(z.string()),
  error: z.string().nullable(),
});

export const reviewHostDto = z.object({
  hostId: z.string(),
  name: z.string(),
  roles: z.array(hostRoleDto),
  online: z.boolean(),
  /** the compiled desired state differs from the host's last deployment (apply publishes a new generation) */
  changed: z.boolean(),
  /** "+ …" / "- …" lines between the last deployment and the compiled state */
  desiredDiff: z.array(z.string()),
  plan: hostPlanDto,
});
export type ReviewHost = z.infer<typeof reviewHostDto>;

export const reviewDto = z.object({
  clusterId: z.string(),
  clusterName: z.string(),
  /** the applied revision number (null: never applied) — pass it back to apply */
  baseRevision: z.number().int().nullable(),
  /** hash of the reviewed draft — pass it back to apply */
  draftHash: z.string(),
  modelDiff: z.array(modelChangeDto),
  hosts: z.array(reviewHostDto),
  lints: z.array(lintDto),
  /** false when a lint has level error */
  canApply: z.boolean(),
});
export type Review = z.infer<typeof reviewDto>;

export const deploymentDto = z.object({
  hostId: z.string(),
  hostName: z.string(),
  generation: z.number().int(),
  status: deploymentStatusDto,
  error: z.string().nullable(),
  createdAt: isoDate,
  finishedAt: isoDate.nullable(),
});
export type Deployment = z.infer<typeof deploymentDto>;

export const revisionSummaryDto = z.object({
  id: z.string(),
  clusterId: z.string(),
  number: z.number().int(),
  kind: z.enum(["apply", "rollback"]),
  rolledBackToNumber: z.number().int().nullable(),
  note: z.string(),
  createdByName: z.string(),
  createdAt: isoDate,
  deployments: z.array(deploymentDto),
});
export type RevisionSummary = z.infer<typeof revisionSummaryDto>;

export const revisionDetailDto = revisionSummaryDto.extend({
  snapshot: clusterSnapshotSchema,
  /** per host: the op results the agent reported for this revision's deployment */
  results: z.array(z.object({ hostId: z.string(), results: z.array(opResultLineDto) })),
});
export type RevisionDetail = z.infer<typeof revisionDetailDto>;

export const statusHostDto = z.object({
  id: z.string(),
  name: z.string(),
  roles: z.array(hostRoleDto),
  enrolled: z.boolean(),
  online: z.boolean(),
  lastSeenAt: isoDate.nullable(),
  /** last generation the panel published for the host */
  generation: z.number().int(),
  appliedGeneration: z.number().int().nullable(),
  /** status of the host's latest deployment (null: nothing published yet) */
  status: deploymentStatusDto.nullable(),
  error: z.string().nullable(),
  driftCount: z.number().int(),
  /** what the agent would run to remove the drift */
  drift: z.array(opLineDto),
  driftCheckedAt: isoDate.nullable(),
});
export type StatusHost = z.infer<typeof statusHostDto>;

export const clusterRevisionStatusDto = z.object({
  clusterId: z.string(),
  appliedNumber: z.number().int().nullable(),
  /** the live tables differ from the applied revision */
  draftChanged: z.boolean(),
  /** number of model changes not applied yet */
  changeCount: z.number().int(),
  hosts: z.array(statusHostDto),
  /** no ONLINE host has a pending or applying deployment (offline hosts stay pending until they connect) */
  settled: z.boolean(),
});
export type ClusterRevisionStatus = z.infer<typeof clusterRevisionStatusDto>;

export const enrollResultDto = z.object({
  hostId: z.string(),
  /** shown once; stored only as a hash */
  token: z.string(),
  /** copy-paste install command for the host (runs as root) */
  command: z.string(),
  expiresAt: isoDate,
});
export type EnrollResult = z.infer<typeof enrollResultDto>;

export const repairResultDto = z.object({ accepted: z.boolean(), error: z.string().nullable() });
export type RepairResult = z.infer<typeof repairResultDto>;
