/**
 * The panel's stats pipeline (issue #5): agents' StatsFrames → per-host state
 * → per-second rings per virtual service, real server and cluster (summed over
 * the cluster's directors) → 1-minute rollups in the database.
 *
 * Frames (shared/agent-protocol StatsFrame): full = everything the agent
 * samples (absent entries are gone); compact = only changed entries, an absent
 * entry is unchanged with zero rates; `gone` lists removals. Keys are mapped to
 * VirtualService / RealServer ids through the host's CURRENT applied deployment
 * (server/stats/mapping.ts), cached per (host, generation) and re-checked every
 * MAPPING_CHECK_MS or soon after an unknown key shows up.
 *
 * Ring slot of a second = Σ over the entity's directors of each director's
 * latest values (rates of entries its latest frame listed, else 0; active and
 * inactive as last reported); directors silent for longer than STALE_MS count
 * as absent. Writing the sum (not adding a delta) makes a second written twice
 * (two directors, or two frames of one) idempotent.
 *
 * Rollups: counter increases (exact from consecutive cumulative counters, see
 * rollup.ts) accumulate per (entity, minute of the sample); gauges come from
 * the ring's seconds of that minute. Once a minute is ROLLUP_GRACE_MS old its
 * rows are written (writeRollups: chunks of ROLLUP_CHUNK rows, yielding to the
 * event loop between them); a late increase for a written minute goes into
 * the oldest open minute.
 *
 * Several panel processes: every process applies every frame (the live hub
 * forwards frames between processes), so rings, rollups and /metrics agree
 * wherever an agent is connected; rollup rows are written once (duplicates skipped).
 */
import type { StatsEntry, StatsFrame } from "@/shared/agent-protocol";
import type { LiveEntry, Rates, StatsPoint } from "@/shared/live";
import type { HostMapping } from "./mapping";
import { METRICS, M_ACTIVE, M_INACTIVE, RING_BYTES, RING_SECONDS, SeriesRing } from "./ring";
import { increases, minuteOf } from "./rollup";
import type { RollupRow } from "@/server/repositories/stats";
import type { StatsIngest } from "./registry";

export const MAPPING_CHECK_MS = 10_000;
export const UNKNOWN_KEY_RECHECK_MS = 2_000;
/** A director silent for this long (or 3 intervals, if longer) stops counting. */
export const STALE_MS = 5_000;
export const ROLLUP_GRACE_MS = 5_000;

export interface MappingSource {
  /** The host's applied generation now (cheap). */
  appliedGeneration(hostId: string): Promise<number | null>;
  /** The mapping of that generation (null: no such deployment). */
  load(hostId: string, generation: number): Promise<HostMapping | null>;
}

export interface IngestOptions {
  mappings: MappingSource;
  /** writes one minute's (or several minutes') rollup rows; should yield to the event loop between chunks */
  writeRollups?: (rows: RollupRow[]) => Promise<void>;
  now?: () => number;
  log?: (line: string) => void;
}

export interface FrameListener {
  /** after a frame was applied: the clusters and services whose rings got a new second */
  applied(hostId: string, clusterIds: Iterable<string>, serviceIds: Iterable<string>): void;
}

interface Entry {
  c: Float64Array;
  r: Float64Array | null;
  a: number;
  i: number;
  /** host tick of the frame that last listed the entry */
  tick: number;
}
interface ServiceEntry extends Entry {
  d: Map<string, Entry>;
}

class HostState {
  tick = 0;
  /** agent clock, ms, of the latest frame */
  lastAt = 0;
  /** panel clock, ms, when the latest frame arrived */
  receivedAt = 0;
  intervalMs = 1000;
  connected = true;
  services = new Map<string, ServiceEntry>();
  totals: { c: number[]; r: number[] | null } | null = null;
  mapping: HostMapping | null = null;
  mappingCheckedAt = 0;
  mappingLoading = false;
  unknownKeys = false;
  /** serviceId → key, realServerId → [service key, destination key] */
  byService = new Map<string, string>();
  byRealServer = new Map<string, [string, string]>();
  /** service key → its series and accumulators (resolved once per mapping: no lookups by id per frame) */
  bindings = new Map<string, ServiceBinding>();
  constructor(readonly hostId: string) {}
}

interface DestBinding {
  rs: RealServerSeries;
  acc: Accumulator;
}
interface ServiceBinding {
  key: string;
  s: ServiceSeries;
  acc: Accumulator;
  dests: Map<string, DestBinding>;
}

interface SeriesBase {
  id: string;
  clusterId: string;
  ring: SeriesRing;
  hosts: Set<string>;
  label: string;
}
interface ServiceSeries extends SeriesBase {
  clusterName: string;
  realServers: Set<string>;
  /** agent clock ms of the newest sample */
  newestAt: number;
}
interface RealServerSeries extends SeriesBase {
  serviceId: string;
}
interface ClusterSeries {
  id: string;
  name: string;
  ring: SeriesRing;
  services: Set<string>;
  newestAt: number;
}

interface Accumulator {
  clusterId: string;
  serviceId: string;
  subject: string;
  minutes: Map<number, Float64Array>;
}

const ZERO_RATES: Rates = { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 };

function toEntry(values: ArrayLike<number> | null): LiveEntry {
  if (!values) return { rates: { ...ZERO_RATES }, active: 0, inactive: 0 };
  return {
    rates: { conns: values[0], inpkts: values[1], outpkts: values[2], inbytes: values[3], outbytes: values[4] },
    active: Math.round(values[M_ACTIVE]),
    inactive: Math.round(values[M_INACTIVE]),
  };
}

export interface PrometheusSample {
  cluster: string;
  service: string;
  /** null = the service itself */
  realServer: string | null;
  /** cumulative counters summed over the directors: conns, inpkts, outpkts, inbytes, outbytes */
  counters: number[];
  active: number;
  inactive: number;
}

export class StatsIngestService implements StatsIngest {
  private readonly hosts = new Map<string, HostState>();
  private readonly services = new Map<string, ServiceSeries>();
  private readonly realServers = new Map<string, RealServerSeries>();
  private readonly clusters = new Map<string, ClusterSeries>();
  private readonly accumulators = new Map<string, Accumulator>();
  private readonly listeners = new Set<FrameListener>();
  /** minutes before this one (ms) are written */
  private flushedUpTo: number;
  private flushing: Promise<void> | null = null;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  /** frames from this process's agents are also handed here (forwarding to other panel processes) */
  onLocalFrame: ((hostId: string, frame: StatsFrame) => void) | null = null;
  private readonly scratch = new Float64Array(METRICS);
  private readonly inc = new Float64Array(5);

  constructor(private readonly options: IngestOptions) {
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((line) => console.log(line));
    this.flushedUpTo = minuteOf(this.now());
  }

  addListener(listener: FrameListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // --- input -------------------------------------------------------------------------

  /** A frame from an agent connected to this process. */
  ingest(hostId: string, frame: StatsFrame): void {
    this.apply(hostId, frame);
    this.onLocalFrame?.(hostId, frame);
  }

  /** A frame another panel process received (already applied there). */
  ingestForwarded(hostId: string, frame: StatsFrame): void {
    this.apply(hostId, frame);
  }

  /** frames' agents that disconnected from this process are also handed here */
  onLocalDisconnect: ((hostId: string) => void) | null = null;

  /** The agent of `hostId` disconnected from this process. */
  hostDisconnected(hostId: string): void {
    this.markDisconnected(hostId);
    this.onLocalDisconnect?.(hostId);
  }

  /** An agent left (this or another panel process): its rates and gauges stop counting. */
  markDisconnected(hostId: string): void {
    const h = this.hosts.get(hostId);
    if (h) h.connected = false;
  }

  private apply(hostId: string, frame: StatsFrame): void {
    try {
      this.applyFrame(hostId, frame);
    } catch (error) {
      this.log(`stats: dropped a frame of host ${hostId}: ${(error as Error).message}`);
    }
  }

  private applyFrame(hostId: string, frame: StatsFrame): void {
    let host = this.hosts.get(hostId);
    if (!host) this.hosts.set(hostId, (host = new HostState(hostId)));
    const now = this.now();
    const gapMs = host.lastAt > 0 ? frame.at - host.lastAt : Number.POSITIVE_INFINITY;
    if (gapMs < 0 && !frame.full) return; // an older frame than one already applied
    host.tick++;
    host.lastAt = frame.at;
    host.receivedAt = now;
    host.intervalMs = frame.intervalMs;
    host.connected = true;
    host.totals = frame.totals ? { c: [...frame.totals.c], r: frame.totals.r ? [...frame.totals.r] : null } : null;
    const mapping = host.mapping;
    const minute = Math.max(minuteOf(frame.at), this.flushedUpTo);
    const tick = host.tick;

    const inc = this.inc;
    const update = (previous: Entry | undefined, e: StatsEntry, acc: Accumulator | null): Entry => {
      if (acc !== null) {
        increases(previous ? previous.c : null, e.c, e.r, gapMs, frame.intervalMs, inc);
        if (inc[0] + inc[1] + inc[2] + inc[3] + inc[4] > 0) addTo(acc, minute, inc);
      }
      const entry = previous ?? { c: new Float64Array(5), r: null, a: 0, i: 0, tick };
      entry.c.set(e.c);
      if (e.r) {
        if (!entry.r) entry.r = new Float64Array(5);
        entry.r.set(e.r);
      } else entry.r = null;
      entry.a = e.a;
      entry.i = e.i;
      entry.tick = tick;
      return entry;
    };

    const next = frame.full ? new Map<string, ServiceEntry>() : host.services;
    for (const fs of frame.services) {
      const b = host.bindings.get(fs.k);
      if (!b && mapping) host.unknownKeys = true;
      const previous = host.services.get(fs.k);
      const se = update(previous, fs, b?.acc ?? null) as ServiceEntry;
      const full = !previous || frame.full;
      const oldD = previous?.d ?? new Map<string, Entry>();
      if (full) se.d = frame.full ? new Map() : oldD;
      for (const fd of fs.d) {
        const db = b?.dests.get(fd.k);
        if (b && !db) host.unknownKeys = true;
        se.d.set(fd.k, update((full ? oldD : se.d).get(fd.k), fd, db?.acc ?? null));
      }
      if (!full) for (const k of fs.gone ?? []) se.d.delete(k);
      next.set(fs.k, se);
    }
    if (!frame.full) for (const k of frame.gone ?? []) next.delete(k);
    host.services = next;

    if (mapping) this.writeSeconds(host, Math.floor(frame.at / 1000), frame.at);
    this.maybeRefreshMapping(host, now);
  }

  private accFor(clusterId: string, serviceId: string, subject: string): Accumulator {
    const key = `${serviceId}|${subject}`;
    let acc = this.accumulators.get(key);
    if (!acc) this.accumulators.set(key, (acc = { clusterId, serviceId, subject, minutes: new Map() }));
    return acc;
  }

  private fresh(h: HostState, now: number): boolean {
    return h.connected && now - h.receivedAt <= Math.max(STALE_MS, 3 * h.intervalMs);
  }

  /** Adds a director's latest values of one entry to `out` (rates only if its latest frame listed the entry). */
  private static add(h: HostState, e: Entry | undefined, out: Float64Array) {
    if (!e) return;
    const r = e.r;
    if (e.tick === h.tick && r) {
      out[0] += r[0];
      out[1] += r[1];
      out[2] += r[2];
      out[3] += r[3];
      out[4] += r[4];
    }
    out[M_ACTIVE] += e.a;
    out[M_INACTIVE] += e.i;
  }

  private writeSeconds(host: HostState, second: number, at: number) {
    const now = this.now();
    const touchedClusters = new Map<string, Float64Array>();
    /** services of each touched cluster this director carries */
    const carried = new Map<string, number>();
    const touchedServices: string[] = [];
    const values = this.scratch;
    // the fresh directors of a service and their entries, gathered once per service
    const hs: HostState[] = [];
    const ses: (ServiceEntry | undefined)[] = [];
    for (const b of host.bindings.values()) {
      const s = b.s;
      hs.length = 0;
      ses.length = 0;
      if (s.hosts.size === 1) {
        hs.push(host);
        ses.push(host.services.get(b.key));
      } else {
        for (const hostId of s.hosts) {
          const h = hostId === host.hostId ? host : this.hosts.get(hostId);
          if (!h || !this.fresh(h, now)) continue;
          const bh = h.bindings.get(b.key);
          hs.push(h);
          ses.push(h.services.get(bh ? bh.key : b.key));
        }
      }
      values.fill(0);
      for (let n = 0; n < hs.length; n++) StatsIngestService.add(hs[n], ses[n], values);
      s.ring.write(second, values);
      if (at > s.newestAt) s.newestAt = at;
      touchedServices.push(s.id);
      let total = touchedClusters.get(s.clusterId);
      if (!total) touchedClusters.set(s.clusterId, (total = new Float64Array(METRICS)));
      for (let m = 0; m < METRICS; m++) total[m] += values[m];
      carried.set(s.clusterId, (carried.get(s.clusterId) ?? 0) + 1);
      // a real server's destination key is the same on every director of the service
      for (const [dkey, d] of b.dests) {
        values.fill(0);
        for (let n = 0; n < hs.length; n++) StatsIngestService.add(hs[n], ses[n]?.d.get(dkey), values);
        d.rs.ring.write(second, values);
      }
    }
    for (const [clusterId, total] of touchedClusters) {
      const c = this.clusters.get(clusterId);
      if (!c) continue;
      // every service of the cluster, also those another director carries alone
      if (c.services.size > (carried.get(clusterId) ?? 0)) {
        total.fill(0);
        for (const sid of c.services) {
          const s = this.services.get(sid);
          if (s && s.ring.read(second, values)) for (let m = 0; m < METRICS; m++) total[m] += values[m];
        }
      }
      c.ring.write(second, total);
      if (at > c.newestAt) c.newestAt = at;
    }
    const clusterIds = [...touchedClusters.keys()];
    for (const l of this.listeners) l.applied(host.hostId, clusterIds, touchedServices);
  }

  // --- mapping -----------------------------------------------------------------------

  private maybeRefreshMapping(host: HostState, now: number) {
    if (host.mappingLoading) return;
    const due = now - host.mappingCheckedAt >= (host.unknownKeys || !host.mapping ? UNKNOWN_KEY_RECHECK_MS : MAPPING_CHECK_MS);
    if (!due) return;
    host.mappingLoading = true;
    host.mappingCheckedAt = now;
    void this.refreshMapping(host)
      .catch((error) => this.log(`stats: could not load the key mapping of host ${host.hostId}: ${(error as Error).message}`))
      .finally(() => {
        host.mappingLoading = false;
      });
  }

  /** Loads the host's mapping now (tests, and the first frame). */
  async refreshMapping(host: HostState | string): Promise<void> {
    const h = typeof host === "string" ? this.hosts.get(host) : host;
    if (!h) return;
    const generation = await this.options.mappings.appliedGeneration(h.hostId);
    if (generation === null) {
      if (h.mapping) this.setMapping(h, null);
      return;
    }
    if (h.mapping && h.mapping.generation === generation && !h.unknownKeys) return;
    if (h.mapping && h.mapping.generation === generation && h.unknownKeys) {
      // unknown keys under the same generation: the agent runs something the deployment does not name; re-check only on a new generation
      h.unknownKeys = false;
      return;
    }
    const mapping = await this.options.mappings.load(h.hostId, generation);
    this.setMapping(h, mapping);
  }

  private setMapping(h: HostState, mapping: HostMapping | null) {
    // detach from the previous mapping's series
    if (h.mapping) {
      for (const mapped of h.mapping.services.values()) {
        const s = this.services.get(mapped.serviceId);
        if (!s) continue;
        s.hosts.delete(h.hostId);
        for (const rsId of [...s.realServers]) {
          const rs = this.realServers.get(rsId)!;
          rs.hosts.delete(h.hostId);
          if (rs.hosts.size === 0) {
            this.realServers.delete(rsId);
            s.realServers.delete(rsId);
          }
        }
        if (s.hosts.size === 0) {
          this.services.delete(s.id);
          this.clusters.get(s.clusterId)?.services.delete(s.id);
          const c = this.clusters.get(s.clusterId);
          if (c && c.services.size === 0) this.clusters.delete(c.id);
        }
      }
    }
    h.mapping = mapping;
    h.unknownKeys = false;
    h.byService.clear();
    h.byRealServer.clear();
    h.bindings.clear();
    if (!mapping) return;
    for (const [key, mapped] of mapping.services) {
      h.byService.set(mapped.serviceId, key);
      let c = this.clusters.get(mapped.clusterId);
      if (!c) this.clusters.set(mapped.clusterId, (c = { id: mapped.clusterId, name: mapped.clusterName, ring: new SeriesRing(), services: new Set(), newestAt: 0 }));
      c.name = mapped.clusterName;
      let s = this.services.get(mapped.serviceId);
      if (!s) {
        s = { id: mapped.serviceId, clusterId: mapped.clusterId, clusterName: mapped.clusterName, label: mapped.label, ring: new SeriesRing(), hosts: new Set(), realServers: new Set(), newestAt: 0 };
        this.services.set(s.id, s);
      }
      s.label = mapped.label;
      s.hosts.add(h.hostId);
      c.services.add(s.id);
      const binding: ServiceBinding = { key, s, acc: this.accFor(mapped.clusterId, s.id, ""), dests: new Map() };
      h.bindings.set(key, binding);
      for (const [dkey, d] of mapped.destinations) {
        h.byRealServer.set(d.realServerId, [key, dkey]);
        let rs = this.realServers.get(d.realServerId);
        if (!rs) {
          rs = { id: d.realServerId, clusterId: mapped.clusterId, serviceId: mapped.serviceId, label: d.label, ring: new SeriesRing(), hosts: new Set() };
          this.realServers.set(rs.id, rs);
        }
        rs.label = d.label;
        rs.hosts.add(h.hostId);
        s.realServers.add(rs.id);
        binding.dests.set(dkey, { rs, acc: this.accFor(mapped.clusterId, s.id, rs.id) });
      }
    }
  }

  // --- rollups -----------------------------------------------------------------------

  /**
   * Rollup rows of every minute before `untilMinute` (ms) not written yet,
   * and marks them written. Pure over the ingest's state; flush() writes them.
   */
  collectRollups(untilMinute: number): RollupRow[] {
    const rows: RollupRow[] = [];
    // Minutes with ring samples lie inside the ring's window; older ones can only have counter increases.
    const minutes = new Set<number>();
    for (let m = Math.max(this.flushedUpTo, untilMinute - Math.ceil(RING_SECONDS / 60 + 1) * 60_000); m < untilMinute; m += 60_000) minutes.add(m);
    for (const acc of this.accumulators.values()) for (const m of acc.minutes.keys()) if (m < untilMinute) minutes.add(m);
    for (const m of [...minutes].sort((a, b) => a - b)) {
      const from = m / 1000;
      const to = from + 60;
      // every live series has an accumulator (created with its binding); orphans keep theirs until written
      for (const acc of this.accumulators.values()) {
        const series: SeriesBase | undefined = acc.subject === "" ? this.services.get(acc.serviceId) : this.realServers.get(acc.subject);
        const agg = series ? series.ring.aggregate(from, to) : null;
        const counters = acc.minutes.get(m);
        if ((!agg || agg.samples === 0) && !counters) continue;
        rows.push({
          clusterId: acc.clusterId,
          virtualServiceId: acc.serviceId,
          subject: acc.subject,
          bucket: new Date(m),
          samples: agg?.samples ?? 0,
          conns: counters?.[0] ?? 0,
          inpkts: counters?.[1] ?? 0,
          outpkts: counters?.[2] ?? 0,
          inbytes: counters?.[3] ?? 0,
          outbytes: counters?.[4] ?? 0,
          activeAvg: agg && agg.samples > 0 ? agg.mean[M_ACTIVE] : 0,
          activeMax: agg?.activeMax ?? 0,
          inactAvg: agg && agg.samples > 0 ? agg.mean[M_INACTIVE] : 0,
        });
      }
    }
    if (untilMinute > this.flushedUpTo) {
      for (const [key, acc] of this.accumulators) {
        for (const minute of acc.minutes.keys()) if (minute < untilMinute) acc.minutes.delete(minute);
        const live = acc.subject === "" ? this.services.has(acc.serviceId) : this.realServers.has(acc.subject);
        if (acc.minutes.size === 0 && !live) this.accumulators.delete(key);
      }
      this.flushedUpTo = untilMinute;
    }
    return rows;
  }

  /** Writes every minute that is ROLLUP_GRACE_MS past its end. */
  async flush(): Promise<number> {
    if (this.flushing) await this.flushing;
    const until = minuteOf(this.now() - ROLLUP_GRACE_MS);
    if (until <= this.flushedUpTo) return 0;
    const rows = this.collectRollups(until);
    if (rows.length === 0 || !this.options.writeRollups) return 0;
    const p = this.options.writeRollups(rows);
    this.flushing = p.catch((error) => this.log(`stats: writing ${rows.length} rollup rows failed: ${(error as Error).message}`)).then(() => undefined);
    await this.flushing;
    this.flushing = null;
    return rows.length;
  }

  /** Current partial minute of a series, as one point (the 1 h range's last point). */
  partialMinute(kind: "service" | "realServer", id: string): StatsPoint | null {
    const s = kind === "service" ? this.services.get(id) : this.realServers.get(id);
    if (!s) return null;
    const m = minuteOf(this.now());
    const agg = s.ring.aggregate(m / 1000, m / 1000 + 60);
    if (agg.samples === 0) return null;
    return { t: m, ...toEntryFloat(agg.mean) };
  }

  // --- reads -------------------------------------------------------------------------

  /** Latest second of a series (zeros when nothing fresh). */
  latest(kind: "service" | "realServer" | "cluster", id: string): LiveEntry {
    const s = kind === "service" ? this.services.get(id) : kind === "realServer" ? this.realServers.get(id) : this.clusters.get(id);
    if (!s || s.ring.newest < 0) return toEntry(null);
    if (this.now() / 1000 - s.ring.newest > STALE_MS / 1000 + 1) return toEntry(null);
    return s.ring.read(s.ring.newest, this.scratch) ? toEntry(this.scratch) : toEntry(null);
  }

  /**
   * Points of a series from `fromMs` (inclusive) to `toMs`, averaged over
   * `stepSeconds` (1 = every second). Steps without any sample are left out.
   */
  series(kind: "service" | "realServer" | "cluster", id: string, fromMs: number, toMs: number, stepSeconds: number): StatsPoint[] {
    const s = kind === "service" ? this.services.get(id) : kind === "realServer" ? this.realServers.get(id) : this.clusters.get(id);
    if (!s || s.ring.newest < 0) return [];
    const out: StatsPoint[] = [];
    const start = Math.floor(fromMs / 1000 / stepSeconds) * stepSeconds;
    const end = Math.floor(toMs / 1000);
    for (let t = start; t <= end; t += stepSeconds) {
      if (stepSeconds === 1) {
        if (s.ring.read(t, this.scratch)) out.push({ t: t * 1000, ...toEntryFloat(this.scratch) });
        continue;
      }
      const agg = s.ring.aggregate(t, t + stepSeconds);
      if (agg.samples > 0) out.push({ t: t * 1000, ...toEntryFloat(agg.mean) });
    }
    return out;
  }

  /** Newest sample time of a cluster or service (ms, agent clock); 0 = none. */
  newestAt(kind: "service" | "cluster", id: string): number {
    return (kind === "service" ? this.services.get(id)?.newestAt : this.clusters.get(id)?.newestAt) ?? 0;
  }

  /** Services and real servers the ingest holds for a cluster / service (ids). */
  servicesOf(clusterId: string): string[] {
    return [...(this.clusters.get(clusterId)?.services ?? [])];
  }
  realServersOf(serviceId: string): string[] {
    return [...(this.services.get(serviceId)?.realServers ?? [])];
  }

  /** Is a frame of this host recent (any panel process)? And when was the last one (panel clock)? */
  presence(hostId: string): { online: boolean; lastFrameAt: number | null } {
    const h = this.hosts.get(hostId);
    if (!h) return { online: false, lastFrameAt: null };
    return { online: this.fresh(h, this.now()), lastFrameAt: h.receivedAt };
  }

  /** Hosts that sent frames (for lvs_agent_up). */
  knownHosts(): string[] {
    return [...this.hosts.keys()];
  }

  /** Cumulative counters and gauges per service and real server, summed over fresh directors (for /metrics). */
  prometheusSamples(): PrometheusSample[] {
    const now = this.now();
    const out: PrometheusSample[] = [];
    const collect = (series: SeriesBase, resolve: (h: HostState) => Entry | undefined) => {
      const counters = [0, 0, 0, 0, 0];
      let active = 0;
      let inactive = 0;
      for (const hostId of series.hosts) {
        const h = this.hosts.get(hostId);
        if (!h || !this.fresh(h, now)) continue;
        const e = resolve(h);
        if (!e) continue;
        for (let k = 0; k < 5; k++) counters[k] += e.c[k];
        active += e.a;
        inactive += e.i;
      }
      return { counters, active, inactive };
    };
    for (const s of this.services.values()) {
      out.push({ cluster: s.clusterName, service: s.label, realServer: null, ...collect(s, (h) => h.services.get(h.byService.get(s.id) ?? "")) });
      for (const rsId of s.realServers) {
        const rs = this.realServers.get(rsId)!;
        out.push({
          cluster: s.clusterName,
          service: s.label,
          realServer: rs.label,
          ...collect(rs, (h) => {
            const k = h.byRealServer.get(rsId);
            return k ? h.services.get(k[0])?.d.get(k[1]) : undefined;
          }),
        });
      }
    }
    return out;
  }

  /** Memory held by the rings: bytes per ring, counts, total. */
  memory(): { ringBytes: number; services: number; realServers: number; clusters: number; hosts: number; totalRingBytes: number } {
    const rings = this.services.size + this.realServers.size + this.clusters.size;
    return { ringBytes: RING_BYTES, services: this.services.size, realServers: this.realServers.size, clusters: this.clusters.size, hosts: this.hosts.size, totalRingBytes: rings * RING_BYTES };
  }
}

function addTo(acc: Accumulator, minute: number, inc: Float64Array) {
  let m = acc.minutes.get(minute);
  if (!m) acc.minutes.set(minute, (m = new Float64Array(5)));
  for (let k = 0; k < 5; k++) m[k] += inc[k];
}

function toEntryFloat(values: ArrayLike<number>): Omit<StatsPoint, "t"> {
  return {
    rates: { conns: values[0], inpkts: values[1], outpkts: values[2], inbytes: values[3], outbytes: values[4] },
    active: values[M_ACTIVE],
    inactive: values[M_INACTIVE],
  };
}

export { RING_SECONDS };
