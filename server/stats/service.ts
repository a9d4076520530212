/**
 * Stats reads and actions for the tRPC router (issue #5): the cluster
 * dashboard, a service's history (live ring / rollups), the director's
 * connection table through its agent, and zeroing counters (audited).
 */
import type { z } from "zod";
import { getAgentGateway, type AgentGateway } from "@/server/agent-gateway/registry";
import type { Database } from "@/server/db";
import { read, transaction } from "@/server/repositories/db";
import * as repo from "@/server/repositories/stats";
import type { ServiceContext } from "@/server/services/actor";
import { recordAudit } from "@/server/services/audit";
import { ServiceError, notFound } from "@/server/services/errors";
import { endpointLabel, virtualServiceLabel, type Protocol } from "@/shared/cluster";
import type { ConnectionRow, ConnectionsRequest } from "@/shared/agent-protocol";
import type { AgentPresence, LiveEntry, StatsPoint, StatsRange } from "@/shared/live";
import type { clusterOverviewOutput, connectionsInput, connectionsOutput, serviceHistoryOutput, zeroCountersInput, zeroCountersOutput } from "./dto";
import type { StatsIngestService } from "./ingest";
import { snapshotDestinationKey, snapshotServiceKey } from "./mapping";
import { minuteOf } from "./rollup";
import { getStatsService } from "./access";

export const SPARKLINE_STEP_SECONDS = 10;
export const LIVE_WINDOW_MS = 15 * 60_000;
/** 24 h and 7 d are downsampled to at most this many points */
export const MAX_POINTS = 400;

const EMPTY: LiveEntry = { rates: { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 }, active: 0, inactive: 0 };

function labelOf(s: { protocol: string; address: string; port: number | null; fwmark: number | null }): string {
  return virtualServiceLabel({ ...s, protocol: s.protocol as Protocol });
}

/** Agents of a cluster: online when a stats frame arrived recently (on any panel process) or the agent is connected to this one. */
export function presenceOf(info: repo.ClusterStatsInfo, ingest: StatsIngestService | null, gateway: Pick<AgentGateway, "isOnline">): AgentPresence[] {
  return info.hosts.map((h) => {
    const p = ingest?.presence(h.hostId) ?? { online: false, lastFrameAt: null };
    const seen = Math.max(h.lastSeenAt?.getTime() ?? 0, p.lastFrameAt ?? 0);
    return { hostId: h.hostId, name: h.name, role: h.role, online: p.online || gateway.isOnline(h.hostId), lastSeenAt: seen > 0 ? new Date(seen).toISOString() : null };
  });
}

export async function clusterOverview(db: Database, clusterId: string, now = Date.now()): Promise<z.infer<typeof clusterOverviewOutput>> {
  const info = await read(db, (q) => repo.clusterStatsInfo(q, clusterId));
  if (!info) throw notFound("Cluster");
  const ingest = getStatsService();
  const at = ingest?.newestAt("cluster", clusterId) ?? 0;
  return {
    clusterId,
    clusterName: info.name,
    at: at > 0 ? at : null,
    totals: ingest?.latest("cluster", clusterId) ?? EMPTY,
    sparklineStepSeconds: SPARKLINE_STEP_SECONDS,
    services: info.services.map((s) => ({
      id: s.id,
      label: labelOf(s),
      enabled: s.enabled,
      latest: ingest?.latest("service", s.id) ?? EMPTY,
      sparkline: ingest?.series("service", s.id, now - LIVE_WINDOW_MS, now, SPARKLINE_STEP_SECONDS) ?? [],
    })),
    agents: presenceOf(info, ingest, getAgentGateway()),
  };
}

/** Rollup rows → points of `stepMinutes` minutes: rates = increase / seconds sampled, gauges averaged, max of active kept out. */
export function rollupPoints(rows: repo.RollupRow[], stepMinutes: number): StatsPoint[] {
  const groups = new Map<number, repo.RollupRow[]>();
  const stepMs = stepMinutes * 60_000;
  for (const r of rows) {
    const t = Math.floor(r.bucket.getTime() / stepMs) * stepMs;
    let g = groups.get(t);
    if (!g) groups.set(t, (g = []));
    g.push(r);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, g]) => {
      const seconds = g.length * 60;
      const sum = (f: (r: repo.RollupRow) => number) => g.reduce((acc, r) => acc + f(r), 0);
      return {
        t,
        rates: {
          conns: sum((r) => r.conns) / seconds,
          inpkts: sum((r) => r.inpkts) / seconds,
          outpkts: sum((r) => r.outpkts) / seconds,
          inbytes: sum((r) => r.inbytes) / seconds,
          outbytes: sum((r) => r.outbytes) / seconds,
        },
        active: sum((r) => r.activeAvg) / g.length,
        inactive: sum((r) => r.inactAvg) / g.length,
      };
    });
}

const RANGE_MS: Record<Exclude<StatsRange, "live">, number> = { "1h": 3600_000, "24h": 86_400_000, "7d": 7 * 86_400_000 };

export async function serviceHistory(db: Database, serviceId: string, range: StatsRange, now = Date.now()): Promise<z.infer<typeof serviceHistoryOutput>> {
  const info = await read(db, (q) => repo.serviceStatsInfo(q, serviceId));
  if (!info) throw notFound("Virtual service");
  const ingest = getStatsService();
  const realServers = info.realServers.map((r) => ({ id: r.id, label: endpointLabel(r.address, r.port ?? info.port), weight: r.weight, enabled: r.enabled }));
  if (range === "live") {
    const from = now - LIVE_WINDOW_MS;
    return {
      serviceId,
      range,
      stepSeconds: 1,
      from,
      to: now,
      service: ingest?.series("service", serviceId, from, now, 1) ?? [],
      realServers: realServers.map((r) => ({ ...r, points: ingest?.series("realServer", r.id, from, now, 1) ?? [] })),
    };
  }
  const span = RANGE_MS[range];
  const to = minuteOf(now);
  const from = to - span;
  const stepMinutes = Math.max(1, Math.ceil(span / 60_000 / MAX_POINTS));
  const rows = await read(db, (q) => repo.listRollups(q, serviceId, new Date(from), new Date(to)));
  const bySubject = new Map<string, repo.RollupRow[]>();
  for (const r of rows) {
    let list = bySubject.get(r.subject);
    if (!list) bySubject.set(r.subject, (list = []));
    list.push(r);
  }
  const points = (subject: string, kind: "service" | "realServer", id: string) => {
    const p = rollupPoints(bySubject.get(subject) ?? [], stepMinutes);
    // 1 h: the minute in progress comes from the ring
    if (range === "1h") {
      const partial = ingest?.partialMinute(kind, id);
      if (partial) p.push(partial);
    }
    return p;
  };
  return {
    serviceId,
    range,
    stepSeconds: stepMinutes * 60,
    from,
    to: range === "1h" ? now : to,
    service: points("", "service", serviceId),
    realServers: realServers.map((r) => ({ ...r, points: points(r.id, "realServer", r.id) })),
  };
}

// --- through the agents --------------------------------------------------------------

/** A gateway answer (ConnectionsReply / ZeroAck, or offline). */
function outcome(reply: unknown): { ok: boolean; error: string | null; total: number; rows: ConnectionRow[] } {
  const r = (reply ?? {}) as { ok?: boolean; status?: string; accepted?: boolean; error?: string | null; total?: number; rows?: ConnectionRow[] };
  const ok = r.ok === true || r.status === "ok" || r.accepted === true;
  const rows = Array.isArray(r.rows) ? r.rows : [];
  return { ok, error: ok ? null : (r.error ?? (r.status === "offline" ? "the agent is not connected" : "the agent could not do it")), total: typeof r.total === "number" ? r.total : rows.length, rows };
}

export async function connections(db: Database, input: z.output<typeof connectionsInput>): Promise<z.infer<typeof connectionsOutput>> {
  const info = await read(db, (q) => repo.serviceStatsInfo(q, input.serviceId));
  if (!info) throw notFound("Virtual service");
  const service = { ...info, protocol: info.protocol as Protocol, family: info.family as "ipv4" | "ipv6" };
  let destination: string | undefined;
  if (input.filters.realServerId) {
    const rs = info.realServers.find((r) => r.id === input.filters.realServerId);
    if (!rs) throw new ServiceError("BAD_REQUEST", "That real server is not part of this virtual service", { "filters.realServerId": ["not a real server of this service"] });
    destination = snapshotDestinationKey(service, { ...rs, forwarding: rs.forwarding as "DR" | "NAT" | "TUN" });
  }
  if (info.directors.length === 0) throw new ServiceError("CONFLICT", "This cluster has no director; add one to see its connections");
  const gateway = getAgentGateway();
  const { offset, limit } = input.page;
  // every director's first offset+limit rows, merged in director order, then the page
  const answers = await Promise.all(
    info.directors.map(async (d) => {
      const request: ConnectionsRequest = {
        service: snapshotServiceKey(service),
        ...(input.filters.client ? { client: input.filters.client } : {}),
        ...(input.filters.state ? { state: input.filters.state } : {}),
        ...(destination ? { destination } : {}),
        offset: 0,
        limit: Math.min(500, offset + limit),
      };
      return { director: d.name, ...outcome(gateway.isOnline(d.hostId) ? await gateway.connections(d.hostId, request) : { status: "offline" }) };
    }),
  );
  const rows = answers.flatMap((a) => (a.ok ? a.rows.map((row) => ({ ...row, director: a.director })) : []));
  return {
    total: answers.reduce((acc, a) => acc + (a.ok ? a.total : 0), 0),
    offset,
    rows: rows.slice(offset, offset + limit),
    errors: answers.filter((a) => !a.ok).map((a) => ({ director: a.director, error: a.error ?? "failed" })),
  };
}

export async function zeroCounters(ctx: ServiceContext, input: z.output<typeof zeroCountersInput>): Promise<z.infer<typeof zeroCountersOutput>> {
  const cluster = await read(ctx.db, (q) => repo.clusterStatsInfo(q, input.clusterId));
  if (!cluster) throw notFound("Cluster");
  let serviceKey: string | undefined;
  let label = "every virtual service";
  if (input.serviceId) {
    const s = await read(ctx.db, (q) => repo.serviceStatsInfo(q, input.serviceId!));
    if (!s || s.clusterId !== input.clusterId) throw notFound("Virtual service");
    serviceKey = snapshotServiceKey({ ...s, protocol: s.protocol as Protocol, family: s.family as "ipv4" | "ipv6" });
    label = labelOf(s);
  }
  const directors = cluster.hosts.filter((h) => h.role === "director");
  if (directors.length === 0) throw new ServiceError("CONFLICT", "This cluster has no director");
  const gateway = getAgentGateway();
  const results = await Promise.all(
    directors.map(async (d) => ({ director: d.name, ...outcome(gateway.isOnline(d.hostId) ? await gateway.zeroCounters(d.hostId, serviceKey) : { status: "offline" }) })),
  );
  const zeroed = results.filter((r) => r.ok).map((r) => r.director);
  const failed = results.filter((r) => !r.ok).map((r) => ({ director: r.director, error: r.error ?? "failed" }));
  if (zeroed.length === 0) {
    throw new ServiceError("CONFLICT", `No director zeroed the counters: ${failed.map((f) => `${f.director}: ${f.error}`).join("; ")}`);
  }
  await transaction(ctx.db, (tx) =>
    recordAudit(tx, ctx.actor, {
      action: "stats.zeroCounters",
      entityType: input.serviceId ? "virtualService" : "cluster",
      entityId: input.serviceId ?? input.clusterId,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Zeroed the IPVS counters (ipvsadm -Z) of ${label} on ${zeroed.join(", ")}${failed.length ? `; not on ${failed.map((f) => f.director).join(", ")}` : ""}`,
      after: { service: serviceKey ?? null, zeroed, failed },
    }),
  );
  return { zeroed, failed };
}
