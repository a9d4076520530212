/**
 * IPVS statistics: per-service and per-destination counters (connections,
 * packets, bytes in/out) from `ipvsadm -Ln --stats --exact`, active/inactive
 * connections from /proc/net/ip_vs, host totals from /proc/net/ip_vs_stats,
 * and rates between two samples.
 *
 * Rates never go negative: when a counter is lower than in the previous
 * sample (service re-created, counters reset, kernel module reloaded) the
 * counter restarted from zero, so the increase is the new value (the
 * convention Prometheus uses). A first sample (agent start) has no rates.
 */
import { parseIpvsList, parseProcIpvs, type Counters } from "../ipvsadm/listing";
import type { StatsKernel } from "../kernel/types";

export const COUNTER_NAMES = ["conns", "inpkts", "outpkts", "inbytes", "outbytes"] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export interface EntryStats extends Counters {
  activeconns: number;
  inactconns: number;
}

export interface ServiceStats extends EntryStats {
  destinations: Map<string, EntryStats>;
}

export interface StatsSample {
  /** milliseconds (monotonic or wall clock, the same source for every sample) */
  at: number;
  services: Map<string, ServiceStats>;
  /** /proc/net/ip_vs_stats totals; null without IPVS */
  totals: Counters | null;
}

export type Rates = Record<CounterName, number>;

export interface StatsRates {
  /** seconds between the samples */
  seconds: number;
  services: Map<string, { rates: Rates; destinations: Map<string, Rates> }>;
  totals: Rates | null;
}

/** Parses /proc/net/ip_vs_stats: the first numeric row is the totals (hex), the second the kernel's own per-second estimates. */
export function parseProcIpvsStats(text: string): { totals: Counters; kernelRates: Counters } {
  const rows = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^[0-9A-Fa-f]+(\s+[0-9A-Fa-f]+){4}$/.test(l))
    .map((l) => l.split(/\s+/).map((h) => parseInt(h, 16)));
  if (rows.length < 2) throw new Error("unexpected /proc/net/ip_vs_stats format");
  const counters = (row: number[]): Counters => ({ conns: row[0], inpkts: row[1], outpkts: row[2], inbytes: row[3], outbytes: row[4] });
  return { totals: counters(rows[0]), kernelRates: counters(rows[1]) };
}

const zero = (): EntryStats => ({ conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0, activeconns: 0, inactconns: 0 });

/** Builds one sample from the three kernel texts. */
export function buildSample(at: number, listStatsText: string, procIpvsText: string | null, procStatsText: string | null): StatsSample {
  const services = new Map<string, ServiceStats>();
  for (const listed of parseIpvsList(listStatsText)) {
    const destinations = new Map<string, EntryStats>();
    for (const d of listed.destinations) destinations.set(d.key, { ...zero(), ...d.stats });
    services.set(listed.key, { ...zero(), ...listed.stats, destinations });
  }
  if (procIpvsText) {
    const fwmarks = new Map<number, ServiceStats[]>();
    for (const [key, s] of services) {
      if (key.startsWith("fwmark ")) {
        const mark = Number(key.split(" ")[1]);
        fwmarks.set(mark, [...(fwmarks.get(mark) ?? []), s]);
      }
    }
    for (const proc of parseProcIpvs(procIpvsText)) {
      let service = services.get(proc.key);
      // /proc does not tell a fwmark service's family when it has no destinations
      if (!service && proc.protocol === "fwmark" && fwmarks.get(proc.fwmark)?.length === 1) service = fwmarks.get(proc.fwmark)![0];
      if (!service) continue;
      service.activeconns = 0;
      service.inactconns = 0;
      for (const d of proc.destinations) {
        const dest = service.destinations.get(d.key);
        if (!dest) continue;
        dest.activeconns = d.activeConns ?? 0;
        dest.inactconns = d.inactConns ?? 0;
        service.activeconns += dest.activeconns;
        service.inactconns += dest.inactconns;
      }
    }
  }
  return { at, services, totals: procStatsText ? parseProcIpvsStats(procStatsText).totals : null };
}

function rate(previous: number, current: number, seconds: number): number {
  const increase = current >= previous ? current - previous : current;
  return increase / seconds;
}

function countersRates(previous: Counters, current: Counters, seconds: number): Rates {
  const out = {} as Rates;
  for (const name of COUNTER_NAMES) out[name] = rate(previous[name], current[name], seconds);
  return out;
}

/** Rates between two samples; entries missing from the previous sample get none. Null when no time passed. */
export function computeRates(previous: StatsSample, current: StatsSample): StatsRates | null {
  const seconds = (current.at - previous.at) / 1000;
  if (!(seconds > 0)) return null;
  const services: StatsRates["services"] = new Map();
  for (const [key, service] of current.services) {
    const before = previous.services.get(key);
    if (!before) continue;
    const destinations = new Map<string, Rates>();
    for (const [dkey, dest] of service.destinations) {
      const dbefore = before.destinations.get(dkey);
      if (dbefore) destinations.set(dkey, countersRates(dbefore, dest, seconds));
    }
    services.set(key, { rates: countersRates(before, service, seconds), destinations });
  }
  const totals = previous.totals && current.totals ? countersRates(previous.totals, current.totals, seconds) : null;
  return { seconds, services, totals };
}

/** Samples the kernel and keeps the previous sample to compute rates. */
export class StatsSampler {
  private previous: StatsSample | null = null;

  constructor(
    private readonly kernel: Pick<StatsKernel, "procIpvs" | "procIpvsStats" | "listStats">,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async sample(): Promise<{ sample: StatsSample; rates: StatsRates | null }> {
    const [procIpvs, procStats] = await Promise.all([this.kernel.procIpvs(), this.kernel.procIpvsStats()]);
    const list = procIpvs === null ? "" : await this.kernel.listStats();
    const sample = buildSample(this.clock(), list, procIpvs, procStats);
    const rates = this.previous ? computeRates(this.previous, sample) : null;
    this.previous = sample;
    return { sample, rates };
  }
}

/** A sample as plain JSON (maps become arrays). */
export function sampleToJson(sample: StatsSample) {
  return {
    totals: sample.totals,
    services: [...sample.services].map(([key, s]) => ({
      key,
      ...pick(s),
      destinations: [...s.destinations].map(([dkey, d]) => ({ key: dkey, ...pick(d) })),
    })),
  };
}

function pick(e: EntryStats): EntryStats {
  return { conns: e.conns, inpkts: e.inpkts, outpkts: e.outpkts, inbytes: e.inbytes, outbytes: e.outbytes, activeconns: e.activeconns, inactconns: e.inactconns };
}
