/**
 * Stats frames (shared/agent-protocol StatsFrame), pure: a sample of the
 * kernel's counters becomes a snapshot of the owned services, and a frame is
 * the difference between the snapshot the panel last acknowledged and the
 * current one.
 *
 * - full (first frame on a connection, then every 60 s): every owned service
 *   and destination; what a full frame leaves out is gone.
 * - delta: only entries whose counters or active/inactive connections differ
 *   from the acknowledged snapshot, or whose rates are non-zero or unknown
 *   (null) — an absent entry is "unchanged, zero rates"; services and destinations that were in
 *   the acknowledged snapshot and are no longer there are listed in `gone`.
 *   A service is listed when it or one of its destinations changed; its `d`
 *   then holds only the destinations that changed.
 * - rates: the sampler's per-second rates (never negative; null on the first
 *   sample of an entry), rounded to 4 significant digits.
 */
import type { StatsEntry, StatsFrame, StatsServiceEntry } from "../../../shared/agent-protocol";
import { COUNTER_NAMES, type EntryStats, type Rates, type StatsRates, type StatsSample } from "./stats";

export type Five = [number, number, number, number, number];

export interface EntrySnapshot {
  c: Five;
  r: Five | null;
  a: number;
  i: number;
}

export interface ServiceSnapshot extends EntrySnapshot {
  d: Map<string, EntrySnapshot>;
}

export interface StatsSnapshot {
  /** ms since the epoch, when the kernel was read */
  at: number;
  services: Map<string, ServiceSnapshot>;
  totals: { c: Five; r: Five | null } | null;
}

const round = (n: number): number => (n === 0 ? 0 : Number(n.toPrecision(4)));
const counters = (e: { conns: number; inpkts: number; outpkts: number; inbytes: number; outbytes: number }): Five => [e.conns, e.inpkts, e.outpkts, e.inbytes, e.outbytes];
const rates = (r: Rates | undefined | null): Five | null => (r ? (COUNTER_NAMES.map((n) => round(Math.max(0, r[n]))) as Five) : null);
const entry = (e: EntryStats, r: Rates | undefined | null): EntrySnapshot => ({ c: counters(e), r: rates(r), a: e.activeconns, i: e.inactconns });

/**
 * A sample (and the rates since the sampler's previous one) as a snapshot of
 * the services in `owned` (null = every service, for tests and tools).
 */
export function snapshotOf(at: number, sample: StatsSample, sampleRates: StatsRates | null, owned: ReadonlySet<string> | null): StatsSnapshot {
  const services = new Map<string, ServiceSnapshot>();
  for (const [key, s] of sample.services) {
    if (owned && !owned.has(key)) continue;
    const sr = sampleRates?.services.get(key);
    const d = new Map<string, EntrySnapshot>();
    for (const [dkey, dest] of s.destinations) d.set(dkey, entry(dest, sr?.destinations.get(dkey)));
    services.set(key, { ...entry(s, sr?.rates), d });
  }
  const totals = sample.totals ? { c: counters(sample.totals), r: rates(sampleRates?.totals) } : null;
  return { at, services, totals };
}

const sameFive = (a: Five, b: Five) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3] && a[4] === b[4];
const moving = (r: Five | null) => r !== null && (r[0] !== 0 || r[1] !== 0 || r[2] !== 0 || r[3] !== 0 || r[4] !== 0);

/** Does the entry need to be in a delta frame against `acked`? */
export function entryChanged(acked: EntrySnapshot | undefined, current: EntrySnapshot): boolean {
  if (!acked) return true;
  return current.r === null || !sameFive(acked.c, current.c) || acked.a !== current.a || acked.i !== current.i || moving(current.r);
}

const wire = (key: string, e: EntrySnapshot): StatsEntry => ({ k: key, c: e.c, r: e.r, a: e.a, i: e.i });

/**
 * The frame that brings a panel holding `acked` to `current`: full when
 * `acked` is null or `full` is asked for, otherwise only what changed.
 */
export function buildFrame(acked: StatsSnapshot | null, current: StatsSnapshot, options: { seq: number; intervalMs: number; full: boolean }): StatsFrame {
  const full = options.full || acked === null;
  const services: StatsServiceEntry[] = [];
  const gone: string[] = [];
  for (const [key, s] of current.services) {
    const before = full ? undefined : acked!.services.get(key);
    const d: StatsEntry[] = [];
    for (const [dkey, dest] of s.d) if (full || entryChanged(before?.d.get(dkey), dest)) d.push(wire(dkey, dest));
    const dgone = before ? [...before.d.keys()].filter((dkey) => !s.d.has(dkey)) : [];
    if (full || d.length > 0 || dgone.length > 0 || entryChanged(before, s)) {
      services.push({ ...wire(key, s), d, ...(dgone.length > 0 ? { gone: dgone } : {}) });
    }
  }
  if (!full) for (const key of acked!.services.keys()) if (!current.services.has(key)) gone.push(key);
  return {
    seq: options.seq,
    at: Math.max(1, Math.round(current.at)),
    intervalMs: options.intervalMs,
    full,
    services,
    ...(gone.length > 0 ? { gone } : {}),
    totals: current.totals ? { c: current.totals.c, r: current.totals.r } : null,
  };
}

/**
 * What the panel holds after applying `frame` on top of `base` — the inverse
 * of buildFrame, used by the tests (and documented as the panel's rule):
 * absent entries keep their counters with zero rates.
 */
export function applyFrame(base: StatsSnapshot | null, frame: StatsFrame): StatsSnapshot {
  const zeroRates = (e: EntrySnapshot): EntrySnapshot => ({ ...e, r: [0, 0, 0, 0, 0] });
  const services = new Map<string, ServiceSnapshot>();
  if (!frame.full && base) {
    for (const [key, s] of base.services) {
      const d = new Map<string, EntrySnapshot>();
      for (const [dkey, dest] of s.d) d.set(dkey, zeroRates(dest));
      services.set(key, { ...zeroRates(s), d });
    }
    for (const key of frame.gone ?? []) services.delete(key);
  }
  for (const s of frame.services) {
    const d = frame.full ? new Map<string, EntrySnapshot>() : new Map(services.get(s.k)?.d ?? []);
    for (const dkey of s.gone ?? []) d.delete(dkey);
    for (const dest of s.d) d.set(dest.k, { c: dest.c as Five, r: dest.r as Five | null, a: dest.a, i: dest.i });
    services.set(s.k, { c: s.c as Five, r: s.r as Five | null, a: s.a, i: s.i, d });
  }
  return { at: frame.at, services, totals: frame.totals ? { c: frame.totals.c as Five, r: frame.totals.r as Five | null } : null };
}
