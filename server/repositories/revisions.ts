/** Revisions, host deployments and cluster snapshots (issue #4). */
import type { KernelInfo } from "@/shared/agent-protocol";
import type { ForwardingMethod, MarkProtocol, PersistenceEngine, Protocol, Scheduler } from "@/shared/cluster";
import { clusterSnapshotSchema, type ClusterSnapshot, type DeploymentStatus } from "@/shared/revisions";
import { parseKernelInfo } from "./hosts";
import { parseMarkPorts, refreshSearchText, type RealServerData, type VirtualServiceData } from "./services";
import { iso, isoOrNull, type Tx } from "./db";
import { healthCheckSelect, serviceHealthColumns, serviceHealthOf, toHealthCheckRow } from "./health";
import type { ServiceHealthFields } from "@/shared/cluster";

// --- snapshots ------------------------------------------------------------------

/** The live tables of one cluster as a ClusterSnapshot (null: no such cluster). Ordered by id: stable for hashing. */
export async function loadClusterSnapshot(q: Tx, clusterId: string): Promise<ClusterSnapshot | null> {
  const c = await q.cluster.findUnique({
    where: { id: clusterId },
    select: {
      id: true,
      name: true,
      description: true,
      directors: { orderBy: { id: "asc" }, select: { id: true, hostId: true, vipInterface: true, priority: true, host: { select: { name: true } } } },
      services: {
        orderBy: { id: "asc" },
        include: {
          healthCheck: { select: healthCheckSelect },
          realServers: { orderBy: { id: "asc" }, include: { host: { select: { name: true } } } },
        },
      },
    },
  });
  if (!c) return null;
  return {
    cluster: { id: c.id, name: c.name, description: c.description },
    directors: c.directors.map((d) => ({ id: d.id, hostId: d.hostId, hostName: d.host.name, vipInterface: d.vipInterface, priority: d.priority })),
    services: c.services.map((s) => ({
      id: s.id,
      protocol: s.protocol as Protocol,
      address: s.address,
      family: s.family as "ipv4" | "ipv6",
      port: s.port,
      fwmark: s.fwmark,
      markProtocol: s.markProtocol as MarkProtocol | null,
      markPorts: parseMarkPorts(s.markPorts),
      scheduler: s.scheduler as Scheduler,
      schedulerFlags: s.schedulerFlags ? s.schedulerFlags.split(",") : [],
      persistenceTimeout: s.persistenceTimeout,
      persistenceNetmask: s.persistenceNetmask,
      persistenceEngine: s.persistenceEngine as PersistenceEngine | null,
      description: s.description,
      enabled: s.enabled,
      ...snapshotHealth(serviceHealthOf(s)),
      realServers: s.realServers.map((r) => ({
        id: r.id,
        hostId: r.hostId,
        hostName: r.host?.name ?? null,
        address: r.address,
        port: r.port,
        forwarding: r.forwarding as ForwardingMethod,
        weight: r.weight,
        upperThreshold: r.upperThreshold,
        lowerThreshold: r.lowerThreshold,
        enabled: r.enabled,
      })),
    })),
  };
}

/** Health settings as a snapshot carries them: only what differs from the defaults (keeps old draft hashes valid). */
export function snapshotHealth(h: ServiceHealthFields) {
  return {
    ...(h.healthCheck ? { healthCheck: h.healthCheck } : {}),
    ...(h.onFailure !== "QUIESCE" ? { onFailure: h.onFailure } : {}),
    ...(h.slowStartSeconds !== 0 ? { slowStartSeconds: h.slowStartSeconds } : {}),
    ...(h.sorryServer ? { sorryServer: h.sorryServer } : {}),
  };
}

export function parseSnapshot(text: string): ClusterSnapshot {
  return clusterSnapshotSchema.parse(JSON.parse(text));
}

/** Latest revision of every cluster other than `exceptClusterId` (their applied snapshots). */
export async function latestSnapshotsOfOtherClusters(q: Tx, exceptClusterId: string): Promise<ClusterSnapshot[]> {
  const clusters = await q.cluster.findMany({ where: { id: { not: exceptClusterId } }, select: { id: true } });
  const out: ClusterSnapshot[] = [];
  for (const c of clusters) {
    const r = await q.revision.findFirst({ where: { clusterId: c.id }, orderBy: { number: "desc" }, select: { snapshot: true } });
    if (r) out.push(parseSnapshot(r.snapshot));
  }
  return out;
}

// --- hosts as compile sees them ------------------------------------------------

export interface HostCompileRow {
  id: string;
  name: string;
  managementAddress: string;
  interfaceAddresses: string[];
  kernel: KernelInfo | null;
  desiredGeneration: number;
}

export async function listHostsForCompile(q: Tx): Promise<HostCompileRow[]> {
  const rows = await q.host.findMany({
    select: { id: true, name: true, managementAddress: true, interfaces: true, kernelInfo: true, desiredGeneration: true },
    orderBy: { id: "asc" },
  });
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    managementAddress: r.managementAddress,
    interfaceAddresses: (JSON.parse(r.interfaces) as { addresses: string[] }[]).flatMap((i) => i.addresses),
    kernel: parseKernelInfo(r.kernelInfo),
    desiredGeneration: r.desiredGeneration,
  }));
}

export async function existingHostIds(q: Tx, ids: string[]): Promise<Set<string>> {
  const rows = await q.host.findMany({ where: { id: { in: ids } }, select: { id: true } });
  return new Set(rows.map((r) => r.id));
}

// --- revisions ------------------------------------------------------------------

export interface RevisionRow {
  id: string;
  clusterId: string;
  number: number;
  kind: "apply" | "rollback";
  rolledBackToNumber: number | null;
  note: string;
  snapshot: string;
  draftHash: string;
  createdByName: string;
  createdAt: string;
}

const revisionSelect = {
  id: true,
  clusterId: true,
  number: true,
  kind: true,
  rolledBackToNumber: true,
  note: true,
  snapshot: true,
  draftHash: true,
  createdByName: true,
  createdAt: true,
} as const;

function toRevision(r: {
  id: string;
  clusterId: string;
  number: number;
  kind: string;
  rolledBackToNumber: number | null;
  note: string;
  snapshot: string;
  draftHash: string;
  createdByName: string;
  createdAt: Date;
}): RevisionRow {
  return { ...r, kind: r.kind as RevisionRow["kind"], createdAt: iso(r.createdAt) };
}

export async function latestRevision(q: Tx, clusterId: string): Promise<RevisionRow | null> {
  const r = await q.revision.findFirst({ where: { clusterId }, orderBy: { number: "desc" }, select: revisionSelect });
  return r ? toRevision(r) : null;
}

export async function findRevision(q: Tx, clusterId: string, number: number): Promise<RevisionRow | null> {
  const r = await q.revision.findUnique({ where: { clusterId_number: { clusterId, number } }, select: revisionSelect });
  return r ? toRevision(r) : null;
}

export async function listRevisionRows(q: Tx, clusterId: string): Promise<RevisionRow[]> {
  const rows = await q.revision.findMany({ where: { clusterId }, orderBy: { number: "desc" }, select: revisionSelect });
  return rows.map(toRevision);
}

export async function createRevision(
  tx: Tx,
  data: {
    clusterId: string;
    number: number;
    kind: "apply" | "rollback";
    rolledBackToNumber: number | null;
    note: string;
    snapshot: ClusterSnapshot;
    draftHash: string;
    createdById: string | null;
    createdByName: string;
  },
): Promise<string> {
  const r = await tx.revision.create({ data: { ...data, snapshot: JSON.stringify(data.snapshot) }, select: { id: true } });
  return r.id;
}

// --- deployments -----------------------------------------------------------------

export interface DeploymentRow {
  id: string;
  revisionId: string;
  hostId: string;
  hostName: string;
  generation: number;
  desiredState: string;
  status: DeploymentStatus;
  error: string | null;
  results: string | null;
  createdAt: string;
  finishedAt: string | null;
}

const deploymentSelect = {
  id: true,
  revisionId: true,
  hostId: true,
  generation: true,
  desiredState: true,
  status: true,
  error: true,
  results: true,
  createdAt: true,
  finishedAt: true,
  host: { select: { name: true } },
} as const;

function toDeployment(r: {
  id: string;
  revisionId: string;
  hostId: string;
  generation: number;
  desiredState: string;
  status: string;
  error: string | null;
  results: string | null;
  createdAt: Date;
  finishedAt: Date | null;
  host: { name: string };
}): DeploymentRow {
  const { host, ...rest } = r;
  return { ...rest, hostName: host.name, status: r.status as DeploymentStatus, createdAt: iso(r.createdAt), finishedAt: isoOrNull(r.finishedAt) };
}

/** The newest deployment of each host (any cluster's revision). */
export async function latestDeployments(q: Tx, hostIds: string[]): Promise<Map<string, DeploymentRow>> {
  const out = new Map<string, DeploymentRow>();
  for (const hostId of hostIds) {
    const r = await q.hostDeployment.findFirst({ where: { hostId }, orderBy: { generation: "desc" }, select: deploymentSelect });
    if (r) out.set(hostId, toDeployment(r));
  }
  return out;
}

export async function deploymentsOfRevisions(q: Tx, revisionIds: string[]): Promise<DeploymentRow[]> {
  const rows = await q.hostDeployment.findMany({
    where: { revisionId: { in: revisionIds } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    select: deploymentSelect,
  });
  return rows.map(toDeployment);
}

/** Creates the host's next generation; older unfinished deployments of the host become superseded. */
export async function createDeployment(tx: Tx, data: { revisionId: string; hostId: string; generation: number; desiredState: string }): Promise<void> {
  await tx.hostDeployment.updateMany({
    where: { hostId: data.hostId, status: { in: ["pending", "applying"] } },
    data: { status: "superseded", finishedAt: new Date() },
  });
  await tx.hostDeployment.create({ data: { ...data, status: "pending" } });
  await tx.host.update({ where: { id: data.hostId }, data: { desiredGeneration: data.generation } });
}

export async function findDeployment(q: Tx, hostId: string, generation: number): Promise<DeploymentRow | null> {
  const r = await q.hostDeployment.findUnique({ where: { hostId_generation: { hostId, generation } }, select: deploymentSelect });
  return r ? toDeployment(r) : null;
}

/** pending → applying (the agent accepted the push); a no-op when a report already settled it. */
export async function markApplying(tx: Tx, hostId: string, generation: number): Promise<void> {
  await tx.hostDeployment.updateMany({ where: { hostId, generation, status: "pending" }, data: { status: "applying" } });
}

/** The agent's result for a generation; superseded deployments stay superseded. */
export async function finishDeployment(
  tx: Tx,
  hostId: string,
  generation: number,
  result: { status: "applied" | "failed"; error: string | null; results: string | null; at: Date },
): Promise<void> {
  await tx.hostDeployment.updateMany({
    where: { hostId, generation, status: { not: "superseded" } },
    data: { status: result.status, error: result.error, results: result.results, finishedAt: result.at },
  });
}

/** The agent refused a push (e.g. invalid for this host). */
export async function failDeployment(tx: Tx, hostId: string, generation: number, error: string): Promise<void> {
  await tx.hostDeployment.updateMany({
    where: { hostId, generation, status: { in: ["pending", "applying"] } },
    data: { status: "failed", error, finishedAt: new Date() },
  });
}

// --- rollback ------------------------------------------------------------------------

export interface RestoredService {
  id: string;
  data: VirtualServiceData;
  health: ServiceHealthFields;
  realServers: { id: string; data: RealServerData }[];
}

/**
 * Replaces a cluster's directors, services and real servers with the given
 * rows (same ids as the snapshot they come from). Runs inside the caller's
 * transaction; unique keys still apply.
 */
export async function restoreClusterTables(
  tx: Tx,
  clusterId: string,
  cluster: { name: string; description: string },
  directors: { id: string; hostId: string; priority: number; vipInterface: string }[],
  services: RestoredService[],
): Promise<void> {
  await tx.virtualService.deleteMany({ where: { clusterId } });
  await tx.clusterDirector.deleteMany({ where: { clusterId } });
  await tx.cluster.update({ where: { id: clusterId }, data: cluster });
  for (const d of directors) await tx.clusterDirector.create({ data: { ...d, clusterId } });
  for (const s of services) {
    await tx.virtualService.create({
      data: {
        ...s.data,
        id: s.id,
        clusterId,
        schedulerFlags: s.data.schedulerFlags.join(","),
        markPorts: s.data.markPorts.join(","),
        ...serviceHealthColumns(s.health),
        ...(s.health.healthCheck ? { healthCheck: { create: toHealthCheckRow(s.health.healthCheck) } } : {}),
        realServers: { create: s.realServers.map((r) => ({ ...r.data, id: r.id })) },
      },
    });
    await refreshSearchText(tx, s.id);
  }
}
