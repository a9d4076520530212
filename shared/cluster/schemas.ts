/**
 * Input schemas of the cluster model — the ONE validation module used by the
 * UI (form validation) and the API (tRPC procedure inputs).
 *
 * Every message is written for the person filling the form and attached to
 * the field it is about (zod issue path). Rules that need two fields (port vs
 * fwmark, DR port remap, netmask per family, duplicates inside one payload)
 * live in rules.ts and are applied here with superRefine so the same checks
 * run in the browser and on the server. Rules that need the database
 * (duplicates in a cluster, the same VIP:port in another cluster) run in the
 * server's services and come back with the same field-error shape.
 */
import { z } from "zod";
import { isValidInterfaceName } from "@/shared/net";
import { normaliseAddress, parseInterfaceAddress } from "./address";
import {
  FORWARDING_METHODS,
  LIMITS,
  MARK_PROTOCOLS,
  PERSISTENCE_ENGINES,
  PROTOCOLS,
  ROLES,
  SCHEDULERS,
  AUDIT_ENTITY_TYPES,
} from "./constants";
import { addIssues, checkRealServer, checkRealServerDuplicates, checkVirtualService } from "./rules";
import { checkServiceHealth, serviceHealthShape, serviceHealthUpdateShape } from "./health";

// ---------------------------------------------------------------------------
// Building blocks

export const idSchema = z.string({ error: "Missing id" }).min(1, "Missing id").max(64, "Invalid id");

/** An IPv4 or IPv6 address; the output is the canonical spelling. */
export const ipAddressSchema = z
  .string({ error: "Enter an IP address" })
  .trim()
  .min(1, "Enter an IP address")
  .refine((v) => normaliseAddress(v) !== null, "Not a valid IPv4 or IPv6 address")
  .transform((v) => normaliseAddress(v) as string);

function intInRange(label: string, min: number, max: number) {
  const range = `${label} must be between ${min} and ${max}`;
  return z
    .number({ error: `Enter a ${label.toLowerCase()}` })
    .int(`${label} must be a whole number`)
    .min(min, range)
    .max(max, range);
}

export const portSchema = intInRange("Port", LIMITS.port.min, LIMITS.port.max);
export const fwmarkSchema = intInRange("Firewall mark", LIMITS.fwmark.min, LIMITS.fwmark.max);
export const weightSchema = intInRange("Weight", LIMITS.weight.min, LIMITS.weight.max);
export const thresholdSchema = intInRange("Threshold", LIMITS.threshold.min, LIMITS.threshold.max);
export const persistenceTimeoutSchema = intInRange(
  "Persistence timeout",
  LIMITS.persistenceTimeout.min,
  LIMITS.persistenceTimeout.max,
);
/** Persistence netmask as a prefix length; the per-family maximum (32 or 128) is a rule. */
export const persistenceNetmaskSchema = z
  .number({ error: "Enter a prefix length" })
  .int("Prefix length must be a whole number")
  .min(1, "Prefix length must be at least 1")
  .max(128, "Prefix length must be at most 128");

export const protocolSchema = z.enum(PROTOCOLS, { error: "Choose TCP, UDP or FWMARK" });
export const schedulerSchema = z.enum(SCHEDULERS, {
  error: `Unknown scheduler; choose one of ${SCHEDULERS.join(", ")}`,
});
export const forwardingSchema = z.enum(FORWARDING_METHODS, { error: "Choose DR, NAT or TUN" });
export const persistenceEngineSchema = z.enum(PERSISTENCE_ENGINES, { error: "The only persistence engine is sip" });
export const roleSchema = z.enum(ROLES, { error: "Choose viewer, operator or admin" });
export const markProtocolSchema = z.enum(MARK_PROTOCOLS, { error: "Choose tcp or udp for the mark rule" });
/** Destination ports of an FWMARK service's mark rule; empty = every port. Duplicates and the count are rules. */
export const markPortsSchema = z.array(portSchema).max(64, `At most ${LIMITS.markPorts.max} ports per mark rule`);

/** "80, 443" → [80, 443] for form fields; null when a part is not a whole number. */
export function parseMarkPortsText(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  if (!parts.every((p) => /^\d+$/.test(p))) return null;
  return parts.map(Number);
}

const descriptionSchema = z
  .string()
  .trim()
  .max(LIMITS.description.max, `Keep the description under ${LIMITS.description.max} characters`);

const displayNameSchema = (what: string) =>
  z
    .string({ error: `Enter a ${what} name` })
    .trim()
    .min(1, `Enter a ${what} name`)
    .max(LIMITS.name.max, `Keep the name under ${LIMITS.name.max} characters`)
    .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, "Use letters, digits, spaces, dots, dashes and underscores");

// ---------------------------------------------------------------------------
// Cluster

export const clusterFieldsSchema = z.object({
  name: displayNameSchema("cluster"),
  description: descriptionSchema.default(""),
});
export const clusterCreateInput = clusterFieldsSchema;
export const clusterUpdateInput = z.object({ id: idSchema }).extend(clusterFieldsSchema.partial().shape);
export const byIdInput = z.object({ id: idSchema });

// ---------------------------------------------------------------------------
// Host

const hostNameSchema = z
  .string({ error: "Enter a host name" })
  .trim()
  .min(1, "Enter a host name")
  .max(253, "Host names are at most 253 characters")
  .regex(
    /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    "Use a host name: letters, digits and dashes, labels separated by dots",
  );

const interfaceAddressSchema = z
  .string()
  .trim()
  .refine((v) => parseInterfaceAddress(v) !== null, "Use address/prefix, e.g. 192.0.2.10/24 or 2001:db8::10/64")
  .transform((v) => parseInterfaceAddress(v)!.text);

export const hostInterfaceSchema = z.object({
  name: z
    .string({ error: "Enter an interface name" })
    .trim()
    .regex(/^[A-Za-z0-9._@-]{1,15}$/, "Interface names are 1-15 letters, digits, dots, dashes or @"),
  addresses: z.array(interfaceAddressSchema).max(64, "At most 64 addresses per interface").default([]),
});

const labelKeySchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9._/-]{0,62})$/, "Label keys are lower-case letters, digits, dots, dashes, slashes (max 63)");
const labelValueSchema = z.string().max(128, "Label values are at most 128 characters");

export const hostFieldsSchema = z
  .object({
    name: hostNameSchema,
    managementAddress: ipAddressSchema,
    interfaces: z.array(hostInterfaceSchema).max(64, "At most 64 interfaces").default([]),
    labels: z.record(labelKeySchema, labelValueSchema).default({}),
    description: descriptionSchema.default(""),
  })
  .superRefine((host, ctx) => {
    const seen = new Map<string, number>();
    host.interfaces.forEach((iface, i) => {
      const first = seen.get(iface.name);
      if (first !== undefined) {
        ctx.addIssue({ code: "custom", path: ["interfaces", i, "name"], message: `Interface ${iface.name} is listed twice` });
      } else seen.set(iface.name, i);
    });
  });
export const hostCreateInput = hostFieldsSchema;
export const hostUpdateInput = z.object({
  id: idSchema,
  name: hostNameSchema.optional(),
  managementAddress: ipAddressSchema.optional(),
  interfaces: z.array(hostInterfaceSchema).max(64).optional(),
  labels: z.record(labelKeySchema, labelValueSchema).optional(),
  description: descriptionSchema.optional(),
});

// ---------------------------------------------------------------------------
// Directors (which hosts direct a cluster)

const directorPrioritySchema = intInRange("Priority", LIMITS.directorPriority.min, LIMITS.directorPriority.max);
/** The Linux interface a director puts the cluster's VIPs on (e.g. eth0, bond0.100). */
export const vipInterfaceSchema = z
  .string({ error: "Enter an interface name" })
  .trim()
  .refine(isValidInterfaceName, "Use a Linux interface name: 1-15 characters, no spaces, '/' or ':'");
export const directorAddInput = z.object({
  clusterId: idSchema,
  hostId: idSchema,
  priority: directorPrioritySchema.default(100),
  vipInterface: vipInterfaceSchema.default("eth0"),
});
export const directorUpdateInput = z.object({
  id: idSchema,
  priority: directorPrioritySchema.optional(),
  vipInterface: vipInterfaceSchema.optional(),
});

// ---------------------------------------------------------------------------
// Real servers

/**
 * A real server: a Host (hostId; its management address is used unless an
 * address is given) or a bare address. Port empty = the service's port.
 */
export const realServerFieldsSchema = z.object({
  hostId: idSchema.nullable().default(null),
  address: ipAddressSchema.nullable().default(null),
  port: portSchema.nullable().default(null),
  forwarding: forwardingSchema.default("DR"),
  weight: weightSchema.default(1),
  upperThreshold: thresholdSchema.default(0),
  lowerThreshold: thresholdSchema.default(0),
  enabled: z.boolean().default(true),
});
export type RealServerFields = z.output<typeof realServerFieldsSchema>;

export const realServerCreateInput = z
  .object({ virtualServiceId: idSchema })
  .extend(realServerFieldsSchema.shape)
  .superRefine((rs, ctx) => {
    if (rs.hostId === null && rs.address === null) {
      ctx.addIssue({ code: "custom", path: ["address"], message: "Choose a host or enter an address" });
    }
  });
export const realServerUpdateInput = z.object({
  id: idSchema,
  hostId: idSchema.nullable().optional(),
  address: ipAddressSchema.nullable().optional(),
  port: portSchema.nullable().optional(),
  forwarding: forwardingSchema.optional(),
  weight: weightSchema.optional(),
  upperThreshold: thresholdSchema.optional(),
  lowerThreshold: thresholdSchema.optional(),
  enabled: z.boolean().optional(),
});

// ---------------------------------------------------------------------------
// Virtual services

const virtualServiceShape = {
  protocol: protocolSchema,
  address: ipAddressSchema,
  port: portSchema.nullable().default(null),
  fwmark: fwmarkSchema.nullable().default(null),
  scheduler: schedulerSchema.default("wlc"),
  schedulerFlags: z.array(z.string()).max(4).default([]),
  persistenceTimeout: persistenceTimeoutSchema.nullable().default(null),
  persistenceNetmask: persistenceNetmaskSchema.nullable().default(null),
  persistenceEngine: persistenceEngineSchema.nullable().default(null),
  markProtocol: markProtocolSchema.nullable().default(null),
  markPorts: markPortsSchema.default([]),
  description: descriptionSchema.default(""),
  enabled: z.boolean().default(true),
};

/** The fields of a virtual service with all single-service rules applied. */
export const virtualServiceFieldsSchema = z.object(virtualServiceShape).superRefine((vs, ctx) => {
  addIssues(ctx, checkVirtualService(vs));
});
export type VirtualServiceFields = z.output<typeof virtualServiceFieldsSchema>;

/** Create a virtual service, optionally with its real servers in the same step. */
export const virtualServiceCreateInput = z
  .object({
    clusterId: idSchema,
    ...virtualServiceShape,
    ...serviceHealthShape,
    realServers: z.array(realServerFieldsSchema).max(1000, "At most 1000 real servers per service").default([]),
  })
  .superRefine((vs, ctx) => {
    addIssues(ctx, checkVirtualService(vs));
    addIssues(ctx, checkServiceHealth(vs, vs, vs.realServers));
    vs.realServers.forEach((rs, i) => {
      if (rs.hostId === null && rs.address === null) {
        ctx.addIssue({ code: "custom", path: ["realServers", i, "address"], message: "Choose a host or enter an address" });
        return;
      }
      // Host-backed real servers are checked on the server once the host's address is known.
      if (rs.address !== null) addIssues(ctx, checkRealServer(vs, rs), ["realServers", i]);
    });
    addIssues(ctx, checkRealServerDuplicates(vs, vs.realServers), ["realServers"]);
  });
export type VirtualServiceCreateInput = z.output<typeof virtualServiceCreateInput>;

export const virtualServiceUpdateInput = z.object({
  id: idSchema,
  protocol: protocolSchema.optional(),
  address: ipAddressSchema.optional(),
  port: portSchema.nullable().optional(),
  fwmark: fwmarkSchema.nullable().optional(),
  scheduler: schedulerSchema.optional(),
  schedulerFlags: z.array(z.string()).max(4).optional(),
  persistenceTimeout: persistenceTimeoutSchema.nullable().optional(),
  persistenceNetmask: persistenceNetmaskSchema.nullable().optional(),
  persistenceEngine: persistenceEngineSchema.nullable().optional(),
  markProtocol: markProtocolSchema.nullable().optional(),
  markPorts: markPortsSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional(),
  /** Health check, on-failure action, slow start, sorry server (issue #6); omitted = unchanged, null = none. */
  ...serviceHealthUpdateShape,
});

export const virtualServiceListInput = z.object({
  clusterId: idSchema,
  /** Matches VIP, port, fwmark, scheduler, description and real-server addresses (case-insensitive). */
  search: z.string().trim().max(100, "Search is at most 100 characters").optional(),
  protocol: protocolSchema.optional(),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(LIMITS.pageSize.max).default(50),
});

// ---------------------------------------------------------------------------
// Users, sessions, tokens

export const usernameSchema = z
  .string({ error: "Enter a username" })
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{2,31}$/, "Usernames are 3-32 lower-case letters, digits, dots, dashes or underscores");

export const newPasswordSchema = z
  .string({ error: "Enter a password" })
  .min(LIMITS.password.min, `Use at least ${LIMITS.password.min} characters`)
  .max(LIMITS.password.max, `Use at most ${LIMITS.password.max} characters`);

export const setupInput = z.object({ username: usernameSchema, password: newPasswordSchema });
export const loginInput = z.object({
  username: z.string({ error: "Enter your username" }).trim().toLowerCase().min(1, "Enter your username").max(64),
  password: z.string({ error: "Enter your password" }).min(1, "Enter your password").max(LIMITS.password.max),
});
export const changePasswordInput = z.object({
  currentPassword: z.string({ error: "Enter your current password" }).min(1, "Enter your current password").max(256),
  newPassword: newPasswordSchema,
});

export const userCreateInput = z.object({
  username: usernameSchema,
  password: newPasswordSchema,
  role: roleSchema.default("viewer"),
});
export const userUpdateInput = z.object({
  id: idSchema,
  role: roleSchema.optional(),
  disabled: z.boolean().optional(),
  /** Admin password reset; ends the user's sessions. */
  password: newPasswordSchema.optional(),
});

export const tokenCreateInput = z.object({
  name: displayNameSchema("token"),
  role: roleSchema,
  /** Days until the token stops working; empty = until revoked. */
  expiresInDays: z.number().int("Whole days").min(1, "At least 1 day").max(3650, "At most 3650 days").nullable().default(null),
});

// ---------------------------------------------------------------------------
// Audit

export const auditEntityTypeSchema = z.enum(AUDIT_ENTITY_TYPES);
export const auditListInput = z.object({
  userId: idSchema.optional(),
  clusterId: idSchema.optional(),
  entityType: auditEntityTypeSchema.optional(),
  /** ISO 8601 date-time, inclusive. */
  from: z.iso.datetime({ offset: true, error: "Use an ISO date-time" }).optional(),
  /** ISO 8601 date-time, exclusive. */
  to: z.iso.datetime({ offset: true, error: "Use an ISO date-time" }).optional(),
  /** nextCursor from the previous page. */
  cursor: z.string().max(128).optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
