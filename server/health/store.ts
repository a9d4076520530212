/**
 * Current health per cluster, in memory (issue #6): what each director last
 * reported about each real server, the sorry servers in the kernel, and which
 * directors report. Registered on `globalThis` (`__lvsHealthStore`) like
 * getAgentGateway(): the gateway (server/main.ts under tsx) writes it and the
 * tRPC procedures (inside Next's bundle) read it — module singletons are not
 * shared between the two. History lives in the database (HealthEvent rows,
 * written on transitions only); after a panel restart the current view fills
 * again with the agents' next full report (on connect and every 60 s).
 */
import type { RealServerHealthView } from "@/shared/cluster";

interface ClusterHealthState {
  /** `${realServerId}|${hostId}` → view */
  entries: Map<string, RealServerHealthView>;
  /** hostId → service ids whose sorry server that director has in the kernel */
  sorry: Map<string, Set<string>>;
  /** hostId → name and time of its last report */
  reporting: Map<string, { hostName: string; at: string }>;
}

export class HealthStore {
  constructor(private readonly clusters: Map<string, ClusterHealthState> = new Map()) {}

  private cluster(clusterId: string): ClusterHealthState {
    let c = this.clusters.get(clusterId);
    if (!c) this.clusters.set(clusterId, (c = { entries: new Map(), sorry: new Map(), reporting: new Map() }));
    return c;
  }

  get(clusterId: string, realServerId: string, hostId: string): RealServerHealthView | undefined {
    return this.clusters.get(clusterId)?.entries.get(`${realServerId}|${hostId}`);
  }

  set(clusterId: string, view: RealServerHealthView): void {
    this.cluster(clusterId).entries.set(`${view.realServerId}|${view.hostId}`, view);
  }

  /** Forgets what `hostId` said about real servers it no longer checks (a full report without them). */
  retainOnly(clusterId: string, hostId: string, keep: Set<string>): RealServerHealthView[] {
    const c = this.clusters.get(clusterId);
    if (!c) return [];
    const dropped: RealServerHealthView[] = [];
    for (const [key, view] of c.entries) {
      if (view.hostId === hostId && !keep.has(view.realServerId)) {
        c.entries.delete(key);
        dropped.push(view);
      }
    }
    return dropped;
  }

  setSorry(clusterId: string, hostId: string, serviceIds: Set<string>): void {
    this.cluster(clusterId).sorry.set(hostId, serviceIds);
  }

  reported(clusterId: string, hostId: string, hostName: string, at: string): void {
    this.cluster(clusterId).reporting.set(hostId, { hostName, at });
  }

  /** Clusters `hostId` has reported about (to clear its sorry state when a report lists none). */
  clustersOf(hostId: string): string[] {
    return [...this.clusters.entries()].filter(([, c]) => c.reporting.has(hostId)).map(([id]) => id);
  }

  /** Services whose sorry server any director has in the kernel now. */
  sorryActive(clusterId: string): string[] {
    const sorry = new Set<string>();
    for (const ids of this.clusters.get(clusterId)?.sorry.values() ?? []) for (const id of ids) sorry.add(id);
    return [...sorry].sort();
  }

  view(clusterId: string): { entries: RealServerHealthView[]; sorryActive: string[]; reportingHosts: { hostId: string; hostName: string; at: string }[] } {
    const c = this.clusters.get(clusterId);
    if (!c) return { entries: [], sorryActive: [], reportingHosts: [] };
    return {
      entries: [...c.entries.values()].sort((a, b) => (a.realServerId + a.hostName < b.realServerId + b.hostName ? -1 : 1)),
      sorryActive: this.sorryActive(clusterId),
      reportingHosts: [...c.reporting.entries()].map(([hostId, r]) => ({ hostId, ...r })).sort((a, b) => a.hostName.localeCompare(b.hostName)),
    };
  }

  clear(): void {
    this.clusters.clear();
  }
}

/*
 * Only the DATA is shared on globalThis: the gateway side (tsx) and the tRPC
 * side (Next's bundle) each wrap it with their own copy of this class, so a
 * method never depends on which side created the store first.
 */
const registry = globalThis as unknown as { __lvsHealthState?: Map<string, ClusterHealthState> };

/** The process's health store (shared by the gateway and tRPC through globalThis). */
export function getHealthStore(): HealthStore {
  return new HealthStore((registry.__lvsHealthState ??= new Map()));
}
