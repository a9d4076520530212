/**
 * Health checks, on-failure action, slow start and sorry server of a virtual
 * service (issue #6): the panel's input schemas and pure rules, shared by the
 * service dialog and the API. The director's agent runs the checks; compile
 * copies these fields into each director's desired state
 * (shared/desired-state/schema.ts: healthCheck, onFailure, slowStartSeconds,
 * sorryServer).
 *
 * Rules that need two fields live in checkServiceHealth (also run by the
 * server's services after merging an update into the stored service):
 *   - FWMARK services need a check port (their real servers have no port);
 *   - timeout ≤ interval × fall (see HEALTH_TIMEOUT_RULE);
 *   - a body regex must compile; "regex" needs a body to match;
 *   - the sorry server follows the real-server rules (address family, only NAT
 *     remaps the port) and must not be one of the service's real servers.
 * Only admins may define or change an exec check: a role rule, enforced by
 * the server (FORBIDDEN) — the UI only hides the choice.
 */
import { z } from "zod";
import { HEALTH_CHECK_DEFAULTS } from "../desired-state/schema";
import { FORWARDING_METHODS, type ForwardingMethod, type Protocol } from "./constants";
import { checkRealServer, endpointLabel, realServerEndpointKey, type FieldIssue } from "./rules";
import { normaliseAddress } from "./address";
import { LIMITS } from "./constants";

export { HEALTH_CHECK_DEFAULTS };
export const HEALTH_CHECK_KINDS = ["http", "https", "tcp", "exec", "dns"] as const;
export type HealthCheckKind = (typeof HEALTH_CHECK_KINDS)[number];
export const HEALTH_CHECK_LABELS: Record<HealthCheckKind, string> = {
  http: "HTTP GET",
  https: "HTTPS GET",
  tcp: "TCP connect",
  exec: "Command (exec)",
  dns: "DNS query",
};
export const DNS_QUERY_KINDS = ["A", "AAAA", "CNAME", "MX", "NS", "SOA", "SRV", "TXT", "PTR"] as const;
export const ON_FAILURE_ACTIONS = ["QUIESCE", "REMOVE"] as const;
export type OnFailureAction = (typeof ON_FAILURE_ACTIONS)[number];
export const ON_FAILURE_LABELS: Record<OnFailureAction, string> = {
  QUIESCE: "Quiesce (weight 0): existing connections finish",
  REMOVE: "Remove the destination: its connections break",
};
/** "200", "200-399", "200,301-302" */
export const HTTP_STATUS_TEXT = /^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/;
export const HEALTH_LIMITS = {
  intervalMs: { min: 100, max: 3_600_000 },
  timeoutMs: { min: 50, max: 60_000 },
  rise: { min: 1, max: 100 },
  fall: { min: 1, max: 100 },
  slowStartSeconds: { min: 0, max: 3600 },
  drainTimeoutSeconds: { min: 10, max: 86_400 },
} as const;
/**
 * ldirectord refuses negotiatetimeout ≥ checkinterval because its checks of
 * one cycle run back to back. Our agent never overlaps two checks of one
 * destination (the next starts when the previous finished, at the earliest
 * one interval after it started), so the contract's defaults (interval 300 ms,
 * timeout 500 ms) are valid. The rule we keep: one check may not outlast the
 * whole failure window, timeout ≤ interval × fall — otherwise a single slow
 * answer spans more time than "fall failures in a row" promises.
 */
export const HEALTH_TIMEOUT_RULE = "timeout ≤ interval × fall";

function intIn(label: string, min: number, max: number) {
  const range = `${label} must be between ${min} and ${max}`;
  return z.number({ error: `Enter ${label.toLowerCase()}` }).int(`${label} must be a whole number`).min(min, range).max(max, range);
}

// (schemas.ts imports this module, so the two building blocks are repeated here rather than imported)
const portSchema = intIn("Port", LIMITS.port.min, LIMITS.port.max);
const ipAddressSchema = z
  .string({ error: "Enter an IP address" })
  .trim()
  .min(1, "Enter an IP address")
  .refine((v) => normaliseAddress(v) !== null, "Not a valid IPv4 or IPv6 address")
  .transform((v) => normaliseAddress(v) as string);

const common = {
  intervalMs: intIn("Interval (ms)", HEALTH_LIMITS.intervalMs.min, HEALTH_LIMITS.intervalMs.max).default(HEALTH_CHECK_DEFAULTS.intervalMs),
  timeoutMs: intIn("Timeout (ms)", HEALTH_LIMITS.timeoutMs.min, HEALTH_LIMITS.timeoutMs.max).default(HEALTH_CHECK_DEFAULTS.timeoutMs),
  rise: intIn("Rise", HEALTH_LIMITS.rise.min, HEALTH_LIMITS.rise.max).default(HEALTH_CHECK_DEFAULTS.rise),
  fall: intIn("Fall", HEALTH_LIMITS.fall.min, HEALTH_LIMITS.fall.max).default(HEALTH_CHECK_DEFAULTS.fall),
  /** null = the real server's port */
  port: portSchema.nullable().default(null),
};

const optionalText = (schema: z.ZodString) =>
  z
    .string()
    .trim()
    .nullable()
    .default(null)
    .transform((v) => (v === null || v === "" ? null : v))
    .pipe(schema.nullable());

export const httpCheckSchema = z.strictObject({
  type: z.enum(["http", "https"]),
  ...common,
  path: z
    .string()
    .trim()
    .max(2048, "Keep the path under 2048 characters")
    .regex(/^\/\S*$/, "The path starts with / and has no spaces, e.g. /health")
    .default("/"),
  /** Host header; null = the real server's address */
  host: optionalText(
    z.string().max(253, "Host names are at most 253 characters").regex(/^[^\s/]+$/, "Enter a host name (optionally :port), no spaces or /"),
  ),
  expectStatus: z.string().trim().regex(HTTP_STATUS_TEXT, "Use a status like 200, a range 200-399 or a list 200,301-302").default("200-399"),
  expectBody: optionalText(z.string().max(1024, "Keep the expected text under 1024 characters")),
  bodyIsRegex: z.boolean().default(false),
  tlsVerify: z.boolean().default(false),
});
export const tcpCheckSchema = z.strictObject({ type: z.literal("tcp"), ...common });
export const execCheckSchema = z.strictObject({
  type: z.literal("exec"),
  ...common,
  command: z
    .string({ error: "Enter the command's absolute path" })
    .trim()
    .max(1024, "Keep the path under 1024 characters")
    .regex(/^\/\S+$/, "Enter an absolute path without spaces, e.g. /usr/local/bin/check-app (arguments go below)"),
  args: z.array(z.string().max(1024, "Keep each argument under 1024 characters")).max(32, "At most 32 arguments").default([]),
});
export const dnsCheckSchema = z.strictObject({
  type: z.literal("dns"),
  ...common,
  name: z
    .string({ error: "Enter the name to query" })
    .trim()
    .min(1, "Enter the name to query")
    .max(253, "DNS names are at most 253 characters")
    .regex(/^[A-Za-z0-9_.-]+$/, "Enter a DNS name, e.g. www.example.com"),
  queryType: z.enum(DNS_QUERY_KINDS, { error: `Choose one of ${DNS_QUERY_KINDS.join(", ")}` }).default("A"),
});

export const healthCheckInput = z.discriminatedUnion("type", [httpCheckSchema, tcpCheckSchema, execCheckSchema, dnsCheckSchema], {
  error: `Choose a check type: ${HEALTH_CHECK_KINDS.join(", ")}`,
});
export type HealthCheckInput = z.input<typeof healthCheckInput>;
export type HealthCheckFields = z.output<typeof healthCheckInput>;

export const sorryServerInput = z.strictObject({
  address: ipAddressSchema,
  /** null = the service's port */
  port: portSchema.nullable().default(null),
  forwarding: z.enum(FORWARDING_METHODS, { error: "Choose DR, NAT or TUN" }).default("DR"),
});
export type SorryServerFields = z.output<typeof sorryServerInput>;

export const onFailureSchema = z.enum(ON_FAILURE_ACTIONS, { error: "Choose quiesce or remove" });
export const slowStartSchema = intIn("Slow start (s)", HEALTH_LIMITS.slowStartSeconds.min, HEALTH_LIMITS.slowStartSeconds.max);

/** The health fields of a virtual service, as create takes them (update: each optional). */
export const serviceHealthShape = {
  healthCheck: healthCheckInput.nullable().default(null),
  onFailure: onFailureSchema.default("QUIESCE"),
  slowStartSeconds: slowStartSchema.default(0),
  sorryServer: sorryServerInput.nullable().default(null),
};
export const serviceHealthUpdateShape = {
  healthCheck: healthCheckInput.nullable().optional(),
  onFailure: onFailureSchema.optional(),
  slowStartSeconds: slowStartSchema.optional(),
  sorryServer: sorryServerInput.nullable().optional(),
};

export interface ServiceHealthFields {
  healthCheck: HealthCheckFields | null;
  onFailure: OnFailureAction;
  slowStartSeconds: number;
  sorryServer: SorryServerFields | null;
}

/** Cross-field rules of a service's health settings. Issue paths start at the service ("healthCheck.port", "sorryServer.address"). */
export function checkServiceHealth(
  vs: { protocol: Protocol; address: string; port: number | null },
  h: { healthCheck: HealthCheckFields | null; sorryServer: SorryServerFields | null },
  realServers: { address: string | null; port: number | null }[] = [],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const hc = h.healthCheck;
  if (hc) {
    if (vs.protocol === "FWMARK" && hc.port === null) {
      issues.push({ path: ["healthCheck", "port"], message: "FWMARK services need a check port: their real servers have no port of their own" });
    }
    if (hc.timeoutMs > hc.intervalMs * hc.fall) {
      issues.push({
        path: ["healthCheck", "timeoutMs"],
        message: `The timeout (${hc.timeoutMs} ms) must not exceed interval × fall (${hc.intervalMs * hc.fall} ms): one slow check would outlast the whole failure window; lower the timeout or raise the interval or fall`,
      });
    }
    if (hc.type === "http" || hc.type === "https") {
      if (hc.bodyIsRegex && hc.expectBody === null) {
        issues.push({ path: ["healthCheck", "expectBody"], message: "Enter the regular expression the body must match, or untick regex" });
      } else if (hc.bodyIsRegex && hc.expectBody !== null) {
        try {
          new RegExp(hc.expectBody);
        } catch (e) {
          issues.push({ path: ["healthCheck", "expectBody"], message: `Not a valid regular expression: ${(e as Error).message}` });
        }
      }
      if (hc.tlsVerify && hc.type === "http") {
        issues.push({ path: ["healthCheck", "tlsVerify"], message: "Certificate verification needs an HTTPS check" });
      }
    }
  }
  const sorry = h.sorryServer;
  if (sorry) {
    const rsIssues = checkRealServer(vs, { address: sorry.address, port: sorry.port, forwarding: sorry.forwarding as ForwardingMethod, upperThreshold: 0, lowerThreshold: 0 });
    for (const i of rsIssues) issues.push({ path: ["sorryServer", ...i.path], message: i.message.replace(/^A real server/, "The sorry server") });
    const key = realServerEndpointKey(vs, sorry);
    if (realServers.some((r) => r.address !== null && realServerEndpointKey(vs, r) === key)) {
      issues.push({
        path: ["sorryServer", "address"],
        message: `${endpointLabel(sorry.address, sorry.port ?? vs.port)} is a real server of this service; the sorry server must be another endpoint`,
      });
    }
  }
  return issues;
}

/** A person's summary of a check, e.g. "HTTP GET /health Host www.example.com expect 200-399 every 300 ms". */
export function healthCheckSummary(hc: HealthCheckFields): string {
  const port = hc.port === null ? "" : ` port ${hc.port}`;
  const timing = `every ${hc.intervalMs} ms, timeout ${hc.timeoutMs} ms, rise ${hc.rise} fall ${hc.fall}`;
  switch (hc.type) {
    case "http":
    case "https":
      return `${hc.type.toUpperCase()} GET ${hc.path}${hc.host ? ` Host ${hc.host}` : ""}${port} expect ${hc.expectStatus}${hc.expectBody ? ` body ${hc.bodyIsRegex ? "~" : "contains"} ${JSON.stringify(hc.expectBody)}` : ""}, ${timing}`;
    case "tcp":
      return `TCP connect${port}, ${timing}`;
    case "exec":
      return `exec ${[hc.command, ...hc.args].join(" ")}${port}, ${timing}`;
    case "dns":
      return `DNS ${hc.queryType} ${hc.name}${port}, ${timing}`;
  }
}

// ---------------------------------------------------------------------------
// Drain and health reads

export const drainStartInput = z.object({
  realServerId: z.string().min(1, "Missing id").max(64, "Invalid id"),
  /** After this many seconds the UI offers Remove even with connections left. */
  timeoutSeconds: intIn("Drain timeout (s)", HEALTH_LIMITS.drainTimeoutSeconds.min, HEALTH_LIMITS.drainTimeoutSeconds.max).default(600),
});
export const drainByRealServerInput = z.object({ realServerId: z.string().min(1, "Missing id").max(64, "Invalid id") });

export const HEALTH_TIMELINE_RANGES = ["1h", "24h", "7d", "30d"] as const;
export const HEALTH_TIMELINE_RANGE_MS: Record<(typeof HEALTH_TIMELINE_RANGES)[number], number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};
export const healthTimelineInput = z.object({
  realServerId: z.string().min(1, "Missing id").max(64, "Invalid id"),
  range: z.enum(HEALTH_TIMELINE_RANGES).default("24h"),
  limit: z.number().int().min(1).max(500).default(200),
});

// ---------------------------------------------------------------------------
// Output shapes (procedure outputs; the UI imports the inferred types)

const commonDto = { intervalMs: z.number().int(), timeoutMs: z.number().int(), rise: z.number().int(), fall: z.number().int(), port: z.number().int().nullable() };
export const healthCheckDto = z.discriminatedUnion("type", [
  z.object({
    type: z.enum(["http", "https"]),
    ...commonDto,
    path: z.string(),
    host: z.string().nullable(),
    expectStatus: z.string(),
    expectBody: z.string().nullable(),
    bodyIsRegex: z.boolean(),
    tlsVerify: z.boolean(),
  }),
  z.object({ type: z.literal("tcp"), ...commonDto }),
  z.object({ type: z.literal("exec"), ...commonDto, command: z.string(), args: z.array(z.string()) }),
  z.object({ type: z.literal("dns"), ...commonDto, name: z.string(), queryType: z.enum(DNS_QUERY_KINDS) }),
]);
export const sorryServerDto = z.object({ address: z.string(), port: z.number().int().nullable(), forwarding: z.enum(FORWARDING_METHODS) });
export const drainDto = z.object({
  startedAt: z.string(),
  timeoutSeconds: z.number().int(),
  startedByName: z.string(),
});
export type Drain = z.infer<typeof drainDto>;

export const HEALTH_STATES = ["up", "down", "unknown"] as const;
/** One director's view of one real server. */
export const realServerHealthDto = z.object({
  realServerId: z.string(),
  virtualServiceId: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  status: z.enum(HEALTH_STATES),
  since: z.string(),
  lastCheckAt: z.string().nullable(),
  latencyMs: z.number().nullable(),
  reason: z.string(),
  action: z.enum(["none", "quiesced", "removed", "slow-start"]),
});
export type RealServerHealthView = z.infer<typeof realServerHealthDto>;
export const clusterHealthDto = z.object({
  clusterId: z.string(),
  entries: z.array(realServerHealthDto),
  /** services whose sorry server is in the kernel now */
  sorryActive: z.array(z.string()),
  /** directors that sent a health report since the panel started */
  reportingHosts: z.array(z.object({ hostId: z.string(), hostName: z.string(), at: z.string() })),
});
export type ClusterHealth = z.infer<typeof clusterHealthDto>;
export const healthEventDto = z.object({
  id: z.string(),
  at: z.string(),
  hostId: z.string(),
  hostName: z.string(),
  status: z.enum(HEALTH_STATES),
  reason: z.string(),
  latencyMs: z.number().nullable(),
});
export type HealthEventView = z.infer<typeof healthEventDto>;
export const healthTimelineDto = z.object({ realServerId: z.string(), events: z.array(healthEventDto), truncated: z.boolean() });
export type HealthTimeline = z.infer<typeof healthTimelineDto>;
