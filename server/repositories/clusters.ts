/** Clusters and their directors. */
import type { ClusterDetail, ClusterSummary, Director } from "@/shared/cluster";
import { iso, type Tx } from "./db";

export interface ClusterRecord {
  id: string;
  name: string;
  description: string;
}

async function realServerCount(q: Tx, clusterId: string): Promise<number> {
  return q.realServer.count({ where: { virtualService: { clusterId } } });
}

const summarySelect = {
  id: true,
  name: true,
  description: true,
  createdAt: true,
  updatedAt: true,
  _count: { select: { directors: true, services: true } },
} as const;

export async function listClusters(q: Tx): Promise<ClusterSummary[]> {
  const rows = await q.cluster.findMany({ select: summarySelect, orderBy: { name: "asc" } });
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      createdAt: iso(r.createdAt),
      updatedAt: iso(r.updatedAt),
      directorCount: r._count.directors,
      serviceCount: r._count.services,
      realServerCount: await realServerCount(q, r.id),
    })),
  );
}

const directorInclude = { host: { select: { id: true, name: true, managementAddress: true } } } as const;

function toDirector(d: {
  id: string;
  clusterId: string;
  hostId: string;
  priority: number;
  vipInterface: string;
  createdAt: Date;
  host: { id: string; name: string; managementAddress: string };
}): Director {
  return {
    id: d.id,
    clusterId: d.clusterId,
    hostId: d.hostId,
    priority: d.priority,
    vipInterface: d.vipInterface,
    host: d.host,
    createdAt: iso(d.createdAt),
  };
}

export async function getClusterDetail(q: Tx, id: string): Promise<ClusterDetail | null> {
  const r = await q.cluster.findUnique({
    where: { id },
    select: {
      ...summarySelect,
      directors: { include: directorInclude, orderBy: [{ priority: "desc" }, { createdAt: "asc" }] },
    },
  });
  if (!r) return null;
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    directorCount: r._count.directors,
    serviceCount: r._count.services,
    realServerCount: await realServerCount(q, r.id),
    directors: r.directors.map(toDirector),
  };
}

export async function findCluster(q: Tx, id: string): Promise<ClusterRecord | null> {
  return q.cluster.findUnique({ where: { id }, select: { id: true, name: true, description: true } });
}

export async function findClusterByName(q: Tx, name: string): Promise<ClusterRecord | null> {
  return q.cluster.findUnique({ where: { name }, select: { id: true, name: true, description: true } });
}

export async function createCluster(tx: Tx, data: { name: string; description: string }): Promise<string> {
  return (await tx.cluster.create({ data, select: { id: true } })).id;
}

export async function updateCluster(tx: Tx, id: string, data: { name: string; description: string }): Promise<void> {
  await tx.cluster.update({ where: { id }, data });
}

/** Deletes the cluster; its directors, virtual services and real servers go with it (cascade). */
export async function deleteCluster(tx: Tx, id: string): Promise<void> {
  await tx.cluster.delete({ where: { id } });
}

// --- directors --------------------------------------------------------------

export async function findDirector(q: Tx, id: string): Promise<Director | null> {
  const d = await q.clusterDirector.findUnique({ where: { id }, include: directorInclude });
  return d ? toDirector(d) : null;
}

export async function findDirectorByHost(q: Tx, clusterId: string, hostId: string): Promise<Director | null> {
  const d = await q.clusterDirector.findUnique({ where: { clusterId_hostId: { clusterId, hostId } }, include: directorInclude });
  return d ? toDirector(d) : null;
}

export async function addDirector(tx: Tx, data: { clusterId: string; hostId: string; priority: number; vipInterface: string }): Promise<string> {
  return (await tx.clusterDirector.create({ data, select: { id: true } })).id;
}

export async function updateDirector(tx: Tx, id: string, data: { priority: number; vipInterface: string }): Promise<void> {
  await tx.clusterDirector.update({ where: { id }, data });
}

export async function removeDirector(tx: Tx, id: string): Promise<void> {
  await tx.clusterDirector.delete({ where: { id } });
}
