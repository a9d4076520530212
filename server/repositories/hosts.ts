/** Host inventory. */
import { KernelInfoSchema, type KernelInfo } from "@/shared/agent-protocol";
import type { Host, HostAgent, HostRef } from "@/shared/cluster";
import { iso, isoOrNull, type Tx } from "./db";

export interface HostData {
  name: string;
  managementAddress: string;
  interfaces: { name: string; addresses: string[] }[];
  labels: Record<string, string>;
  description: string;
}

const hostInclude = {
  directorOf: { select: { clusterId: true, priority: true, cluster: { select: { name: true } } } },
  _count: { select: { realServers: true } },
  agentCredentials: { where: { revokedAt: null }, select: { prefix: true }, take: 1 },
} as const;

export interface HostAgentRow {
  agentVersion: string | null;
  agentHostname: string | null;
  kernelInfo: string | null;
  lastSeenAt: Date | null;
  desiredGeneration: number;
  appliedGeneration: number | null;
  driftCount: number;
  driftCheckedAt: Date | null;
  agentCredentials: { prefix: string }[];
}

/** The agent part of a host (online is filled in by the service, which knows the gateway). */
export function toHostAgent(r: HostAgentRow): HostAgent {
  const kernel = parseKernelInfo(r.kernelInfo);
  return {
    enrolled: r.agentCredentials.length > 0,
    credentialPrefix: r.agentCredentials[0]?.prefix ?? null,
    online: false,
    lastSeenAt: isoOrNull(r.lastSeenAt),
    version: r.agentVersion,
    hostname: r.agentHostname,
    kernelRelease: kernel?.release ?? null,
    ipvs: kernel ? kernel.ipvs : null,
    ipvsVersion: kernel?.ipvsVersion ?? null,
    schedulers: kernel?.schedulers ?? [],
    interfaces: kernel?.interfaces ?? [],
    defaultGateways: kernel?.defaultGateways ?? [],
    desiredGeneration: r.desiredGeneration,
    appliedGeneration: r.appliedGeneration,
    driftCount: r.driftCount,
    driftCheckedAt: isoOrNull(r.driftCheckedAt),
  };
}

/** Stored KernelInfo JSON (validated when it was stored); null when absent or unreadable. */
export function parseKernelInfo(text: string | null): KernelInfo | null {
  if (!text) return null;
  const parsed = KernelInfoSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

function toHost(r: HostAgentRow & {
  id: string;
  name: string;
  managementAddress: string;
  interfaces: string;
  labels: string;
  description: string;
  createdAt: Date;
  updatedAt: Date;
  directorOf: { clusterId: string; priority: number; cluster: { name: string } }[];
  _count: { realServers: number };
}): Host {
  const agent = toHostAgent(r);
  return {
    id: r.id,
    name: r.name,
    managementAddress: r.managementAddress,
    interfaces: JSON.parse(r.interfaces),
    labels: JSON.parse(r.labels),
    description: r.description,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    directorOf: r.directorOf
      .map((d) => ({ clusterId: d.clusterId, clusterName: d.cluster.name, priority: d.priority }))
      .sort((a, b) => a.clusterName.localeCompare(b.clusterName)),
    realServerCount: r._count.realServers,
    agent,
  };
}

export async function listHosts(q: Tx): Promise<Host[]> {
  const rows = await q.host.findMany({ include: hostInclude, orderBy: { name: "asc" } });
  return rows.map(toHost);
}

export async function getHost(q: Tx, id: string): Promise<Host | null> {
  const r = await q.host.findUnique({ where: { id }, include: hostInclude });
  return r ? toHost(r) : null;
}

export async function findHostRef(q: Tx, id: string): Promise<HostRef | null> {
  return q.host.findUnique({ where: { id }, select: { id: true, name: true, managementAddress: true } });
}

export async function findHostByName(q: Tx, name: string): Promise<HostRef | null> {
  return q.host.findUnique({ where: { name }, select: { id: true, name: true, managementAddress: true } });
}

function toRow(data: HostData) {
  return { ...data, interfaces: JSON.stringify(data.interfaces), labels: JSON.stringify(data.labels) };
}

export async function createHost(tx: Tx, data: HostData): Promise<string> {
  return (await tx.host.create({ data: toRow(data), select: { id: true } })).id;
}

export async function updateHost(tx: Tx, id: string, data: HostData): Promise<void> {
  await tx.host.update({ where: { id }, data: toRow(data) });
}

export async function deleteHost(tx: Tx, id: string): Promise<void> {
  await tx.host.delete({ where: { id } });
}
