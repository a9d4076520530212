/** Clusters and their directors. */
import type { Database } from "@/server/db";
import { hostsOfSnapshot } from "@/server/compile/model-diff";
import * as clusters from "@/server/repositories/clusters";
import { latestRevision, parseSnapshot } from "@/server/repositories/revisions";
import { read, transaction } from "@/server/repositories/db";
import { deleteDrainsExcept } from "@/server/repositories/health";
import { findHostRef } from "@/server/repositories/hosts";
import type {
  ClusterDetail,
  ClusterSummary,
  Director,
  clusterCreateInput,
  clusterUpdateInput,
  directorAddInput,
  directorUpdateInput,
} from "@/shared/cluster";
import type { z } from "zod";
import type { ServiceContext } from "./actor";
import { recordAudit, snapshot } from "./audit";
import { conflict, invalid, notFound } from "./errors";

export function listClusters(db: Database): Promise<ClusterSummary[]> {
  return read(db, (q) => clusters.listClusters(q));
}

export async function getCluster(db: Database, id: string): Promise<ClusterDetail> {
  const cluster = await read(db, (q) => clusters.getClusterDetail(q, id));
  if (!cluster) throw notFound("Cluster");
  return cluster;
}

function clusterSnapshot(c: ClusterDetail) {
  return { id: c.id, name: c.name, description: c.description };
}

export async function createCluster(ctx: ServiceContext, input: z.output<typeof clusterCreateInput>): Promise<ClusterDetail> {
  return transaction(ctx.db, async (tx) => {
    if (await clusters.findClusterByName(tx, input.name)) {
      throw conflict("name", `A cluster named ${input.name} already exists`);
    }
    const id = await clusters.createCluster(tx, input);
    const created = (await clusters.getClusterDetail(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "cluster.create",
      entityType: "cluster",
      entityId: id,
      clusterId: id,
      clusterName: created.name,
      summary: `Created cluster ${created.name}`,
      after: clusterSnapshot(created),
    });
    return created;
  });
}

export async function updateCluster(ctx: ServiceContext, input: z.output<typeof clusterUpdateInput>): Promise<ClusterDetail> {
  return transaction(ctx.db, async (tx) => {
    const before = await clusters.getClusterDetail(tx, input.id);
    if (!before) throw notFound("Cluster");
    const next = { name: input.name ?? before.name, description: input.description ?? before.description };
    if (next.name !== before.name) {
      const clash = await clusters.findClusterByName(tx, next.name);
      if (clash && clash.id !== before.id) throw conflict("name", `A cluster named ${next.name} already exists`);
    }
    await clusters.updateCluster(tx, input.id, next);
    const after = (await clusters.getClusterDetail(tx, input.id))!;
    await recordAudit(tx, ctx.actor, {
      action: "cluster.update",
      entityType: "cluster",
      entityId: after.id,
      clusterId: after.id,
      clusterName: after.name,
      summary: before.name === after.name ? `Updated cluster ${after.name}` : `Renamed cluster ${before.name} to ${after.name}`,
      before: clusterSnapshot(before),
      after: clusterSnapshot(after),
    });
    return after;
  });
}

export async function deleteCluster(ctx: ServiceContext, id: string): Promise<void> {
  await transaction(ctx.db, async (tx) => {
    const before = await clusters.getClusterDetail(tx, id);
    if (!before) throw notFound("Cluster");
    // Deleting an applied cluster would leave its services on the hosts with nothing to remove them.
    const applied = await latestRevision(tx, id);
    const appliedHosts = applied ? [...hostsOfSnapshot(parseSnapshot(applied.snapshot)).values()].map((h) => h.name) : [];
    if (applied && appliedHosts.length > 0) {
      throw conflict(
        null,
        `${before.name} is applied (revision #${applied.number}) on ${appliedHosts.sort().join(", ")}; remove its directors and real-server hosts and apply, then delete it`,
      );
    }
    await clusters.deleteCluster(tx, id);
    await deleteDrainsExcept(tx, id, []);
    await recordAudit(tx, ctx.actor, {
      action: "cluster.delete",
      entityType: "cluster",
      entityId: id,
      clusterId: id,
      clusterName: before.name,
      summary: `Deleted cluster ${before.name} with ${before.serviceCount} virtual services, ${before.realServerCount} real servers and ${before.directorCount} directors`,
      before: {
        ...clusterSnapshot(before),
        serviceCount: before.serviceCount,
        realServerCount: before.realServerCount,
        directors: before.directors.map((d) => ({ host: d.host.name, priority: d.priority })),
      },
    });
  });
}

// --- directors -------------------------------------------------------------------

function directorSnapshot(d: Director) {
  return { id: d.id, clusterId: d.clusterId, hostId: d.hostId, host: d.host.name, priority: d.priority, vipInterface: d.vipInterface };
}

export async function addDirector(ctx: ServiceContext, input: z.output<typeof directorAddInput>): Promise<Director> {
  return transaction(ctx.db, async (tx) => {
    const cluster = await clusters.findCluster(tx, input.clusterId);
    if (!cluster) throw notFound("Cluster");
    const host = await findHostRef(tx, input.hostId);
    if (!host) throw invalid({ hostId: ["Unknown host"] });
    if (await clusters.findDirectorByHost(tx, input.clusterId, input.hostId)) {
      throw conflict("hostId", `${host.name} already directs ${cluster.name}`);
    }
    const id = await clusters.addDirector(tx, input);
    const director = (await clusters.findDirector(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "director.add",
      entityType: "director",
      entityId: id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Added ${host.name} as a director of ${cluster.name} (priority ${input.priority}, VIPs on ${input.vipInterface})`,
      after: directorSnapshot(director),
    });
    return director;
  });
}

export async function updateDirector(ctx: ServiceContext, input: z.output<typeof directorUpdateInput>): Promise<Director> {
  return transaction(ctx.db, async (tx) => {
    const before = await clusters.findDirector(tx, input.id);
    if (!before) throw notFound("Director");
    const cluster = (await clusters.findCluster(tx, before.clusterId))!;
    await clusters.updateDirector(tx, input.id, {
      priority: input.priority ?? before.priority,
      vipInterface: input.vipInterface ?? before.vipInterface,
    });
    const after = (await clusters.findDirector(tx, input.id))!;
    const changes = [
      before.priority !== after.priority ? `priority ${before.priority} → ${after.priority}` : null,
      before.vipInterface !== after.vipInterface ? `VIP interface ${before.vipInterface} → ${after.vipInterface}` : null,
    ].filter(Boolean);
    await recordAudit(tx, ctx.actor, {
      action: "director.update",
      entityType: "director",
      entityId: input.id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Director ${before.host.name} of ${cluster.name}: ${changes.join(", ") || "no changes"}`,
      before: directorSnapshot(before),
      after: directorSnapshot(after),
    });
    return after;
  });
}

export async function removeDirector(ctx: ServiceContext, id: string): Promise<void> {
  await transaction(ctx.db, async (tx) => {
    const before = await clusters.findDirector(tx, id);
    if (!before) throw notFound("Director");
    const cluster = (await clusters.findCluster(tx, before.clusterId))!;
    await clusters.removeDirector(tx, id);
    await recordAudit(tx, ctx.actor, {
      action: "director.remove",
      entityType: "director",
      entityId: id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Removed ${before.host.name} from the directors of ${cluster.name}`,
      before: directorSnapshot(before),
    });
  });
}

