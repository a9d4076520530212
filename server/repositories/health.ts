/** Health checks, drains and health events (issue #6). The only health code that imports Prisma. */
import type { ForwardingMethod, HealthCheckFields, OnFailureAction, ServiceHealthFields, SorryServerFields } from "@/shared/cluster";
import { DNS_QUERY_KINDS } from "@/shared/cluster/health";
import { iso, type Tx } from "./db";

// --- health check rows <-> fields ---------------------------------------------------

export interface HealthCheckRow {
  type: string;
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  port: number | null;
  httpPath: string | null;
  httpHost: string | null;
  httpExpectStatus: string | null;
  httpExpectBody: string | null;
  httpBodyIsRegex: boolean;
  tlsVerify: boolean;
  execCommand: string | null;
  execArgs: string | null;
  dnsName: string | null;
  dnsType: string | null;
}

export function toHealthCheckRow(hc: HealthCheckFields): HealthCheckRow {
  const http = hc.type === "http" || hc.type === "https" ? hc : null;
  return {
    type: hc.type,
    intervalMs: hc.intervalMs,
    timeoutMs: hc.timeoutMs,
    rise: hc.rise,
    fall: hc.fall,
    port: hc.port,
    httpPath: http?.path ?? null,
    httpHost: http?.host ?? null,
    httpExpectStatus: http?.expectStatus ?? null,
    httpExpectBody: http?.expectBody ?? null,
    httpBodyIsRegex: http?.bodyIsRegex ?? false,
    tlsVerify: http?.tlsVerify ?? false,
    execCommand: hc.type === "exec" ? hc.command : null,
    execArgs: hc.type === "exec" ? JSON.stringify(hc.args) : null,
    dnsName: hc.type === "dns" ? hc.name : null,
    dnsType: hc.type === "dns" ? hc.queryType : null,
  };
}

export function fromHealthCheckRow(r: HealthCheckRow): HealthCheckFields {
  const common = { intervalMs: r.intervalMs, timeoutMs: r.timeoutMs, rise: r.rise, fall: r.fall, port: r.port };
  switch (r.type) {
    case "http":
    case "https":
      return {
        type: r.type,
        ...common,
        path: r.httpPath ?? "/",
        host: r.httpHost,
        expectStatus: r.httpExpectStatus ?? "200-399",
        expectBody: r.httpExpectBody,
        bodyIsRegex: r.httpBodyIsRegex,
        tlsVerify: r.tlsVerify,
      };
    case "exec":
      return { type: "exec", ...common, command: r.execCommand ?? "", args: r.execArgs ? (JSON.parse(r.execArgs) as string[]) : [] };
    case "dns":
      return { type: "dns", ...common, name: r.dnsName ?? "", queryType: (r.dnsType ?? "A") as (typeof DNS_QUERY_KINDS)[number] };
    default:
      return { type: "tcp", ...common };
  }
}

/** The stored health columns of a service row → fields. */
export function serviceHealthOf(s: {
  onFailure: string;
  slowStartSeconds: number;
  sorryAddress: string | null;
  sorryPort: number | null;
  sorryForwarding: string | null;
  healthCheck: HealthCheckRow | null;
}): ServiceHealthFields {
  return {
    healthCheck: s.healthCheck ? fromHealthCheckRow(s.healthCheck) : null,
    onFailure: (s.onFailure === "REMOVE" ? "REMOVE" : "QUIESCE") as OnFailureAction,
    slowStartSeconds: s.slowStartSeconds,
    sorryServer:
      s.sorryAddress !== null
        ? { address: s.sorryAddress, port: s.sorryPort, forwarding: (s.sorryForwarding ?? "DR") as ForwardingMethod }
        : null,
  };
}

/** Columns of VirtualService that hold the health settings (besides the HealthCheck row). */
export function serviceHealthColumns(h: { onFailure: OnFailureAction; slowStartSeconds: number; sorryServer: SorryServerFields | null }) {
  return {
    onFailure: h.onFailure,
    slowStartSeconds: h.slowStartSeconds,
    sorryAddress: h.sorryServer?.address ?? null,
    sorryPort: h.sorryServer?.port ?? null,
    sorryForwarding: h.sorryServer?.forwarding ?? null,
  };
}

export const healthCheckSelect = {
  type: true,
  intervalMs: true,
  timeoutMs: true,
  rise: true,
  fall: true,
  port: true,
  httpPath: true,
  httpHost: true,
  httpExpectStatus: true,
  httpExpectBody: true,
  httpBodyIsRegex: true,
  tlsVerify: true,
  execCommand: true,
  execArgs: true,
  dnsName: true,
  dnsType: true,
} as const;

/** Writes a service's health settings: the columns and the HealthCheck row (created, replaced or deleted). */
export async function setServiceHealth(tx: Tx, serviceId: string, h: ServiceHealthFields): Promise<void> {
  await tx.virtualService.update({ where: { id: serviceId }, data: serviceHealthColumns(h) });
  if (h.healthCheck) {
    const row = toHealthCheckRow(h.healthCheck);
    await tx.healthCheck.upsert({ where: { virtualServiceId: serviceId }, create: { ...row, virtualServiceId: serviceId }, update: row });
  } else {
    await tx.healthCheck.deleteMany({ where: { virtualServiceId: serviceId } });
  }
}

// --- drains --------------------------------------------------------------------------

export interface DrainRow {
  id: string;
  realServerId: string;
  clusterId: string;
  startedAt: string;
  timeoutSeconds: number;
  startedByName: string;
}

function toDrain(r: { id: string; realServerId: string; clusterId: string; startedAt: Date; timeoutSeconds: number; startedByName: string }): DrainRow {
  return { ...r, startedAt: iso(r.startedAt) };
}

export async function findDrain(q: Tx, realServerId: string): Promise<DrainRow | null> {
  const r = await q.realServerDrain.findUnique({ where: { realServerId } });
  return r ? toDrain(r) : null;
}

export async function createDrain(tx: Tx, data: { realServerId: string; clusterId: string; timeoutSeconds: number; startedByName: string }): Promise<DrainRow> {
  return toDrain(await tx.realServerDrain.create({ data }));
}

export async function deleteDrain(tx: Tx, realServerId: string): Promise<void> {
  await tx.realServerDrain.delete({ where: { realServerId } });
}

/**
 * Ends the drains of `clusterId` whose real server is not in `keepRealServerIds`
 * (an apply or rollback removed it from the directors; a deleted cluster keeps none).
 */
export async function deleteDrainsExcept(tx: Tx, clusterId: string, keepRealServerIds: string[]): Promise<number> {
  const rows = await tx.realServerDrain.findMany({ where: { clusterId }, select: { realServerId: true } });
  const keep = new Set(keepRealServerIds);
  const stale = rows.map((r) => r.realServerId).filter((id) => !keep.has(id));
  if (stale.length > 0) await tx.realServerDrain.deleteMany({ where: { realServerId: { in: stale } } });
  return stale.length;
}

/** Every active drain (all clusters): compile sets these destinations' weight to 0. */
export async function listDrainedRealServerIds(q: Tx): Promise<string[]> {
  const rows = await q.realServerDrain.findMany({ select: { realServerId: true }, orderBy: { realServerId: "asc" } });
  return rows.map((r) => r.realServerId);
}

// --- health events --------------------------------------------------------------------

export interface HealthEventData {
  at: Date;
  hostId: string;
  clusterId: string;
  virtualServiceId: string;
  realServerId: string | null;
  serviceKey: string;
  destination: string;
  status: string;
  reason: string;
  latencyMs: number | null;
}

export async function appendHealthEvents(tx: Tx, events: HealthEventData[]): Promise<void> {
  if (events.length > 0) await tx.healthEvent.createMany({ data: events });
}

/** The newest event of each (real server, director), for the panel's first report after a restart. */
export async function latestHealthStatus(q: Tx, hostId: string, realServerIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < realServerIds.length; i += 500) {
    const rows = await q.healthEvent.findMany({
      where: { hostId, realServerId: { in: realServerIds.slice(i, i + 500) } },
      orderBy: [{ at: "desc" }, { id: "desc" }],
      distinct: ["realServerId"],
      select: { realServerId: true, status: true },
    });
    for (const r of rows) if (r.realServerId) out.set(r.realServerId, r.status);
  }
  return out;
}

export async function listHealthEvents(
  q: Tx,
  realServerId: string,
  since: Date,
  limit: number,
): Promise<{ id: string; at: string; hostId: string; hostName: string; status: string; reason: string; latencyMs: number | null }[]> {
  const rows = await q.healthEvent.findMany({
    where: { realServerId, at: { gte: since } },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: limit,
  });
  const hostIds = [...new Set(rows.map((r) => r.hostId))];
  const hosts = await q.host.findMany({ where: { id: { in: hostIds } }, select: { id: true, name: true } });
  const names = new Map(hosts.map((h) => [h.id, h.name]));
  return rows.map((r) => ({
    id: r.id,
    at: iso(r.at),
    hostId: r.hostId,
    hostName: names.get(r.hostId) ?? r.hostId,
    status: r.status,
    reason: r.reason,
    latencyMs: r.latencyMs,
  }));
}

/** Cluster and service of a real server (for reads that start from a real-server id). */
export async function realServerOwner(q: Tx, realServerId: string): Promise<{ virtualServiceId: string; clusterId: string } | null> {
  const r = await q.realServer.findUnique({ where: { id: realServerId }, select: { virtualServiceId: true, virtualService: { select: { clusterId: true } } } });
  return r ? { virtualServiceId: r.virtualServiceId, clusterId: r.virtualService.clusterId } : null;
}

/** Clusters a host directs, with their latest revision's id and snapshot text. */
export async function directedClusterRevisions(q: Tx, hostId: string): Promise<{ clusterId: string; revisionId: string | null }[]> {
  const rows = await q.clusterDirector.findMany({ where: { hostId }, select: { clusterId: true } });
  const out: { clusterId: string; revisionId: string | null }[] = [];
  for (const r of rows) {
    const rev = await q.revision.findFirst({ where: { clusterId: r.clusterId }, orderBy: { number: "desc" }, select: { id: true } });
    out.push({ clusterId: r.clusterId, revisionId: rev?.id ?? null });
  }
  return out;
}

export async function revisionSnapshotText(q: Tx, revisionId: string): Promise<string | null> {
  const r = await q.revision.findUnique({ where: { id: revisionId }, select: { snapshot: true } });
  return r?.snapshot ?? null;
}
