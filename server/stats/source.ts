/**
 * Where the stats ingest learns what a director runs: the host's applied
 * generation, its HostDeployment (the deployed desired state) and the revision
 * snapshots it was compiled from (server/stats/mapping.ts). Parsed snapshots
 * are shared between the directors of a cluster.
 */
import type { Database } from "@/server/db";
import { read } from "@/server/repositories/db";
import { parseSnapshot } from "@/server/repositories/revisions";
import * as repo from "@/server/repositories/stats";
import type { ClusterSnapshot } from "@/shared/revisions";
import type { MappingSource } from "./ingest";
import { buildHostMapping, deployedKeys } from "./mapping";

const SNAPSHOT_CACHE = 500;

export function databaseMappingSource(db: Database): MappingSource {
  const snapshots = new Map<string, ClusterSnapshot>();
  const snapshotOf = (r: { id: string; snapshot: string }) => {
    let s = snapshots.get(r.id);
    if (!s) {
      s = parseSnapshot(r.snapshot);
      if (snapshots.size >= SNAPSHOT_CACHE) snapshots.delete(snapshots.keys().next().value!);
      snapshots.set(r.id, s);
    }
    return s;
  };
  return {
    async appliedGeneration(hostId) {
      return (await read(db, (q) => repo.hostStatsInfo(q, [hostId]))).get(hostId)?.appliedGeneration ?? null;
    },
    async load(hostId, generation) {
      return read(db, async (q) => {
        const d = await repo.deploymentSource(q, hostId, generation);
        if (!d) return null;
        const clusterIds = new Set([d.clusterId, ...(await repo.clusterIdsDirectedBy(q, hostId))]);
        const found: ClusterSnapshot[] = [];
        for (const clusterId of clusterIds) {
          const r = await repo.revisionAt(q, clusterId, d.createdAt);
          if (r) found.push(snapshotOf(r));
        }
        return buildHostMapping(hostId, generation, deployedKeys(d.desiredState), found);
      });
    },
  };
}
