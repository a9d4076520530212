/** Agent enrollment tokens, credentials and what agents report about their host (issue #4). */
import type { AgentReport, KernelInfo, OpLine } from "@/shared/agent-protocol";
import { AgentReportSchema } from "@/shared/agent-protocol";
import { isoOrNull, type Tx } from "./db";

// --- enrollment tokens -------------------------------------------------------------

export async function createEnrollmentToken(tx: Tx, data: { hostId: string; tokenHash: string; expiresAt: Date; createdById: string | null }): Promise<string> {
  return (await tx.enrollmentToken.create({ data, select: { id: true } })).id;
}

export async function findEnrollmentToken(q: Tx, tokenHash: string) {
  return q.enrollmentToken.findUnique({
    where: { tokenHash },
    select: { id: true, hostId: true, expiresAt: true, usedAt: true, host: { select: { name: true } } },
  });
}

/** Marks the token used; false when another request used it first (one-time, race-free). */
export async function useEnrollmentToken(tx: Tx, id: string, at: Date): Promise<boolean> {
  const r = await tx.enrollmentToken.updateMany({ where: { id, usedAt: null }, data: { usedAt: at } });
  return r.count === 1;
}

/** Unused tokens of a host stop working (revocation, or a new token replaces them). */
export async function expireEnrollmentTokens(tx: Tx, hostId: string, at: Date): Promise<number> {
  const r = await tx.enrollmentToken.updateMany({ where: { hostId, usedAt: null, expiresAt: { gt: at } }, data: { expiresAt: at } });
  return r.count;
}

// --- credentials -------------------------------------------------------------------

export async function createCredential(tx: Tx, data: { hostId: string; tokenHash: string; prefix: string }): Promise<string> {
  return (await tx.agentCredential.create({ data, select: { id: true } })).id;
}

/** Revokes every active credential of a host; returns how many. */
export async function revokeCredentials(tx: Tx, hostId: string, at: Date): Promise<number> {
  const r = await tx.agentCredential.updateMany({ where: { hostId, revokedAt: null }, data: { revokedAt: at } });
  return r.count;
}

export async function findCredential(q: Tx, tokenHash: string) {
  return q.agentCredential.findUnique({ where: { tokenHash }, select: { id: true, hostId: true, revokedAt: true } });
}

export async function activeCredentialPrefix(q: Tx, hostId: string): Promise<string | null> {
  const r = await q.agentCredential.findFirst({ where: { hostId, revokedAt: null }, select: { prefix: true } });
  return r?.prefix ?? null;
}

// --- what the agent reports ------------------------------------------------------------

export async function recordHello(
  tx: Tx,
  hostId: string,
  credentialId: string,
  hello: { agentVersion: string; hostname: string; kernel: KernelInfo; appliedGeneration: number | null },
  at: Date,
): Promise<void> {
  await tx.host.update({
    where: { id: hostId },
    data: {
      agentVersion: hello.agentVersion,
      agentHostname: hello.hostname,
      kernelInfo: JSON.stringify(hello.kernel),
      appliedGeneration: hello.appliedGeneration,
      lastSeenAt: at,
    },
  });
  await tx.agentCredential.update({ where: { id: credentialId }, data: { lastSeenAt: at } });
}

export async function recordReport(tx: Tx, hostId: string, report: AgentReport, at: Date): Promise<void> {
  await tx.host.update({
    where: { id: hostId },
    data: {
      lastReport: JSON.stringify(report),
      driftCount: report.drift.length,
      driftCheckedAt: new Date(report.at),
      lastSeenAt: at,
      ...(report.generation !== null && !report.error && report.kind !== "periodic" ? { appliedGeneration: report.generation } : {}),
    },
  });
}

export async function touchHost(tx: Tx, hostId: string, at: Date): Promise<void> {
  await tx.host.update({ where: { id: hostId }, data: { lastSeenAt: at } });
}

export interface HostAgentStatusRow {
  id: string;
  name: string;
  enrolled: boolean;
  lastSeenAt: string | null;
  desiredGeneration: number;
  appliedGeneration: number | null;
  driftCount: number;
  drift: OpLine[];
  driftCheckedAt: string | null;
}

export async function hostAgentStatus(q: Tx, hostIds: string[]): Promise<Map<string, HostAgentStatusRow>> {
  const rows = await q.host.findMany({
    where: { id: { in: hostIds } },
    select: {
      id: true,
      name: true,
      lastSeenAt: true,
      desiredGeneration: true,
      appliedGeneration: true,
      driftCount: true,
      driftCheckedAt: true,
      lastReport: true,
      agentCredentials: { where: { revokedAt: null }, select: { id: true }, take: 1 },
    },
  });
  const out = new Map<string, HostAgentStatusRow>();
  for (const r of rows) {
    const report = r.lastReport ? AgentReportSchema.safeParse(JSON.parse(r.lastReport)) : null;
    out.set(r.id, {
      id: r.id,
      name: r.name,
      enrolled: r.agentCredentials.length > 0,
      lastSeenAt: isoOrNull(r.lastSeenAt),
      desiredGeneration: r.desiredGeneration,
      appliedGeneration: r.appliedGeneration,
      driftCount: r.driftCount,
      drift: report?.success ? report.data.drift : [],
      driftCheckedAt: isoOrNull(r.driftCheckedAt),
    });
  }
  return out;
}

export async function findHostName(q: Tx, hostId: string): Promise<string | null> {
  return (await q.host.findUnique({ where: { id: hostId }, select: { name: true } }))?.name ?? null;
}
