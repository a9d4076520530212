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
 *   panel → "desired"    DesiredPush or DesiredDeltaPush (ack: DesiredAck) — the agent applies it, then sends a report
 *   agent → "report"     AgentReport after every apply, every periodic drift check, every repair
 *   panel → "plan"       PlanRequest (ack: PlanReply) — dry run against the host's real state, nothing applied
 *   panel → "repair"     RepairRequest (ack: RepairAck) — re-apply the current desired state now
 *   agent → "stats"      StatsFrame (ack: StatsAck) — 1 Hz IPVS counters/rates, compact (#5)
 *   panel → "connections" ConnectionsRequest (ack: ConnectionsReply) — the connection table on demand (#5)
 *   panel → "zero"       ZeroCountersRequest (ack: ZeroAck) — ipvsadm -Z (#5)
 *   agent → "health"     HealthReport (ack: HealthAck) — health-check results and transitions (#6)
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
/**
 * A desired state relative to the one the agent holds (panel → "desired", same
 * event as DesiredPush, told apart by `base`): the panel sends it only to an
 * agent that accepted generation `base` on the same connection. `state` is the
 * whole document except `ipvs.services`; `services` gives them relative to
 * the base document's: a new entry (object), or `[from, count]` copying
 * `count` of the base's entries from index `from`. The agent assembles and
 * validates the document whole (only new entries are parsed again); when its
 * current document is not generation `base` with `baseServices` services it
 * refuses the push and nothing changes — the panel then sends the whole
 * document (it does so after ANY refused delta, which also covers agents that
 * predate deltas). Built by shared/agent-protocol/delta.ts.
 */
export const DesiredDeltaPushSchema = z.strictObject({
  generation: z.number().int().positive(),
  revisionId: z.string().nullable(),
  force: z.boolean().default(false),
  base: z.number().int().positive(),
  baseServices: z.int().nonnegative(),
  state: z.record(z.string(), z.unknown()),
  services: z.array(z.union([z.tuple([z.int().nonnegative(), z.int().positive()]), z.record(z.string(), z.unknown())])).max(1_000_000),
});
/**
 * What the agent checks of a whole push before its daemon validates `state`
 * (once: DesiredStateValidator, the same rules as DesiredStateSchema +
 * validateDesiredState).
 */
export const DesiredPushEnvelopeSchema = DesiredPushSchema.extend({ state: z.unknown() });
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

// ---------------------------------------------------------------------------
// Live stats (issue #5). agent → "stats" (ack: StatsAck)
//
// Keys are the desired-state keys (shared/desired-state/resolve.ts serviceKey):
// services "tcp 192.0.2.10:80", "udp [2001:db8::1]:53", "fwmark 5 ipv4";
// destinations "10.0.0.11:80", "[2001:db8::11]:80".
// Counters c = [conns, inpkts, outpkts, inbytes, outbytes], cumulative as the
// kernel reports them; rates r = the same five per second since the previous
// sample (never negative: a counter that went down restarted from zero; null on
// the first sample of a service/destination). a = active, i = inactive connections.
//
// Compact: a frame with full=false lists only the entries that changed since
// the previous frame the panel acknowledged (counters, a/i, or rates that were
// non-zero); an entry that is absent is unchanged with zero rates. full=true
// (first frame after connect, then every 60 s) lists everything; entries absent
// from a full frame are gone. At most one frame is in flight: while waiting for
// the ack the agent keeps only the latest sample (never a queue), and the next
// frame is computed against the last acknowledged one.
// ---------------------------------------------------------------------------
const counters5 = z.tuple([z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative()]);
export const StatsEntrySchema = z.strictObject({
  k: z.string().min(1).max(80),
  c: counters5,
  r: counters5.nullable(),
  a: z.int().nonnegative(),
  i: z.int().nonnegative(),
});
export const StatsServiceEntrySchema = StatsEntrySchema.extend({
  /** destinations that changed (all of them when the frame is full) */
  d: z.array(StatsEntrySchema).max(10_000),
  /** destinations removed since the last acknowledged frame (non-full frames) */
  gone: z.array(z.string()).max(10_000).optional(),
});
export const StatsFrameSchema = z.strictObject({
  /** increases by one per frame sent on this connection */
  seq: z.int().nonnegative(),
  /** when the kernel was sampled, ms since the epoch (agent clock) */
  at: z.number().int().positive(),
  /** the agent's sampling interval */
  intervalMs: z.int().min(100).max(3_600_000),
  full: z.boolean(),
  services: z.array(StatsServiceEntrySchema).max(100_000),
  /** services removed since the last acknowledged frame (non-full frames) */
  gone: z.array(z.string()).max(100_000).optional(),
  /** /proc/net/ip_vs_stats; null without IPVS */
  totals: z.strictObject({ c: counters5, r: counters5.nullable() }).nullable(),
});
export const StatsAckSchema = z.strictObject({ ok: z.boolean(), error: z.string().optional() });

/** panel → "connections" (ack: ConnectionsReply): the director's connection table, like `ipvsadm -Lcn`. */
export const ConnectionsRequestSchema = z.strictObject({
  /** only connections of this virtual service (service key) */
  service: z.string().max(80).optional(),
  /** client address (exact) or prefix, e.g. "198.51.100." */
  client: z.string().max(64).optional(),
  /** ESTABLISHED, SYN_RECV, FIN_WAIT, TIME_WAIT, CLOSE, NONE (UDP), … */
  state: z.string().max(20).optional(),
  /** destination key "10.0.0.11:80" */
  destination: z.string().max(64).optional(),
  offset: z.int().min(0).default(0),
  limit: z.int().min(1).max(500).default(100),
});
export const ConnectionRowSchema = z.strictObject({
  protocol: z.string(),
  /** "198.51.100.7:51234" */
  client: z.string(),
  /** virtual address:port, or "fwmark N" */
  virtual: z.string(),
  destination: z.string(),
  state: z.string(),
  /** seconds until the entry expires */
  expiresIn: z.int().nonnegative(),
});
export const ConnectionsReplySchema = z.strictObject({
  ok: z.boolean(),
  /** connections matching the filter (before offset/limit) */
  total: z.int().nonnegative(),
  rows: z.array(ConnectionRowSchema),
  error: z.string().optional(),
});

/** panel → "zero" (ack: ZeroAck): `ipvsadm -Z` for one service (key) or, without one, every service the agent owns. */
export const ZeroCountersRequestSchema = z.strictObject({ service: z.string().max(80).optional() });
export const ZeroAckSchema = z.strictObject({ ok: z.boolean(), error: z.string().optional() });

// ---------------------------------------------------------------------------
// Health (issue #6). agent → "health" (ack: HealthAck)
// One entry per (service, destination) the agent checks. full=true (after
// connect and every 60 s) lists every checked destination; otherwise only the
// entries whose status changed or whose last result is new (the agent batches
// results for ≤ 1 s, but sends a status transition at once).
// ---------------------------------------------------------------------------
export const HEALTH_STATUSES = ["up", "down", "unknown"] as const;
export const HealthEntrySchema = z.strictObject({
  service: z.string().min(1).max(80),
  destination: z.string().min(1).max(64),
  /** unknown = no result yet (a new destination starts as unknown and keeps its weight) */
  status: z.enum(HEALTH_STATUSES),
  /** when the status last changed (ISO) */
  since: z.string().datetime(),
  /** the last check: when, whether it passed, how long it took, why it failed */
  lastCheckAt: z.string().datetime().nullable(),
  lastOk: z.boolean().nullable(),
  latencyMs: z.number().nonnegative().nullable(),
  reason: z.string().max(500),
  /** what the agent does to the kernel for it now */
  action: z.enum(["none", "quiesced", "removed", "slow-start"]),
});
export const HealthReportSchema = z.strictObject({
  at: z.string().datetime(),
  full: z.boolean(),
  entries: z.array(HealthEntrySchema).max(100_000),
  /** sorry servers currently in the kernel, by service key */
  sorryActive: z.array(z.string()).max(100_000).default([]),
});
export const HealthAckSchema = z.strictObject({ ok: z.boolean(), error: z.string().optional() });

export type StatsEntry = z.infer<typeof StatsEntrySchema>;
export type StatsServiceEntry = z.infer<typeof StatsServiceEntrySchema>;
export type StatsFrame = z.infer<typeof StatsFrameSchema>;
export type StatsAck = z.infer<typeof StatsAckSchema>;
export type ConnectionsRequest = z.input<typeof ConnectionsRequestSchema>;
export type ConnectionRow = z.infer<typeof ConnectionRowSchema>;
export type ConnectionsReply = z.infer<typeof ConnectionsReplySchema>;
export type ZeroCountersRequest = z.infer<typeof ZeroCountersRequestSchema>;
export type ZeroAck = z.infer<typeof ZeroAckSchema>;
export type HealthEntry = z.infer<typeof HealthEntrySchema>;
export type HealthReport = z.input<typeof HealthReportSchema>;
export type HealthAck = z.infer<typeof HealthAckSchema>;

export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;
export type AgentAuth = z.infer<typeof AgentAuthSchema>;
export type KernelInfo = z.infer<typeof KernelInfoSchema>;
export type AgentHello = z.infer<typeof AgentHelloSchema>;
export type HelloAck = z.infer<typeof HelloAckSchema>;
export type DesiredPush = z.input<typeof DesiredPushSchema>;
export type DesiredDeltaPush = z.input<typeof DesiredDeltaPushSchema>;
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
  stats: "stats",
  connections: "connections",
  zero: "zero",
  health: "health",
} as const;
