/**
 * Live stats (issue #5): what the stats pipeline reads to map agent keys to
 * ids, and the 1-minute rollups it writes, prunes and charts.
 */
import { randomUUID } from "node:crypto";
import { read, transaction, type Tx } from "./db";
import type { Database } from "@/server/db";

// --- mapping: what a director runs -------------------------------------------------

export interface HostStatsInfo {
  id: string;
  name: string;
  appliedGeneration: number | null;
  lastSeenAt: Date | null;
}

export async function hostStatsInfo(q: Tx, hostIds: string[]): Promise<Map<string, HostStatsInfo>> {
  const rows = await q.host.findMany({ where: { id: { in: hostIds } }, select: { id: true, name: true, appliedGeneration: true, lastSeenAt: true } });
  return new Map(rows.map((r) => [r.id, r]));
}

export interface DeploymentSource {
  desiredState: string;
  createdAt: Date;
  /** the cluster whose revision created this deployment */
  clusterId: string;
}

export async function deploymentSource(q: Tx, hostId: string, generation: number): Promise<DeploymentSource | null> {
  const d = await q.hostDeployment.findUnique({
    where: { hostId_generation: { hostId, generation } },
    select: { desiredState: true, createdAt: true, revision: { select: { clusterId: true } } },
  });
  return d ? { desiredState: d.desiredState, createdAt: d.createdAt, clusterId: d.revision.clusterId } : null;
}

export async function clusterIdsDirectedBy(q: Tx, hostId: string): Promise<string[]> {
  const rows = await q.clusterDirector.findMany({ where: { hostId }, select: { clusterId: true } });
  return rows.map((r) => r.clusterId);
}

/** The cluster's revision that was current at `at` (the newest created at or before it). */
export async function revisionAt(q: Tx, clusterId: string, at: Date): Promise<{ id: string; snapshot: string } | null> {
  return q.revision.findFirst({ where: { clusterId, createdAt: { lte: at } }, orderBy: { number: "desc" }, select: { id: true, snapshot: true } });
}

// --- what the live view and tRPC show ----------------------------------------------

export interface ClusterStatsInfo {
  id: string;
  name: string;
  hosts: { hostId: string; name: string; role: "director" | "real-server"; lastSeenAt: Date | null }[];
  services: { id: string; protocol: string; address: string; port: number | null; fwmark: number | null; enabled: boolean }[];
}

export async function clusterStatsInfo(q: Tx, clusterId: string): Promise<ClusterStatsInfo | null> {
  const c = await q.cluster.findUnique({
    where: { id: clusterId },
    select: {
      id: true,
      name: true,
      directors: { select: { host: { select: { id: true, name: true, lastSeenAt: true } } } },
      services: {
        orderBy: { sortKey: "asc" },
        select: { id: true, protocol: true, address: true, port: true, fwmark: true, enabled: true, realServers: { select: { host: { select: { id: true, name: true, lastSeenAt: true } } } } },
      },
    },
  });
  if (!c) return null;
  const hosts = new Map<string, ClusterStatsInfo["hosts"][number]>();
  for (const d of c.directors) hosts.set(d.host.id, { hostId: d.host.id, name: d.host.name, role: "director", lastSeenAt: d.host.lastSeenAt });
  for (const s of c.services)
    for (const r of s.realServers)
      if (r.host && !hosts.has(r.host.id)) hosts.set(r.host.id, { hostId: r.host.id, name: r.host.name, role: "real-server", lastSeenAt: r.host.lastSeenAt });
  return {
    id: c.id,
    name: c.name,
    hosts: [...hosts.values()].sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === "director" ? -1 : 1)),
    services: c.services.map(({ realServers: _r, ...s }) => s),
  };
}

export interface ServiceStatsInfo {
  id: string;
  clusterId: string;
  protocol: string;
  address: string;
  family: string;
  port: number | null;
  fwmark: number | null;
  clusterName: string;
  directors: { hostId: string; name: string }[];
  realServers: { id: string; address: string; port: number | null; forwarding: string; weight: number; enabled: boolean }[];
}

export async function serviceStatsInfo(q: Tx, serviceId: string): Promise<ServiceStatsInfo | null> {
  const s = await q.virtualService.findUnique({
    where: { id: serviceId },
    select: {
      id: true,
      clusterId: true,
      protocol: true,
      address: true,
      family: true,
      port: true,
      fwmark: true,
      cluster: { select: { name: true, directors: { select: { host: { select: { id: true, name: true } } } } } },
      realServers: { orderBy: { endpointKey: "asc" }, select: { id: true, address: true, port: true, forwarding: true, weight: true, enabled: true } },
    },
  });
  if (!s) return null;
  const { cluster, ...rest } = s;
  return { ...rest, clusterName: cluster.name, directors: cluster.directors.map((d) => ({ hostId: d.host.id, name: d.host.name })).sort((a, b) => a.name.localeCompare(b.name)) };
}

export async function clusterExists(q: Tx, clusterId: string): Promise<boolean> {
  return (await q.cluster.count({ where: { id: clusterId } })) > 0;
}

export async function serviceExists(q: Tx, serviceId: string): Promise<boolean> {
  return (await q.virtualService.count({ where: { id: serviceId } })) > 0;
}

export async function clusterName(q: Tx, clusterId: string): Promise<string | null> {
  return (await q.cluster.findUnique({ where: { id: clusterId }, select: { name: true } }))?.name ?? null;
}

// --- 1-minute rollups ----------------------------------------------------------------

export interface RollupRow {
  clusterId: string;
  virtualServiceId: string;
  /** "" = the service itself, else the real server's id */
  subject: string;
  bucket: Date;
  samples: number;
  conns: number;
  inpkts: number;
  outpkts: number;
  inbytes: number;
  outbytes: number;
  activeAvg: number;
  activeMax: number;
  inactAvg: number;
}

const ROLLUP_COLUMNS = ["id", "clusterId", "virtualServiceId", "subject", "bucket", "samples", "conns", "inpkts", "outpkts", "inbytes", "outbytes", "activeAvg", "activeMax", "inactAvg"] as const;
/**
 * Rows per INSERT statement and per transaction. SQLite's driver blocks the
 * event loop while it writes (~60 µs per row): 500 rows hold it ~30 ms, and
 * the loop runs (live frames, acks) between two chunks.
 */
export const ROLLUP_CHUNK = 500;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes rollup rows as multi-row INSERTs (the Prisma client's createMany
 * spent ~250 µs per row in JavaScript without yielding), ROLLUP_CHUNK rows per
 * statement, each chunk in its own transaction, yielding to the event loop
 * between chunks — one transaction for a whole minute (62,500 rows at 500
 * directors) stalled the panel for seconds. Rows of services deleted since
 * (the director still ran them) are skipped; a row already written for the
 * same (service, subject, minute) — a restart, or another panel process on
 * the same PostgreSQL — is kept (ON CONFLICT DO NOTHING, both databases).
 * Returns how many rows were written.
 */
export async function insertRollups(db: Database, rows: RollupRow[], chunkRows: number = ROLLUP_CHUNK): Promise<number> {
  let written = 0;
  for (let i = 0; i < rows.length; i += chunkRows) {
    if (i > 0) await yieldToEventLoop();
    written += await insertRollupChunk(db, rows.slice(i, i + chunkRows));
  }
  return written;
}

async function insertRollupChunk(db: Database, rows: RollupRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const pg = db.kind === "postgres";
  return transaction(db, async (tx) => {
    const ids = [...new Set(rows.map((r) => r.virtualServiceId))];
    const existing = new Set<string>();
    const found = await tx.virtualService.findMany({ where: { id: { in: ids } }, select: { id: true } });
    for (const f of found) existing.add(f.id);
    const data = rows.filter((r) => existing.has(r.virtualServiceId));
    if (data.length === 0) return 0;
    const columns = ROLLUP_COLUMNS.map((c) => `"${c}"`).join(", ");
    const params: unknown[] = [];
    const tuples = data.map((r) => {
      const base = params.length;
      params.push(
        randomUUID(),
        r.clusterId,
        r.virtualServiceId,
        r.subject,
        // Prisma stores SQLite DateTime as ISO text with an explicit offset
        pg ? r.bucket : r.bucket.toISOString().replace("Z", "+00:00"),
        Math.round(r.samples),
        r.conns,
        r.inpkts,
        r.outpkts,
        r.inbytes,
        r.outbytes,
        r.activeAvg,
        Math.round(r.activeMax),
        r.inactAvg,
      );
      return `(${ROLLUP_COLUMNS.map((_, c) => (pg ? `$${base + c + 1}` : "?")).join(", ")})`;
    });
    return tx.$executeRawUnsafe(
      `INSERT INTO "StatsRollup" (${columns}) VALUES ${tuples.join(", ")} ON CONFLICT ("virtualServiceId", "subject", "bucket") DO NOTHING`,
      ...params,
    );
  });
}

/** Deletes rollups older than `before`; returns how many. */
export async function pruneRollups(db: Database, before: Date): Promise<number> {
  return transaction(db, async (tx) => (await tx.statsRollup.deleteMany({ where: { bucket: { lt: before } } })).count);
}

/** The newest bucket written (a restarted panel does not rewrite minutes another process or its previous run wrote). */
export async function newestRollupBucket(db: Database): Promise<Date | null> {
  return read(db, async (q) => (await q.statsRollup.findFirst({ orderBy: { bucket: "desc" }, select: { bucket: true } }))?.bucket ?? null);
}

export async function listRollups(q: Tx, serviceId: string, from: Date, to: Date): Promise<RollupRow[]> {
  return q.statsRollup.findMany({
    where: { virtualServiceId: serviceId, bucket: { gte: from, lt: to } },
    orderBy: { bucket: "asc" },
    select: {
      clusterId: true,
      virtualServiceId: true,
      subject: true,
      bucket: true,
      samples: true,
      conns: true,
      inpkts: true,
      outpkts: true,
      inbytes: true,
      outbytes: true,
      activeAvg: true,
      activeMax: true,
      inactAvg: true,
    },
  });
}

/** Hosts with an active agent credential (enrolled agents), for lvs_agent_up. */
export async function enrolledHosts(q: Tx): Promise<{ id: string; name: string }[]> {
  return q.host.findMany({ where: { agentCredentials: { some: { revokedAt: null } } }, select: { id: true, name: true }, orderBy: { name: "asc" } });
}
