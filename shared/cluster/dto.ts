/**
 * Output shapes (DTOs) of the panel API. Procedures validate their results
 * against these schemas; the UI imports the inferred types.
 *
 * Transport: plain JSON, no tRPC transformer. Dates are ISO 8601 strings
 * (UTC, e.g. "2026-11-21T10:57:48.123Z"); before/after snapshots in the audit
 * log are plain JSON values.
 */
import { z } from "zod";
import { FORWARDING_METHODS, MARK_PROTOCOLS, PERSISTENCE_ENGINES, PROTOCOLS, ROLES, SCHEDULERS } from "./constants";
import { ON_FAILURE_ACTIONS, drainDto, healthCheckDto, sorryServerDto } from "./health";

const isoDate = z.string();

export const roleDto = z.enum(ROLES);

export const sessionUserDto = z.object({
  id: z.string(),
  username: z.string(),
  role: roleDto,
  /** How this request authenticated: a browser session or an API token. */
  via: z.enum(["session", "token"]),
});
export type SessionUser = z.infer<typeof sessionUserDto>;

export const authStatusDto = z.object({ needsSetup: z.boolean(), user: sessionUserDto.nullable() });
export type AuthStatus = z.infer<typeof authStatusDto>;

export const okDto = z.object({ ok: z.literal(true) });

export const hostRefDto = z.object({ id: z.string(), name: z.string(), managementAddress: z.string() });
export type HostRef = z.infer<typeof hostRefDto>;

export const directorDto = z.object({
  id: z.string(),
  clusterId: z.string(),
  hostId: z.string(),
  priority: z.number().int(),
  /** Linux interface the director puts the cluster's VIPs on. */
  vipInterface: z.string(),
  host: hostRefDto,
  createdAt: isoDate,
});
export type Director = z.infer<typeof directorDto>;

export const clusterSummaryDto = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  createdAt: isoDate,
  updatedAt: isoDate,
  directorCount: z.number().int(),
  serviceCount: z.number().int(),
  realServerCount: z.number().int(),
});
export type ClusterSummary = z.infer<typeof clusterSummaryDto>;

export const clusterDetailDto = clusterSummaryDto.extend({ directors: z.array(directorDto) });
export type ClusterDetail = z.infer<typeof clusterDetailDto>;

export const realServerDto = z.object({
  id: z.string(),
  virtualServiceId: z.string(),
  hostId: z.string().nullable(),
  host: hostRefDto.nullable(),
  address: z.string(),
  /** null: same port as the service (or as the client sent it, for FWMARK). */
  port: z.number().int().nullable(),
  forwarding: z.enum(FORWARDING_METHODS),
  weight: z.number().int(),
  upperThreshold: z.number().int(),
  lowerThreshold: z.number().int(),
  enabled: z.boolean(),
  createdAt: isoDate,
  updatedAt: isoDate,
  /** an active drain (weight 0 published without a revision), null when not draining */
  drain: drainDto.nullable(),
});
export type RealServer = z.infer<typeof realServerDto>;

export const virtualServiceDto = z.object({
  id: z.string(),
  clusterId: z.string(),
  protocol: z.enum(PROTOCOLS),
  family: z.enum(["ipv4", "ipv6"]),
  address: z.string(),
  port: z.number().int().nullable(),
  fwmark: z.number().int().nullable(),
  scheduler: z.enum(SCHEDULERS),
  schedulerFlags: z.array(z.string()),
  persistenceTimeout: z.number().int().nullable(),
  persistenceNetmask: z.number().int().nullable(),
  persistenceEngine: z.enum(PERSISTENCE_ENGINES).nullable(),
  /** FWMARK only: protocol of the agent's nft mark rule; null = packets are marked elsewhere. */
  markProtocol: z.enum(MARK_PROTOCOLS).nullable(),
  /** FWMARK only: destination ports of the mark rule; empty = every port. */
  markPorts: z.array(z.number().int()),
  description: z.string(),
  enabled: z.boolean(),
  /** the agent's health check of every real server (null: none; destinations keep their weight) */
  healthCheck: healthCheckDto.nullable(),
  onFailure: z.enum(ON_FAILURE_ACTIONS),
  slowStartSeconds: z.number().int(),
  /** takes over while every real server is down */
  sorryServer: sorryServerDto.nullable(),
  createdAt: isoDate,
  updatedAt: isoDate,
  realServers: z.array(realServerDto),
});
export type VirtualService = z.infer<typeof virtualServiceDto>;

export const virtualServicePageDto = z.object({
  items: z.array(virtualServiceDto),
  total: z.number().int(),
  page: z.number().int(),
  pageSize: z.number().int(),
});
export type VirtualServicePage = z.infer<typeof virtualServicePageDto>;

export const hostInterfaceDto = z.object({ name: z.string(), addresses: z.array(z.string()) });

export const agentInterfaceDto = z.object({ name: z.string(), addresses: z.array(z.string()), up: z.boolean() });

/** What the panel knows about a host's agent (enrollment, connection, last hello and report). */
export const hostAgentDto = z.object({
  /** an active (not revoked) credential exists */
  enrolled: z.boolean(),
  /** display prefix of the active credential, e.g. "lvsh_Ab3dE9" */
  credentialPrefix: z.string().nullable(),
  /** connected to the panel right now */
  online: z.boolean(),
  lastSeenAt: isoDate.nullable(),
  version: z.string().nullable(),
  /** the hostname the agent reported */
  hostname: z.string().nullable(),
  kernelRelease: z.string().nullable(),
  /** null: unknown (never said hello) */
  ipvs: z.boolean().nullable(),
  ipvsVersion: z.string().nullable(),
  schedulers: z.array(z.string()),
  /** interfaces the agent reported (for the director's VIP interface) */
  interfaces: z.array(agentInterfaceDto),
  defaultGateways: z.array(z.string()),
  /** last generation the panel published for this host (0 = none) */
  desiredGeneration: z.number().int(),
  appliedGeneration: z.number().int().nullable(),
  driftCount: z.number().int(),
  driftCheckedAt: isoDate.nullable(),
});
export type HostAgent = z.infer<typeof hostAgentDto>;

export const hostDto = z.object({
  id: z.string(),
  name: z.string(),
  managementAddress: z.string(),
  interfaces: z.array(hostInterfaceDto),
  labels: z.record(z.string(), z.string()),
  description: z.string(),
  createdAt: isoDate,
  updatedAt: isoDate,
  /** Clusters this host directs. */
  directorOf: z.array(z.object({ clusterId: z.string(), clusterName: z.string(), priority: z.number().int() })),
  /** Real-server entries that point at this host. */
  realServerCount: z.number().int(),
  /** The host's agent as last seen by the panel. */
  agent: hostAgentDto,
});
export type Host = z.infer<typeof hostDto>;

export const userDto = z.object({
  id: z.string(),
  username: z.string(),
  role: roleDto,
  disabled: z.boolean(),
  createdAt: isoDate,
  lastLoginAt: isoDate.nullable(),
});
export type User = z.infer<typeof userDto>;

export const apiTokenDto = z.object({
  id: z.string(),
  name: z.string(),
  /** First characters of the secret, for recognising it (e.g. "lvsc_3fA9k2"). */
  prefix: z.string(),
  role: roleDto,
  createdAt: isoDate,
  createdBy: z.object({ id: z.string(), username: z.string() }).nullable(),
  lastUsedAt: isoDate.nullable(),
  expiresAt: isoDate.nullable(),
  revokedAt: isoDate.nullable(),
});
export type ApiToken = z.infer<typeof apiTokenDto>;

/** tokens.create result: the secret is returned this once and never stored in clear. */
export const createdApiTokenDto = z.object({ token: apiTokenDto, secret: z.string() });
export type CreatedApiToken = z.infer<typeof createdApiTokenDto>;

export const auditActorDto = z.object({
  userId: z.string().nullable(),
  tokenId: z.string().nullable(),
  /** Username (or "token <name>") at the time of the event. */
  name: z.string(),
});

export const auditEventDto = z.object({
  id: z.string(),
  at: isoDate,
  actor: auditActorDto,
  clientAddress: z.string(),
  /** e.g. "realServer.update" */
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  clusterId: z.string().nullable(),
  clusterName: z.string().nullable(),
  summary: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});
export type AuditEvent = z.infer<typeof auditEventDto>;

export const auditPageDto = z.object({ items: z.array(auditEventDto), nextCursor: z.string().nullable() });
export type AuditPage = z.infer<typeof auditPageDto>;

export const auditFacetsDto = z.object({
  users: z.array(z.object({ id: z.string(), name: z.string() })),
  clusters: z.array(z.object({ id: z.string(), name: z.string() })),
  entityTypes: z.array(z.string()),
});
export type AuditFacets = z.infer<typeof auditFacetsDto>;
