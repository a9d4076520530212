/**
 * The panel ↔ agent wire protocol (issue #4): socket.io namespace `/agent` on
 * the panel's port (path `/socket.io`), plus two plain HTTP endpoints for
 * enrollment. Both sides validate every message with these schemas; anything
 * that does not parse is dropped with a logged reason and never reaches the
 * kernel or the database. Pure zod, no Node-only imports.
 *
 * Sequence:
 *   enroll (HTTP, once)  agent → POST /api/agent/enroll {token, hostname} → {hostId, credential}
 *   connect              handshake auth = AgentAuth; the panel refuses unknown/revoked credentials
 *   agent → "hello"      AgentHello (ack: HelloAck) — the panel replies with the current desired state
 *   panel → "desired"    DesiredPush (ack: DesiredAck) — the agent applies it, then sends a report
 *   agent → "report"     AgentReport after every apply, every periodic drift check, every repair
 *   panel → "plan"       PlanRequest (ack: PlanReply) — dry run against the host's real state, nothing applied
 *   panel → "repair"     RepairRequest (ack: RepairAck) — re-apply the current desired state now
 *
 * Generations: the panel numbers each host's desired states 1, 2, 3…; an agent
 * ignores a push whose generation is lower than the one it already applied,
 * unless `force` is set (rollback re-publishes older content under a NEW,
 * higher generation, so force is only for a panel whose database was restored).
 */
import { z } from "zod";
import { DesiredStateSchema } from "../desired-state/schema";

export const AGENT_NAMESPACE = "/agent";
export const AGENT_SOCKET_PATH = "/socket.io";
export const ENROLL_PATH = "/api/agent/enroll";
export const AGENT_BUNDLE_PATH = "/api/agent/lvs-agent.cjs";
export const INSTALL_SCRIPT_PATH = "/api/agent/install.sh";

/** Per-host credential issued at enrollment: `lvsh_` + 43 base64url characters. */
export const CREDENTIAL_PATTERN = /^lvsh_[A-Za-z0-9_-]{43}$/;
/** One-time enrollment token: `lvse_` + 43 base64url characters. */
export const ENROLLMENT_TOKEN_PATTERN = /^lvse_[A-Za-z0-9_-]{43}$/;

export const EnrollRequestSchema = z.strictObject({
  token: z.string().regex(ENROLLMENT_TOKEN_PATTERN, "not an enrollment token"),
  hostname: z.string().min(1).max(253),
});
export const EnrollResponseSchema = z.strictObject({
  hostId: z.string().min(1),
  hostName: z.string().min(1),
  credential: z.string().regex(CREDENTIAL_PATTERN),
});

export const AgentAuthSchema = z.strictObject({
  hostId: z.string().min(1).max(64),
  credential: z.string().regex(CREDENTIAL_PATTERN, "not an agent credential"),
});

export const InterfaceInfoSchema = z.strictObject({
  name: z.string().min(1).max(15),
  /** CIDR strings, e.g. "192.0.2.10/24" */
  addresses: z.array(z.string()),
  up: z.boolean(),
});

export const KernelInfoSchema = z.strictObject({
  release: z.string(),
  ipvs: z.boolean(),
  /** e.g. "1.2.1" from /proc/net/ip_vs; null without IPVS */
  ipvsVersion: z.string().nullable(),
  /** schedulers the kernel offers (loaded or available as modules) */
  schedulers: z.array(z.string()),
  interfaces: z.array(InterfaceInfoSchema),
  /** next hops of the default routes (NAT lint: a NAT real server must route via the director) */
  defaultGateways: z.array(z.string()),
});

export const AgentHelloSchema = z.strictObject({
  agentVersion: z.string().min(1),
  hostname: z.string().min(1),
  kernel: KernelInfoSchema,
  /** generation of the desired state the agent last applied (from its state directory), null if none */
  appliedGeneration: z.number().int().positive().nullable(),
});
export const HelloAckSchema = z.strictObject({ ok: z.boolean(), hostName: z.string(), error: z.string().optional() });

export const DesiredPushSchema = z.strictObject({
  generation: z.number().int().positive(),
  revisionId: z.string().nullable(),
  state: DesiredStateSchema,
  force: z.boolean().default(false),
});
export const DesiredAckSchema = z.strictObject({
  accepted: z.boolean(),
  /** why a push was refused (invalid for this host, stale generation …) */
  error: z.string().optional(),
});

/** One planned or applied change, shaped like the command line it runs. */
export const OpLineSchema = z.strictObject({
  kind: z.string(),
  summary: z.string(),
  command: z.string(),
});
export const OpResultLineSchema = OpLineSchema.extend({ ok: z.boolean(), error: z.string().optional() });

export const AgentReportSchema = z.strictObject({
  kind: z.enum(["apply", "periodic", "repair"]),
  /** generation the report is about (the agent's current desired state); null before any desired state */
  generation: z.number().int().positive().nullable(),
  at: z.string().datetime(),
  /** apply/repair: results of the ops run; periodic: empty */
  results: z.array(OpResultLineSchema),
  /** ops a fresh plan(desired, actual) still wants after this reconcile: empty = in sync, otherwise drift */
  drift: z.array(OpLineSchema),
  converged: z.boolean(),
  durationMs: z.number().nonnegative(),
  /** whole-apply failure before any op ran (invalid for this host, no IPVS …) */
  error: z.string().optional(),
});

export const PlanRequestSchema = z.strictObject({ state: DesiredStateSchema });
export const PlanReplySchema = z.strictObject({
  ok: z.boolean(),
  ops: z.array(OpLineSchema),
  warnings: z.array(z.string()),
  error: z.string().optional(),
});

export const RepairRequestSchema = z.strictObject({});
export const RepairAckSchema = z.strictObject({ accepted: z.boolean(), error: z.string().optional() });

export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;
export type AgentAuth = z.infer<typeof AgentAuthSchema>;
export type KernelInfo = z.infer<typeof KernelInfoSchema>;
export type AgentHello = z.infer<typeof AgentHelloSchema>;
export type HelloAck = z.infer<typeof HelloAckSchema>;
export type DesiredPush = z.input<typeof DesiredPushSchema>;
export type DesiredAck = z.infer<typeof DesiredAckSchema>;
export type OpLine = z.infer<typeof OpLineSchema>;
export type OpResultLine = z.infer<typeof OpResultLineSchema>;
export type AgentReport = z.infer<typeof AgentReportSchema>;
export type PlanRequest = z.input<typeof PlanRequestSchema>;
export type PlanReply = z.infer<typeof PlanReplySchema>;
export type RepairAck = z.infer<typeof RepairAckSchema>;

/** Event names, one place. */
export const AgentEvents = {
  hello: "hello",
  desired: "desired",
  report: "report",
  plan: "plan",
  repair: "repair",
} as const;
