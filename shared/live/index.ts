/**
 * The panel → browser live channel (issues #5 and #6): socket.io namespace
 * `/live` on the panel's port. The handshake is authenticated with the session
 * cookie (any role may watch). A browser subscribes to the rooms its page
 * shows and receives only those:
 *
 *   browser → "subscribe"   LiveSubscription (ack: SubscribeAck)   joins room cluster:<id> or service:<id>
 *   browser → "unsubscribe" LiveSubscription
 *   panel → "cluster-stats" ClusterLiveFrame    every sample (≈1 s) to room cluster:<id>
 *   panel → "service-stats" ServiceLiveFrame    every sample (≈1 s) to room service:<id>
 *   panel → "health"        HealthLiveFrame     on change, to room cluster:<id> (and service:<id>)
 *
 * With several panel processes the rooms span all of them (socket.io
 * Postgres adapter). Pure zod, no Node-only imports.
 */
import { z } from "zod";

export const LIVE_NAMESPACE = "/live";

export const LiveEvents = {
  subscribe: "subscribe",
  unsubscribe: "unsubscribe",
  clusterStats: "cluster-stats",
  serviceStats: "service-stats",
  health: "health",
} as const;

export const liveRoom = {
  cluster: (clusterId: string) => `cluster:${clusterId}`,
  service: (serviceId: string) => `service:${serviceId}`,
};

export const LiveSubscriptionSchema = z.discriminatedUnion("scope", [
  z.strictObject({ scope: z.literal("cluster"), clusterId: z.string().min(1).max(64) }),
  z.strictObject({ scope: z.literal("service"), serviceId: z.string().min(1).max(64) }),
]);
export const SubscribeAckSchema = z.strictObject({ ok: z.boolean(), error: z.string().optional() });

/** Per-second rates. */
export const RatesSchema = z.strictObject({
  conns: z.number().nonnegative(),
  inpkts: z.number().nonnegative(),
  outpkts: z.number().nonnegative(),
  inbytes: z.number().nonnegative(),
  outbytes: z.number().nonnegative(),
});
export const LiveEntrySchema = z.strictObject({
  rates: RatesSchema,
  active: z.int().nonnegative(),
  inactive: z.int().nonnegative(),
});

export const AgentPresenceSchema = z.strictObject({
  hostId: z.string(),
  name: z.string(),
  role: z.enum(["director", "real-server"]),
  online: z.boolean(),
  lastSeenAt: z.string().datetime().nullable(),
});

export const ClusterLiveFrameSchema = z.strictObject({
  clusterId: z.string(),
  /** sample time, ms since the epoch (the newest director sample in this frame) */
  at: z.number(),
  /** the cluster's totals over its services (summed over its directors) */
  totals: LiveEntrySchema,
  services: z.array(LiveEntrySchema.extend({ id: z.string() })),
  agents: z.array(AgentPresenceSchema),
});

export const ServiceLiveFrameSchema = z.strictObject({
  serviceId: z.string(),
  at: z.number(),
  service: LiveEntrySchema,
  realServers: z.array(LiveEntrySchema.extend({ id: z.string() })),
});

export const HEALTH_STATUSES = ["up", "down", "unknown"] as const;
export const RealServerHealthSchema = z.strictObject({
  realServerId: z.string(),
  virtualServiceId: z.string(),
  status: z.enum(HEALTH_STATUSES),
  since: z.string().datetime(),
  lastCheckAt: z.string().datetime().nullable(),
  latencyMs: z.number().nonnegative().nullable(),
  reason: z.string(),
  action: z.enum(["none", "quiesced", "removed", "slow-start"]),
  /** the director that reported it */
  hostName: z.string(),
});
export const HealthLiveFrameSchema = z.strictObject({
  clusterId: z.string(),
  entries: z.array(RealServerHealthSchema),
  /** virtual service ids whose sorry server is in the kernel now */
  sorryActive: z.array(z.string()),
});

/** History ranges of the service page's range picker. */
export const STATS_RANGES = ["live", "1h", "24h", "7d"] as const;
export type StatsRange = (typeof STATS_RANGES)[number];

export const StatsPointSchema = z.strictObject({
  /** ms since the epoch */
  t: z.number(),
  rates: RatesSchema,
  active: z.number().nonnegative(),
  inactive: z.number().nonnegative(),
});

export type LiveSubscription = z.infer<typeof LiveSubscriptionSchema>;
export type SubscribeAck = z.infer<typeof SubscribeAckSchema>;
export type Rates = z.infer<typeof RatesSchema>;
export type LiveEntry = z.infer<typeof LiveEntrySchema>;
export type AgentPresence = z.infer<typeof AgentPresenceSchema>;
export type ClusterLiveFrame = z.infer<typeof ClusterLiveFrameSchema>;
export type ServiceLiveFrame = z.infer<typeof ServiceLiveFrameSchema>;
export type RealServerHealth = z.infer<typeof RealServerHealthSchema>;
export type HealthLiveFrame = z.infer<typeof HealthLiveFrameSchema>;
export type StatsPoint = z.infer<typeof StatsPointSchema>;
