/** Virtual services and their real servers. */
import type { MarkProtocol, PersistenceEngine, Protocol, RealServer, Scheduler, VirtualService, ForwardingMethod } from "@/shared/cluster";
import { iso, type Tx } from "./db";
import { healthCheckSelect, serviceHealthOf, type HealthCheckRow } from "./health";

/** Stored fields of a virtual service (address already canonical). */
export interface VirtualServiceData {
  protocol: Protocol;
  address: string;
  family: "ipv4" | "ipv6";
  port: number | null;
  fwmark: number | null;
  scheduler: Scheduler;
  schedulerFlags: string[];
  persistenceTimeout: number | null;
  persistenceNetmask: number | null;
  persistenceEngine: PersistenceEngine | null;
  markProtocol: MarkProtocol | null;
  markPorts: number[];
  description: string;
  enabled: boolean;
  serviceKey: string;
  sortKey: string;
}

export interface RealServerData {
  hostId: string | null;
  address: string;
  port: number | null;
  forwarding: ForwardingMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  enabled: boolean;
  endpointKey: string;
}

const realServerInclude = {
  host: { select: { id: true, name: true, managementAddress: true } },
} as const;

type RealServerRow = {
  id: string;
  virtualServiceId: string;
  hostId: string | null;
  address: string;
  port: number | null;
  forwarding: string;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  host: { id: string; name: string; managementAddress: string } | null;
};

type DrainRow = { startedAt: Date; timeoutSeconds: number; startedByName: string };

/** Active drains of these real servers (RealServerDrain has no relation to RealServer; see prisma/schema.prisma). */
async function drainsOf(q: Tx, realServerIds: string[]): Promise<Map<string, DrainRow>> {
  const out = new Map<string, DrainRow>();
  for (let i = 0; i < realServerIds.length; i += 500) {
    const rows = await q.realServerDrain.findMany({
      where: { realServerId: { in: realServerIds.slice(i, i + 500) } },
      select: { realServerId: true, startedAt: true, timeoutSeconds: true, startedByName: true },
    });
    for (const r of rows) out.set(r.realServerId, r);
  }
  return out;
}

function toRealServer(r: RealServerRow, drain: DrainRow | undefined): RealServer {
  return {
    id: r.id,
    virtualServiceId: r.virtualServiceId,
    hostId: r.hostId,
    host: r.host,
    address: r.address,
    port: r.port,
    forwarding: r.forwarding as ForwardingMethod,
    weight: r.weight,
    upperThreshold: r.upperThreshold,
    lowerThreshold: r.lowerThreshold,
    enabled: r.enabled,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    drain: drain ? { startedAt: iso(drain.startedAt), timeoutSeconds: drain.timeoutSeconds, startedByName: drain.startedByName } : null,
  };
}

type ServiceRow = {
  id: string;
  clusterId: string;
  protocol: string;
  family: string;
  address: string;
  port: number | null;
  fwmark: number | null;
  scheduler: string;
  schedulerFlags: string;
  persistenceTimeout: number | null;
  persistenceNetmask: number | null;
  persistenceEngine: string | null;
  markProtocol: string | null;
  markPorts: string;
  description: string;
  enabled: boolean;
  onFailure: string;
  slowStartSeconds: number;
  sorryAddress: string | null;
  sorryPort: number | null;
  sorryForwarding: string | null;
  healthCheck: HealthCheckRow | null;
  createdAt: Date;
  updatedAt: Date;
  realServers: RealServerRow[];
};

function toService(r: ServiceRow, drains: Map<string, DrainRow>): VirtualService {
  return {
    id: r.id,
    clusterId: r.clusterId,
    protocol: r.protocol as Protocol,
    family: r.family as "ipv4" | "ipv6",
    address: r.address,
    port: r.port,
    fwmark: r.fwmark,
    scheduler: r.scheduler as Scheduler,
    schedulerFlags: r.schedulerFlags ? r.schedulerFlags.split(",") : [],
    persistenceTimeout: r.persistenceTimeout,
    persistenceNetmask: r.persistenceNetmask,
    persistenceEngine: r.persistenceEngine as PersistenceEngine | null,
    markProtocol: r.markProtocol as MarkProtocol | null,
    markPorts: parseMarkPorts(r.markPorts),
    description: r.description,
    enabled: r.enabled,
    ...serviceHealthOf(r),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    realServers: r.realServers.map((rs) => toRealServer(rs, drains.get(rs.id))),
  };
}

const serviceInclude = {
  healthCheck: { select: healthCheckSelect },
  realServers: { include: realServerInclude, orderBy: [{ address: "asc" as const }, { port: "asc" as const }] },
};

export interface ServiceListQuery {
  clusterId: string;
  search?: string;
  protocol?: Protocol;
  page: number;
  pageSize: number;
}

/** One page of a cluster's services (ordered by VIP, protocol, port), real servers nested, plus the total. */
export async function listServices(q: Tx, query: ServiceListQuery): Promise<{ items: VirtualService[]; total: number }> {
  const where = {
    clusterId: query.clusterId,
    protocol: query.protocol,
    searchText: query.search ? { contains: normaliseSearch(query.search) } : undefined,
  };
  const [rows, total] = await Promise.all([
    q.virtualService.findMany({
      where,
      include: serviceInclude,
      orderBy: [{ sortKey: "asc" }],
      skip: (query.page - 1) * query.pageSize,
      take: query.pageSize,
    }),
    q.virtualService.count({ where }),
  ]);
  const drains = await drainsOf(q, rows.flatMap((r) => r.realServers.map((rs) => rs.id)));
  return { items: rows.map((r) => toService(r, drains)), total };
}

export async function getService(q: Tx, id: string): Promise<VirtualService | null> {
  const r = await q.virtualService.findUnique({ where: { id }, include: serviceInclude });
  return r ? toService(r, await drainsOf(q, r.realServers.map((rs) => rs.id))) : null;
}

export async function findServiceByKey(q: Tx, clusterId: string, serviceKey: string): Promise<{ id: string } | null> {
  return q.virtualService.findUnique({ where: { clusterId_serviceKey: { clusterId, serviceKey } }, select: { id: true } });
}

/** Services on the same VIP:port in OTHER clusters (any protocol). */
export async function findEndpointInOtherClusters(
  q: Tx,
  address: string,
  port: number,
  clusterId: string,
): Promise<{ id: string; protocol: string; clusterId: string; clusterName: string }[]> {
  const rows = await q.virtualService.findMany({
    where: { address, port, clusterId: { not: clusterId } },
    select: { id: true, protocol: true, clusterId: true, cluster: { select: { name: true } } },
    take: 5,
  });
  return rows.map((r) => ({ id: r.id, protocol: r.protocol, clusterId: r.clusterId, clusterName: r.cluster.name }));
}

function serviceRow(data: VirtualServiceData) {
  return { ...data, schedulerFlags: data.schedulerFlags.join(","), markPorts: data.markPorts.join(",") };
}

/** Stored "80,443" → [80, 443]. */
export function parseMarkPorts(text: string): number[] {
  return text ? text.split(",").map(Number) : [];
}

export async function createService(
  tx: Tx,
  clusterId: string,
  data: VirtualServiceData,
  realServers: RealServerData[],
): Promise<string> {
  const created = await tx.virtualService.create({
    data: { ...serviceRow(data), clusterId, realServers: { create: realServers } },
    select: { id: true },
  });
  await refreshSearchText(tx, created.id);
  return created.id;
}

export async function updateService(tx: Tx, id: string, data: VirtualServiceData): Promise<void> {
  await tx.virtualService.update({ where: { id }, data: serviceRow(data) });
  await refreshSearchText(tx, id);
}

/** Deletes the service and its real servers (cascade). */
export async function deleteService(tx: Tx, id: string): Promise<void> {
  await tx.virtualService.delete({ where: { id } });
}

/**
 * Search text is lower case, and LIKE's special characters (% _ and the
 * backslash) are folded to spaces in both the stored text and the query, so a
 * search is always a plain substring match on either database.
 */
export function normaliseSearch(text: string): string {
  return text.toLowerCase().replace(/[%_\\]/g, " ");
}

/** The text that services.list searches: VIP:port, mark, scheduler, description, real servers. */
export function serviceSearchText(
  s: { protocol: string; address: string; port: number | null; fwmark: number | null; scheduler: string; description: string },
  realServers: { address: string; port: number | null; hostName?: string | null }[],
): string {
  const endpoint = (address: string, port: number | null) =>
    address.includes(":") ? `[${address}]${port === null ? "" : `:${port}`}` : `${address}${port === null ? "" : `:${port}`}`;
  const text = [
    s.protocol,
    endpoint(s.address, s.port),
    s.fwmark === null ? "" : `fwmark ${s.fwmark}`,
    s.scheduler,
    s.description,
    ...realServers.map((r) => `${endpoint(r.address, r.port)} ${r.hostName ?? ""}`),
  ].join(" ");
  return normaliseSearch(text);
}

/** Recomputes a service's search text after it or its real servers changed. */
export async function refreshSearchText(tx: Tx, serviceId: string): Promise<void> {
  const s = await tx.virtualService.findUnique({
    where: { id: serviceId },
    select: {
      protocol: true,
      address: true,
      port: true,
      fwmark: true,
      scheduler: true,
      description: true,
      realServers: { select: { address: true, port: true, host: { select: { name: true } } } },
    },
  });
  if (!s) return;
  const searchText = serviceSearchText(
    s,
    s.realServers.map((r) => ({ address: r.address, port: r.port, hostName: r.host?.name })),
  );
  await tx.virtualService.update({ where: { id: serviceId }, data: { searchText } });
}

// --- real servers -------------------------------------------------------------

export async function getRealServer(q: Tx, id: string): Promise<RealServer | null> {
  const r = await q.realServer.findUnique({ where: { id }, include: realServerInclude });
  return r ? toRealServer(r, (await drainsOf(q, [r.id])).get(r.id)) : null;
}

export async function findRealServerByEndpoint(q: Tx, virtualServiceId: string, endpointKey: string): Promise<{ id: string } | null> {
  return q.realServer.findUnique({
    where: { virtualServiceId_endpointKey: { virtualServiceId, endpointKey } },
    select: { id: true },
  });
}

export async function listRealServerEndpoints(q: Tx, virtualServiceId: string): Promise<{ id: string; endpointKey: string }[]> {
  return q.realServer.findMany({ where: { virtualServiceId }, select: { id: true, endpointKey: true } });
}

export async function createRealServer(tx: Tx, virtualServiceId: string, data: RealServerData): Promise<string> {
  const id = (await tx.realServer.create({ data: { ...data, virtualServiceId }, select: { id: true } })).id;
  await refreshSearchText(tx, virtualServiceId);
  return id;
}

export async function updateRealServer(tx: Tx, id: string, data: RealServerData): Promise<void> {
  const r = await tx.realServer.update({ where: { id }, data, select: { virtualServiceId: true } });
  await refreshSearchText(tx, r.virtualServiceId);
}

/** Real-server endpoint keys must follow when a service's port changes (the key uses the effective port). */
export async function setRealServerEndpointKey(tx: Tx, id: string, endpointKey: string): Promise<void> {
  await tx.realServer.update({ where: { id }, data: { endpointKey } });
}

export async function deleteRealServer(tx: Tx, id: string): Promise<void> {
  const r = await tx.realServer.delete({ where: { id }, select: { virtualServiceId: true } });
  await refreshSearchText(tx, r.virtualServiceId);
}

// --- bulk seeding (benchmarks, imports) ------------------------------------

/** Inserts many services with their real servers in few statements (benchmarks, imports). Not audited. */
export async function createServicesBulk(
  tx: Tx,
  clusterId: string,
  services: { data: VirtualServiceData; realServers: RealServerData[] }[],
): Promise<void> {
  for (const chunk of chunks(services, 200)) {
    const created = await tx.virtualService.createManyAndReturn({
      data: chunk.map((s) => ({ ...serviceRow(s.data), clusterId, searchText: serviceSearchText(s.data, s.realServers) })),
      select: { id: true, serviceKey: true },
    });
    const idByKey = new Map(created.map((c) => [c.serviceKey, c.id]));
    const rs = chunk.flatMap((s) =>
      s.realServers.map((r) => ({ ...r, virtualServiceId: idByKey.get(s.data.serviceKey) as string })),
    );
    for (const rsChunk of chunks(rs, 500)) await tx.realServer.createMany({ data: rsChunk });
  }
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
