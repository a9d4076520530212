/**
 * Health reports from directors (issue #6), handed over by the agent gateway
 * after HealthReportSchema validated them:
 *   1. map (service key, destination key) → VirtualService / RealServer ids
 *      through what the director runs — its applied deployment and the
 *      revision snapshots it was compiled from (the stats pipeline's mapping,
 *      server/stats/source.ts + mapping.ts, cached here per host generation);
 *   2. update the current view (server/health/store.ts);
 *   3. write a HealthEvent only when a real server's status changes on that
 *      director (after a panel restart the first report is compared with the
 *      newest stored event, so a restart writes no duplicate);
 *   4. emit a HealthLiveFrame to the cluster's (and service's) /live room.
 * Entries whose keys the director's deployment does not know (a destination
 * added since) are skipped until the mapping knows them.
 */
import type { Database } from "@/server/db";
import { getLiveHub } from "@/server/live/hub";
import { read, transaction } from "@/server/repositories/db";
import * as repo from "@/server/repositories/health";
import { databaseMappingSource } from "@/server/stats/source";
import type { HostMapping } from "@/server/stats/mapping";
import type { HealthReport, HealthEntry } from "@/shared/agent-protocol";
import type { RealServerHealthView } from "@/shared/cluster";
import { LiveEvents, type HealthLiveFrame } from "@/shared/live";
import { getHealthStore, type HealthStore } from "./store";

export interface HealthIngestResult {
  mapped: number;
  unmapped: number;
  /** HealthEvent rows written */
  events: number;
}

interface CachedMapping {
  generation: number;
  mapping: HostMapping | null;
}

/** Per-database mapping cache (host → mapping of its applied generation). */
const caches = new WeakMap<Database, { source: ReturnType<typeof databaseMappingSource>; byHost: Map<string, CachedMapping> }>();

async function hostMapping(db: Database, hostId: string): Promise<HostMapping | null> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = { source: databaseMappingSource(db), byHost: new Map() }));
  const generation = await cache.source.appliedGeneration(hostId);
  if (generation === null) return null;
  const cached = cache.byHost.get(hostId);
  if (cached && cached.generation === generation) return cached.mapping;
  const mapping = await cache.source.load(hostId, generation);
  cache.byHost.set(hostId, { generation, mapping });
  return mapping;
}

/** Forget cached mappings (tests that rewrite deployments). */
export function forgetHealthMappings(db: Database): void {
  caches.delete(db);
}

function toView(entry: HealthEntry, ids: { realServerId: string; virtualServiceId: string }, host: { hostId: string; hostName: string }): RealServerHealthView {
  return {
    realServerId: ids.realServerId,
    virtualServiceId: ids.virtualServiceId,
    hostId: host.hostId,
    hostName: host.hostName,
    status: entry.status,
    since: entry.since,
    lastCheckAt: entry.lastCheckAt,
    latencyMs: entry.latencyMs,
    reason: entry.reason,
    action: entry.action,
  };
}

export async function ingestHealthReport(
  db: Database,
  host: { hostId: string; hostName: string },
  report: HealthReport,
  store: HealthStore = getHealthStore(),
): Promise<HealthIngestResult> {
  const mapping = await hostMapping(db, host.hostId);
  const at = report.at;
  const result: HealthIngestResult = { mapped: 0, unmapped: 0, events: 0 };
  const mappedEntries: { entry: HealthEntry; clusterId: string; view: RealServerHealthView; serviceKey: string }[] = [];
  for (const entry of report.entries) {
    const service = mapping?.services.get(entry.service);
    const destination = service?.destinations.get(entry.destination);
    if (!service || !destination) {
      result.unmapped++;
      continue;
    }
    result.mapped++;
    mappedEntries.push({ entry, clusterId: service.clusterId, serviceKey: entry.service, view: toView(entry, { realServerId: destination.realServerId, virtualServiceId: service.serviceId }, host) });
  }

  // Status before this report: memory, else (first report since the panel started) the newest stored event.
  const unseen = mappedEntries.filter((m) => !store.get(m.clusterId, m.view.realServerId, host.hostId)).map((m) => m.view.realServerId);
  const stored = unseen.length > 0 ? await read(db, (q) => repo.latestHealthStatus(q, host.hostId, unseen)) : new Map<string, string>();

  const events: repo.HealthEventData[] = [];
  const changedByCluster = new Map<string, RealServerHealthView[]>();
  for (const m of mappedEntries) {
    const previous = store.get(m.clusterId, m.view.realServerId, host.hostId);
    const previousStatus = previous?.status ?? stored.get(m.view.realServerId) ?? "unknown";
    if (previousStatus !== m.view.status) {
      events.push({
        at: new Date(m.entry.since),
        hostId: host.hostId,
        clusterId: m.clusterId,
        virtualServiceId: m.view.virtualServiceId,
        realServerId: m.view.realServerId,
        serviceKey: m.serviceKey,
        destination: m.entry.destination,
        status: m.view.status,
        reason: m.view.reason,
        latencyMs: m.view.latencyMs,
      });
    }
    const same =
      previous &&
      previous.status === m.view.status &&
      previous.lastCheckAt === m.view.lastCheckAt &&
      previous.reason === m.view.reason &&
      previous.action === m.view.action &&
      previous.latencyMs === m.view.latencyMs;
    store.set(m.clusterId, m.view);
    if (!same) {
      const list = changedByCluster.get(m.clusterId) ?? [];
      list.push(m.view);
      changedByCluster.set(m.clusterId, list);
    }
  }
  if (events.length > 0) {
    await transaction(db, (tx) => repo.appendHealthEvents(tx, events));
    result.events = events.length;
  }

  // Sorry servers in the kernel, by cluster (service keys → ids).
  const sorryByCluster = new Map<string, Set<string>>();
  for (const key of report.sorryActive ?? []) {
    const service = mapping?.services.get(key);
    if (!service) continue;
    const set = sorryByCluster.get(service.clusterId) ?? new Set<string>();
    set.add(service.serviceId);
    sorryByCluster.set(service.clusterId, set);
  }
  const clusters = new Set<string>([...changedByCluster.keys(), ...sorryByCluster.keys(), ...store.clustersOf(host.hostId)]);
  for (const m of mappedEntries) clusters.add(m.clusterId);
  for (const clusterId of clusters) {
    store.reported(clusterId, host.hostId, host.hostName, at);
    store.setSorry(clusterId, host.hostId, sorryByCluster.get(clusterId) ?? new Set());
    if (report.full) {
      const keep = new Set(mappedEntries.filter((m) => m.clusterId === clusterId).map((m) => m.view.realServerId));
      store.retainOnly(clusterId, host.hostId, keep);
    }
  }

  const hub = getLiveHub();
  if (hub) {
    for (const clusterId of clusters) {
      const changed = changedByCluster.get(clusterId) ?? [];
      const frame: HealthLiveFrame = {
        clusterId,
        entries: changed.map((v) => ({
          realServerId: v.realServerId,
          virtualServiceId: v.virtualServiceId,
          status: v.status,
          since: v.since,
          lastCheckAt: v.lastCheckAt,
          latencyMs: v.latencyMs,
          reason: v.reason,
          action: v.action,
          hostName: v.hostName,
        })),
        sorryActive: store.sorryActive(clusterId),
      };
      if (frame.entries.length === 0 && !report.full && !sorryByCluster.has(clusterId)) continue;
      hub.emitToCluster(clusterId, LiveEvents.health, frame);
      const byService = new Map<string, HealthLiveFrame["entries"]>();
      for (const e of frame.entries) byService.set(e.virtualServiceId, [...(byService.get(e.virtualServiceId) ?? []), e]);
      for (const [serviceId, entries] of byService) hub.emitToService(serviceId, LiveEvents.health, { ...frame, entries });
    }
  }
  return result;
}
