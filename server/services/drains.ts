/**
 * Drain (issue #6): an operational override like Seesaw's, not a model
 * change. Starting a drain stores a RealServerDrain and, in the same
 * transaction, publishes a new generation to the cluster's directors in which
 * that destination has weight 0 — compiled from the APPLIED revision's
 * snapshot (never the draft) plus every active drain. No revision is created;
 * the deployment is recorded under the applied revision. Restore deletes the
 * drain and republishes. Remove deletes the real server from the draft (the
 * destination stays at weight 0 in the kernel until someone applies). Every
 * step is audited (drain.start / drain.restore / drain.remove).
 */
import { getAgentGateway } from "@/server/agent-gateway/registry";
import { compile, sameState } from "@/server/compile";
import type { Database } from "@/server/db";
import { findCluster } from "@/server/repositories/clusters";
import { read, serializableTransaction, ConstraintError, type Tx } from "@/server/repositories/db";
import * as health from "@/server/repositories/health";
import * as revisions from "@/server/repositories/revisions";
import * as services from "@/server/repositories/services";
import { endpointLabel, virtualServiceLabel, type Drain } from "@/shared/cluster";
import type { ServiceContext } from "./actor";
import { recordAudit } from "./audit";
import { conflict, invalid, notFound } from "./errors";
import { stateOfDeployment } from "./revisions";

export interface DrainResult {
  realServerId: string;
  clusterId: string;
  drain: Drain | null;
  /** directors that got a new generation (names) */
  publishedTo: string[];
}

async function loadRealServer(tx: Tx, realServerId: string) {
  const rs = await services.getRealServer(tx, realServerId);
  if (!rs) throw notFound("Real server");
  const service = (await services.getService(tx, rs.virtualServiceId))!;
  const cluster = (await findCluster(tx, service.clusterId))!;
  return { rs, service, cluster, label: `${endpointLabel(rs.address, rs.port ?? service.port)} of ${virtualServiceLabel(service)}` };
}

/**
 * Compiles every cluster's applied snapshot with the active drains and writes
 * a deployment (under the applied revision) for each director of `clusterId`
 * whose state changed. Returns the host ids to push to after the commit.
 */
export async function republishApplied(tx: Tx, clusterId: string): Promise<{ hostIds: string[]; hostNames: string[] }> {
  const applied = await revisions.latestRevision(tx, clusterId);
  if (!applied) return { hostIds: [], hostNames: [] };
  const snapshot = revisions.parseSnapshot(applied.snapshot);
  const others = await revisions.latestSnapshotsOfOtherClusters(tx, clusterId);
  const hosts = await revisions.listHostsForCompile(tx);
  const output = compile({ clusters: [...others, snapshot], hosts, drainedRealServerIds: await health.listDrainedRealServerIds(tx) });
  const errors = output.lints.filter((l) => l.level === "error");
  if (errors.length > 0) throw invalid({ _form: errors.map((l) => l.message) }, errors[0].message);
  const directorIds = [...new Set(snapshot.directors.map((d) => d.hostId))];
  const last = await revisions.latestDeployments(tx, directorIds);
  const rows = new Map(hosts.map((h) => [h.id, h]));
  const hostIds: string[] = [];
  const hostNames: string[] = [];
  for (const hostId of directorIds) {
    const row = rows.get(hostId);
    const compiled = output.byHost.get(hostId);
    if (!row || !compiled) continue;
    if (sameState(stateOfDeployment(last.get(hostId)), compiled.state)) continue;
    const generation = row.desiredGeneration + 1;
    await revisions.createDeployment(tx, { revisionId: applied.id, hostId, generation, desiredState: JSON.stringify({ ...compiled.state, generation }) });
    hostIds.push(hostId);
    hostNames.push(row.name);
  }
  return { hostIds, hostNames: hostNames.sort() };
}

/** Two publishes racing for one host's next generation collide on (hostId, generation). */
function raceAsConflict(err: unknown): never {
  if (err instanceof ConstraintError && err.kind === "unique") {
    throw conflict(null, "Another change was published to these directors at the same moment; try again");
  }
  throw err;
}

export async function startDrain(ctx: ServiceContext, input: { realServerId: string; timeoutSeconds: number }): Promise<DrainResult> {
  const result = await serializableTransaction(ctx.db, async (tx) => {
    const { rs, service, cluster, label } = await loadRealServer(tx, input.realServerId);
    const existing = await health.findDrain(tx, rs.id);
    if (existing) throw conflict(null, `${label} is already draining (since ${existing.startedAt}, by ${existing.startedByName})`);
    const applied = await revisions.latestRevision(tx, cluster.id);
    if (!applied) throw conflict(null, `Nothing of ${cluster.name} is applied yet, so ${label} receives no traffic; apply the cluster first or simply delete the real server`);
    const snapshot = revisions.parseSnapshot(applied.snapshot);
    const appliedService = snapshot.services.find((s) => s.id === service.id);
    const appliedRs = appliedService?.realServers.find((r) => r.id === rs.id);
    if (!appliedService || !appliedRs) {
      throw conflict(null, `${label} is not in the applied revision #${applied.number}, so it receives no traffic yet; there is nothing to drain`);
    }
    if (!appliedService.enabled || !appliedRs.enabled) {
      throw conflict(null, `${label} is disabled in the applied revision #${applied.number}; it receives no traffic, there is nothing to drain`);
    }
    if (snapshot.directors.length === 0) throw conflict(null, `${cluster.name} has no director in the applied revision #${applied.number}; there is nothing to drain`);
    const drain = await health.createDrain(tx, { realServerId: rs.id, clusterId: cluster.id, timeoutSeconds: input.timeoutSeconds, startedByName: ctx.actor.name });
    const published = await republishApplied(tx, cluster.id);
    await recordAudit(tx, ctx.actor, {
      action: "drain.start",
      entityType: "realServer",
      entityId: rs.id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Started draining ${label}: weight 0 published to ${published.hostNames.join(", ") || "no director (already at weight 0)"} without a new revision (timeout ${input.timeoutSeconds} s)`,
      before: { drain: null, weight: appliedRs.weight },
      after: { drain: { timeoutSeconds: drain.timeoutSeconds, startedByName: drain.startedByName }, weight: 0, directors: published.hostNames, revision: applied.number },
    });
    return {
      realServerId: rs.id,
      clusterId: cluster.id,
      drain: { startedAt: drain.startedAt, timeoutSeconds: drain.timeoutSeconds, startedByName: drain.startedByName },
      publishedTo: published.hostNames,
      hostIds: published.hostIds,
    };
  }).catch(raceAsConflict);
  await getAgentGateway().publish(result.hostIds);
  const { hostIds: _h, ...out } = result;
  return out;
}

export async function restoreDrain(ctx: ServiceContext, input: { realServerId: string }): Promise<DrainResult> {
  const result = await serializableTransaction(ctx.db, async (tx) => {
    const { rs, cluster, label } = await loadRealServer(tx, input.realServerId);
    const existing = await health.findDrain(tx, rs.id);
    if (!existing) throw conflict(null, `${label} is not draining; there is nothing to restore`);
    await health.deleteDrain(tx, rs.id);
    const published = await republishApplied(tx, cluster.id);
    await recordAudit(tx, ctx.actor, {
      action: "drain.restore",
      entityType: "realServer",
      entityId: rs.id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Ended the drain of ${label}: its applied weight is published to ${published.hostNames.join(", ") || "no director"}`,
      before: { drain: { startedAt: existing.startedAt, timeoutSeconds: existing.timeoutSeconds, startedByName: existing.startedByName } },
      after: { drain: null, directors: published.hostNames },
    });
    return { realServerId: rs.id, clusterId: cluster.id, drain: null, publishedTo: published.hostNames, hostIds: published.hostIds };
  }).catch(raceAsConflict);
  await getAgentGateway().publish(result.hostIds);
  const { hostIds: _h, ...out } = result;
  return out;
}

/**
 * Deletes a drained real server from the draft. Nothing is published: the
 * kernel keeps the destination at weight 0 until the next apply removes it
 * (the UI takes the user to the review page).
 */
export async function removeDrained(ctx: ServiceContext, input: { realServerId: string }): Promise<DrainResult> {
  return serializableTransaction(ctx.db, async (tx) => {
    const { rs, service, cluster, label } = await loadRealServer(tx, input.realServerId);
    const existing = await health.findDrain(tx, rs.id);
    if (!existing) throw conflict(null, `${label} is not draining; drain it first, or delete it from the service`);
    await services.deleteRealServer(tx, rs.id);
    await recordAudit(tx, ctx.actor, {
      action: "drain.remove",
      entityType: "realServer",
      entityId: rs.id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Removed the drained real server ${label} from the draft of ${virtualServiceLabel(service)}; apply to remove it from the directors`,
      before: { address: rs.address, port: rs.port, forwarding: rs.forwarding, weight: rs.weight, drain: { startedAt: existing.startedAt, startedByName: existing.startedByName } },
    });
    return { realServerId: rs.id, clusterId: cluster.id, drain: null, publishedTo: [] };
  });
}

export async function getDrain(db: Database, realServerId: string): Promise<Drain | null> {
  const d = await read(db, (q) => health.findDrain(q, realServerId));
  return d ? { startedAt: d.startedAt, timeoutSeconds: d.timeoutSeconds, startedByName: d.startedByName } : null;
}
