/** Inputs and outputs of the stats router (issue #5); the UI gets the types through RouterOutputs. */
import { z } from "zod";
import { AgentPresenceSchema, LiveEntrySchema, STATS_RANGES, StatsPointSchema } from "@/shared/live";
import { ConnectionRowSchema } from "@/shared/agent-protocol";

const id = z.string().min(1).max(64);

export const clusterOverviewInput = z.strictObject({ clusterId: id });
export const clusterOverviewOutput = z.strictObject({
  clusterId: z.string(),
  clusterName: z.string(),
  /** newest sample in the panel (ms), null = no director has sent stats */
  at: z.number().nullable(),
  totals: LiveEntrySchema,
  /** resolution of each sparkline (10 s over the last 15 min) */
  sparklineStepSeconds: z.number(),
  services: z.array(
    z.strictObject({
      id: z.string(),
      /** "TCP 192.0.2.10:80" */
      label: z.string(),
      enabled: z.boolean(),
      latest: LiveEntrySchema,
      sparkline: z.array(StatsPointSchema),
    }),
  ),
  agents: z.array(AgentPresenceSchema),
});

export const serviceHistoryInput = z.strictObject({ serviceId: id, range: z.enum(STATS_RANGES) });
export const serviceHistoryOutput = z.strictObject({
  serviceId: z.string(),
  range: z.enum(STATS_RANGES),
  /** seconds per point */
  stepSeconds: z.number(),
  from: z.number(),
  to: z.number(),
  service: z.array(StatsPointSchema),
  realServers: z.array(z.strictObject({ id: z.string(), label: z.string(), weight: z.number(), enabled: z.boolean(), points: z.array(StatsPointSchema) })),
});

export const connectionsInput = z.strictObject({
  serviceId: id,
  filters: z
    .strictObject({
      /** client address or prefix ("198.51.100.") */
      client: z.string().trim().max(64).regex(/^[0-9a-fA-F:.[\]]*$/, "an address or its beginning, e.g. 198.51.100.").optional(),
      /** ESTABLISHED, SYN_RECV, TIME_WAIT, … as ipvsadm -Lcn prints them */
      state: z.string().trim().max(20).regex(/^[A-Z_]*$/, "a state as ipvsadm -Lcn prints it, e.g. ESTABLISHED").optional(),
      realServerId: id.optional(),
    })
    .default({}),
  page: z.strictObject({ offset: z.int().min(0).max(1_000_000).default(0), limit: z.int().min(1).max(500).default(100) }).default({ offset: 0, limit: 100 }),
});
export const connectionsOutput = z.strictObject({
  total: z.number(),
  offset: z.number(),
  rows: z.array(ConnectionRowSchema.extend({ director: z.string() })),
  /** directors that did not answer (offline, error) */
  errors: z.array(z.strictObject({ director: z.string(), error: z.string() })),
});

export const zeroCountersInput = z.strictObject({ clusterId: id, serviceId: id.optional() });
export const zeroCountersOutput = z.strictObject({
  zeroed: z.array(z.string()),
  failed: z.array(z.strictObject({ director: z.string(), error: z.string() })),
});
