/**
 * Revisions (issue #4): the live tables are the draft; review compares it with
 * the applied revision (model diff, per-host desired-state diff, each agent's
 * dry-run plan, lints); apply freezes it as a new revision and publishes a new
 * generation to every host whose compiled state changed; rollback restores an
 * earlier revision's tables and applies them as a new revision.
 *
 * Apply and rollback check, in one (serializable on PostgreSQL) transaction,
 * that the applied revision is still the one the operator reviewed and that
 * the draft did not change since (draftHash): otherwise CONFLICT and nothing
 * is written. Pushing to agents happens after the commit.
 */
import { createHash } from "node:crypto";
import { getAgentGateway } from "@/server/agent-gateway/registry";
import { compile, diffStates, sameState, type CompiledHost, type HostDesiredState } from "@/server/compile";
import { hostsOfSnapshot, modelDiff } from "@/server/compile/model-diff";
import type { Database } from "@/server/db";
import { hostAgentStatus } from "@/server/repositories/agents";
import { findClusterByName } from "@/server/repositories/clusters";
import { ConstraintError, read, serializableTransaction, snapshotRead, type Tx } from "@/server/repositories/db";
import * as repo from "@/server/repositories/revisions";
import { deleteDrainsExcept, listDrainedRealServerIds } from "@/server/repositories/health";
import { findEndpointInOtherClusters } from "@/server/repositories/services";
import { endpointLabel, virtualServiceFieldsSchema } from "@/shared/cluster";
import { DESIRED_STATE_SCHEMA_VERSION } from "@/shared/desired-state";
import {
  canonicalJson,
  type ClusterRevisionStatus,
  type ClusterSnapshot,
  type Lint,
  type Review,
  type ReviewHost,
  type RevisionDetail,
  type RevisionSummary,
  type revisionApplyInput,
  type revisionRollbackInput,
} from "@/shared/revisions";
import { OpResultLineSchema } from "@/shared/agent-protocol";
import type { z } from "zod";
import type { ServiceContext } from "./actor";
import { recordAudit } from "./audit";
import { ServiceError, conflict, invalid, notFound } from "./errors";
import { realServerData, serviceData } from "./virtual-services";

/** sha256 of the snapshot's canonical JSON: what a review hands to apply. */
export function draftHash(snapshot: ClusterSnapshot): string {
  return createHash("sha256").update(canonicalJson(snapshot)).digest("hex");
}

function emptyState(hostName: string): HostDesiredState {
  return { schemaVersion: DESIRED_STATE_SCHEMA_VERSION, host: hostName, ipvs: { services: [] }, addresses: [], realServer: null, sysctls: {}, fwmarks: [] };
}

export function stateOfDeployment(d: repo.DeploymentRow | undefined): HostDesiredState | null {
  if (!d) return null;
  const { generation: _g, ...state } = JSON.parse(d.desiredState) as HostDesiredState & { generation: number };
  return state;
}

interface Compiled {
  draft: ClusterSnapshot;
  applied: repo.RevisionRow | null;
  appliedSnapshot: ClusterSnapshot | null;
  lints: Lint[];
  /** hosts of this cluster (applied or draft) that still exist, with their compiled state */
  hosts: { id: string; name: string; roles: string[]; desiredGeneration: number; state: HostDesiredState; last: repo.DeploymentRow | undefined }[];
}

/** Compiles the cluster's `draft` together with every other cluster's applied revision. */
async function compileCluster(q: Tx, clusterId: string, draft: ClusterSnapshot): Promise<Compiled> {
  const applied = await repo.latestRevision(q, clusterId);
  const appliedSnapshot = applied ? repo.parseSnapshot(applied.snapshot) : null;
  const others = await repo.latestSnapshotsOfOtherClusters(q, clusterId);
  const hostRows = await repo.listHostsForCompile(q);
  // active drains stay in force across applies (operational overrides, docs/revisions.md)
  const output = compile({ clusters: [...others, draft], hosts: hostRows, drainedRealServerIds: await listDrainedRealServerIds(q) });
  const involved = hostsOfSnapshot(appliedSnapshot);
  for (const [id, entry] of hostsOfSnapshot(draft)) {
    const known = involved.get(id);
    involved.set(id, { name: entry.name, roles: new Set([...(known?.roles ?? []), ...entry.roles]) });
  }
  const rowsById = new Map(hostRows.map((h) => [h.id, h]));
  const ids = [...involved.keys()].filter((id) => rowsById.has(id));
  const last = await repo.latestDeployments(q, ids);
  const hosts = ids
    .map((id) => {
      const row = rowsById.get(id)!;
      const compiled: CompiledHost | undefined = output.byHost.get(id);
      const draftRoles = compiled?.roles.get(clusterId);
      return {
        id,
        name: row.name,
        roles: [...(draftRoles ?? involved.get(id)!.roles)].sort(),
        desiredGeneration: row.desiredGeneration,
        state: compiled?.state ?? emptyState(row.name),
        last: last.get(id),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { draft, applied, appliedSnapshot, lints: output.lints, hosts };
}

async function loadDraft(q: Tx, clusterId: string): Promise<ClusterSnapshot> {
  const draft = await repo.loadClusterSnapshot(q, clusterId);
  if (!draft) throw notFound("Cluster");
  return draft;
}

// --- review -----------------------------------------------------------------------------

export async function reviewCluster(db: Database, clusterId: string): Promise<Review> {
  const compiled = await read(db, async (q) => compileCluster(q, clusterId, await loadDraft(q, clusterId)));
  const gateway = getAgentGateway();
  const hosts: ReviewHost[] = await Promise.all(
    compiled.hosts.map(async (h) => {
      const lastState = stateOfDeployment(h.last);
      const changed = !sameState(lastState, h.state);
      const online = gateway.isOnline(h.id);
      const plan = online
        ? await gateway.plan(h.id, { ...h.state, generation: h.desiredGeneration + (changed ? 1 : 0) || 1 })
        : { status: "offline" as const, ops: [], warnings: [], error: "the agent is not connected; it gets the change when it connects" };
      return {
        hostId: h.id,
        name: h.name,
        roles: h.roles as ReviewHost["roles"],
        online,
        changed,
        desiredDiff: diffStates(lastState, h.state),
        plan,
      };
    }),
  );
  return {
    clusterId,
    clusterName: compiled.draft.cluster.name,
    baseRevision: compiled.applied?.number ?? null,
    draftHash: draftHash(compiled.draft),
    modelDiff: modelDiff(compiled.appliedSnapshot, compiled.draft),
    hosts,
    lints: compiled.lints,
    canApply: !compiled.lints.some((l) => l.level === "error"),
  };
}

// --- apply / rollback --------------------------------------------------------------------

function checkBase(applied: repo.RevisionRow | null, base: number | null) {
  const current = applied?.number ?? null;
  if (current === base) return;
  if (applied && current !== null && (base === null || current > base)) {
    throw conflict(
      null,
      `Revision #${current} was applied by ${applied.createdByName} at ${applied.createdAt} since you reviewed (base ${base === null ? "none" : `#${base}`}); review again`,
    );
  }
  throw conflict(null, `The applied revision is ${current === null ? "none" : `#${current}`}, not ${base === null ? "none" : `#${base}`}; review again`);
}

/** Writes the revision and one deployment per host whose state changed. Returns the hosts to push to. */
async function writeRevision(
  tx: Tx,
  ctx: ServiceContext,
  compiled: Compiled,
  meta: { kind: "apply" | "rollback"; rolledBackToNumber: number | null; note: string },
): Promise<{ revisionId: string; number: number; changedHosts: string[] }> {
  const errors = compiled.lints.filter((l) => l.level === "error");
  if (errors.length > 0) throw invalid({ _form: errors.map((l) => l.message) }, errors[0].message);
  const number = (compiled.applied?.number ?? 0) + 1;
  const revisionId = await repo.createRevision(tx, {
    clusterId: compiled.draft.cluster.id,
    number,
    kind: meta.kind,
    rolledBackToNumber: meta.rolledBackToNumber,
    note: meta.note,
    snapshot: compiled.draft,
    draftHash: draftHash(compiled.draft),
    createdById: ctx.actor.userId,
    createdByName: ctx.actor.name,
  });
  // A drained real server that this revision no longer has is gone from the directors: its drain is over.
  await deleteDrainsExcept(
    tx,
    compiled.draft.cluster.id,
    compiled.draft.services.flatMap((s) => s.realServers.map((rs) => rs.id)),
  );
  const changedHosts: string[] = [];
  for (const h of compiled.hosts) {
    if (sameState(stateOfDeployment(h.last), h.state)) continue;
    const generation = h.desiredGeneration + 1;
    await repo.createDeployment(tx, { revisionId, hostId: h.id, generation, desiredState: JSON.stringify({ ...h.state, generation }) });
    changedHosts.push(h.id);
  }
  return { revisionId, number, changedHosts };
}

/** Two applies racing past the base check collide on the unique revision number / generation. */
function raceAsConflict(err: unknown): never {
  if (err instanceof ConstraintError && err.kind === "unique") {
    throw conflict(null, "Another revision was applied at the same moment; review again");
  }
  throw err;
}

export async function applyRevision(ctx: ServiceContext, input: z.output<typeof revisionApplyInput>): Promise<RevisionSummary> {
  const result = await serializableTransaction(ctx.db, async (tx) => {
    const draft = await loadDraft(tx, input.clusterId);
    const compiled = await compileCluster(tx, input.clusterId, draft);
    checkBase(compiled.applied, input.baseRevisionNumber);
    if (draftHash(draft) !== input.draftHash) throw conflict(null, "The draft changed since your review; review again");
    const written = await writeRevision(tx, ctx, compiled, { kind: "apply", rolledBackToNumber: null, note: input.note });
    const changes = modelDiff(compiled.appliedSnapshot, draft).length;
    await recordAudit(tx, ctx.actor, {
      action: "revision.apply",
      entityType: "revision",
      entityId: written.revisionId,
      clusterId: draft.cluster.id,
      clusterName: draft.cluster.name,
      summary: `Applied revision #${written.number} of ${draft.cluster.name}: ${changes} change(s), ${written.changedHosts.length} host(s) get a new desired state${input.note ? ` — ${input.note}` : ""}`,
      before: { revision: compiled.applied?.number ?? null },
      after: { revision: written.number, note: input.note, hosts: hostNames(compiled, written.changedHosts) },
    });
    return written;
  }).catch(raceAsConflict);
  await getAgentGateway().publish(result.changedHosts);
  return getRevisionSummary(ctx.db, input.clusterId, result.number);
}

function hostNames(compiled: Compiled, ids: string[]): string[] {
  const names = new Map(compiled.hosts.map((h) => [h.id, h.name]));
  return ids.map((id) => names.get(id) ?? id);
}

export async function rollbackRevision(ctx: ServiceContext, input: z.output<typeof revisionRollbackInput>): Promise<RevisionSummary> {
  const result = await serializableTransaction(ctx.db, async (tx) => {
    const current = await repo.latestRevision(tx, input.clusterId);
    if (!current && !(await repo.loadClusterSnapshot(tx, input.clusterId))) throw notFound("Cluster");
    checkBase(current, input.baseRevisionNumber);
    const target = await repo.findRevision(tx, input.clusterId, input.toNumber);
    if (!target) throw invalid({ toNumber: [`Revision #${input.toNumber} does not exist`] });
    const snapshot = repo.parseSnapshot(target.snapshot);
    await restoreTables(tx, snapshot, input.toNumber);
    const draft = await loadDraft(tx, input.clusterId);
    const compiled = await compileCluster(tx, input.clusterId, draft);
    const written = await writeRevision(tx, ctx, compiled, { kind: "rollback", rolledBackToNumber: input.toNumber, note: input.note });
    await recordAudit(tx, ctx.actor, {
      action: "revision.rollback",
      entityType: "revision",
      entityId: written.revisionId,
      clusterId: draft.cluster.id,
      clusterName: draft.cluster.name,
      summary: `Rolled ${draft.cluster.name} back to revision #${input.toNumber} as revision #${written.number}: ${written.changedHosts.length} host(s) get a new desired state${input.note ? ` — ${input.note}` : ""}`,
      before: { revision: current?.number ?? null },
      after: { revision: written.number, rolledBackTo: input.toNumber, note: input.note, hosts: hostNames(compiled, written.changedHosts) },
    });
    return written;
  }).catch(raceAsConflict);
  await getAgentGateway().publish(result.changedHosts);
  return getRevisionSummary(ctx.db, input.clusterId, result.number);
}

/** Restores the live tables to `snapshot` (same ids). Every check runs before the first write. */
async function restoreTables(tx: Tx, snapshot: ClusterSnapshot, number: number): Promise<void> {
  const hostIds = [
    ...snapshot.directors.map((d) => d.hostId),
    ...snapshot.services.flatMap((s) => s.realServers.map((r) => r.hostId).filter((id): id is string => id !== null)),
  ];
  const existing = await repo.existingHostIds(tx, [...new Set(hostIds)]);
  const missing = new Set<string>();
  for (const d of snapshot.directors) if (!existing.has(d.hostId)) missing.add(d.hostName);
  for (const s of snapshot.services) for (const r of s.realServers) if (r.hostId && !existing.has(r.hostId)) missing.add(r.hostName ?? r.hostId);
  if (missing.size > 0) {
    throw invalid(
      { toNumber: [`Revision #${number} uses host(s) that no longer exist: ${[...missing].sort().join(", ")}; add them again or roll back to another revision`] },
    );
  }
  const clash = await findClusterByName(tx, snapshot.cluster.name);
  if (clash && clash.id !== snapshot.cluster.id) {
    throw conflict("toNumber", `Revision #${number} names the cluster ${snapshot.cluster.name}, which another cluster uses now; rename that one first`);
  }
  const services: repo.RestoredService[] = [];
  for (const s of snapshot.services) {
    const fields = virtualServiceFieldsSchema.parse({
      protocol: s.protocol,
      address: s.address,
      port: s.port,
      fwmark: s.fwmark,
      scheduler: s.scheduler,
      schedulerFlags: s.schedulerFlags,
      persistenceTimeout: s.persistenceTimeout,
      persistenceNetmask: s.persistenceNetmask,
      persistenceEngine: s.persistenceEngine,
      markProtocol: s.markProtocol,
      markPorts: s.markPorts,
      description: s.description,
      enabled: s.enabled,
    });
    if (fields.port !== null) {
      const others = await findEndpointInOtherClusters(tx, fields.address, fields.port, snapshot.cluster.id);
      if (others.length > 0) {
        throw conflict(
          "toNumber",
          `Revision #${number} has ${endpointLabel(fields.address, fields.port)}, which cluster ${others[0].clusterName} uses now; a VIP:port belongs to one cluster`,
        );
      }
    }
    services.push({
      id: s.id,
      data: serviceData(fields),
      health: { healthCheck: s.healthCheck ?? null, onFailure: s.onFailure ?? "QUIESCE", slowStartSeconds: s.slowStartSeconds ?? 0, sorryServer: s.sorryServer ?? null },
      realServers: s.realServers.map((r) => ({ id: r.id, data: realServerData(fields, { ...r, address: r.address }) })),
    });
  }
  await repo.restoreClusterTables(
    tx,
    snapshot.cluster.id,
    { name: snapshot.cluster.name, description: snapshot.cluster.description },
    snapshot.directors.map((d) => ({ id: d.id, hostId: d.hostId, priority: d.priority, vipInterface: d.vipInterface })),
    services,
  );
}

// --- reads ------------------------------------------------------------------------------

function summaries(rows: repo.RevisionRow[], deployments: repo.DeploymentRow[]): RevisionSummary[] {
  return rows.map((r) => ({
    id: r.id,
    clusterId: r.clusterId,
    number: r.number,
    kind: r.kind,
    rolledBackToNumber: r.rolledBackToNumber,
    note: r.note,
    createdByName: r.createdByName,
    createdAt: r.createdAt,
    deployments: deployments
      .filter((d) => d.revisionId === r.id)
      .map((d) => ({ hostId: d.hostId, hostName: d.hostName, generation: d.generation, status: d.status, error: d.error, createdAt: d.createdAt, finishedAt: d.finishedAt })),
  }));
}

export async function listRevisions(db: Database, clusterId: string): Promise<RevisionSummary[]> {
  return read(db, async (q) => {
    const rows = await repo.listRevisionRows(q, clusterId);
    if (rows.length === 0 && !(await repo.loadClusterSnapshot(q, clusterId))) throw notFound("Cluster");
    return summaries(rows, await repo.deploymentsOfRevisions(q, rows.map((r) => r.id)));
  });
}

async function getRevisionSummary(db: Database, clusterId: string, number: number): Promise<RevisionSummary> {
  return (await getRevision(db, clusterId, number)) as RevisionSummary;
}

export async function getRevision(db: Database, clusterId: string, number: number): Promise<RevisionDetail> {
  return read(db, async (q) => {
    const row = await repo.findRevision(q, clusterId, number);
    if (!row) throw notFound("Revision");
    const deployments = await repo.deploymentsOfRevisions(q, [row.id]);
    const [summary] = summaries([row], deployments);
    return {
      ...summary,
      snapshot: repo.parseSnapshot(row.snapshot),
      results: deployments.map((d) => ({
        hostId: d.hostId,
        results: d.results ? OpResultLineSchema.array().catch([]).parse(JSON.parse(d.results)) : [],
      })),
    };
  });
}

export async function clusterStatus(db: Database, clusterId: string): Promise<ClusterRevisionStatus> {
  const gateway = getAgentGateway();
  // one snapshot: a report updates the deployment and the host together, and
  // the status must never show "applied" beside the generation from before it
  return snapshotRead(db, async (q) => {
    const draft = await loadDraft(q, clusterId);
    const applied = await repo.latestRevision(q, clusterId);
    const appliedSnapshot = applied ? repo.parseSnapshot(applied.snapshot) : null;
    const changeCount = modelDiff(appliedSnapshot, draft).length;
    const draftChanged = applied ? applied.draftHash !== draftHash(draft) : changeCount > 0;
    const involved = hostsOfSnapshot(appliedSnapshot);
    for (const [id, entry] of hostsOfSnapshot(draft)) {
      const known = involved.get(id);
      involved.set(id, { name: entry.name, roles: new Set([...(known?.roles ?? []), ...entry.roles]) });
    }
    const ids = [...involved.keys()];
    const agents = await hostAgentStatus(q, ids);
    const deployments = await repo.latestDeployments(q, ids);
    const hosts = ids
      .filter((id) => agents.has(id))
      .map((id) => {
        const a = agents.get(id)!;
        const d = deployments.get(id);
        return {
          id,
          name: a.name,
          roles: [...involved.get(id)!.roles].sort() as ("director" | "realServer")[],
          enrolled: a.enrolled,
          online: gateway.isOnline(id),
          lastSeenAt: a.lastSeenAt,
          generation: a.desiredGeneration,
          appliedGeneration: a.appliedGeneration,
          status: d?.status ?? null,
          error: d?.error ?? null,
          driftCount: a.driftCount,
          drift: a.drift,
          driftCheckedAt: a.driftCheckedAt,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      clusterId,
      appliedNumber: applied?.number ?? null,
      draftChanged,
      changeCount,
      hosts,
      // offline hosts stay pending until their agent connects; they do not keep the progress view open
      settled: hosts.every((h) => !h.online || (h.status !== "pending" && h.status !== "applying")),
    };
  });
}

export { ServiceError };
