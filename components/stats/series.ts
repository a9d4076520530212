/**
 * Time series for the live stats charts (pure, unit-tested): appending live
 * frames to a bounded window, picking one measure out of StatsPoints, marking
 * gaps (an agent that was offline draws a break, not a straight line), and
 * the `ipvsadm -Ln` text of a service.
 */
import type { LiveEntry, StatsPoint, StatsRange } from "@/shared/live";

/** The live view keeps the last 15 minutes (what the panel's ring buffer holds at 1 s). */
export const LIVE_WINDOW_MS = 15 * 60_000;

export const RANGE_SPEC: Record<StatsRange, { label: string; spanMs: number }> = {
  live: { label: "Live", spanMs: LIVE_WINDOW_MS },
  "1h": { label: "1 h", spanMs: 3_600_000 },
  "24h": { label: "24 h", spanMs: 86_400_000 },
  "7d": { label: "7 d", spanMs: 7 * 86_400_000 },
};

export type Measure = "conns" | "packets" | "inpkts" | "outpkts" | "inbytes" | "outbytes" | "active" | "inactive";

/** One measure of a point: packets = in + out (ipvsadm --rate prints both; the chart shows their sum). */
export function pick(p: StatsPoint, m: Measure): number {
  switch (m) {
    case "conns":
      return p.rates.conns;
    case "packets":
      return p.rates.inpkts + p.rates.outpkts;
    case "inpkts":
      return p.rates.inpkts;
    case "outpkts":
      return p.rates.outpkts;
    case "inbytes":
      return p.rates.inbytes;
    case "outbytes":
      return p.rates.outbytes;
    case "active":
      return p.active;
    case "inactive":
      return p.inactive;
  }
}

export interface XY {
  x: number;
  /** null = a gap (chart.js breaks the line there) */
  y: number | null;
}

/**
 * Points of one measure, oldest first, with a gap marker wherever two
 * neighbours are further apart than `maxGapMs` (3 × the sampling step:
 * one late frame is not a gap, an offline agent is).
 */
export function toXY(points: readonly StatsPoint[], m: Measure, maxGapMs: number): XY[] {
  const out: XY[] = [];
  let prev: number | null = null;
  for (const p of points) {
    if (prev !== null && p.t - prev > maxGapMs) out.push({ x: prev + 1, y: null });
    out.push({ x: p.t, y: pick(p, m) });
    prev = p.t;
  }
  return out;
}

/** The newest value of a measure, null when there is none. */
export function lastValue(points: readonly StatsPoint[], m: Measure): number | null {
  const p = points[points.length - 1];
  return p ? pick(p, m) : null;
}

/** A live entry (frame) as a point at time `t`. */
export function entryToPoint(t: number, e: LiveEntry): StatsPoint {
  return { t, rates: e.rates, active: e.active, inactive: e.inactive };
}

/**
 * Appends `p` to a window that ends at `p.t` and spans `windowMs`: older points
 * drop out, a point at the same time replaces the newest, an out-of-order point
 * (older than the newest) is ignored. Returns a new array (React state).
 */
export function appendWindow(points: readonly StatsPoint[], p: StatsPoint, windowMs: number): StatsPoint[] {
  const last = points[points.length - 1];
  if (last && p.t < last.t) return points as StatsPoint[];
  const from = p.t - windowMs;
  let start = 0;
  while (start < points.length && points[start].t < from) start++;
  const kept = points.slice(start);
  if (last && p.t === last.t) kept[kept.length - 1] = p;
  else kept.push(p);
  return kept;
}

/** Appends one frame's entries (by id) to per-id windows; ids absent from the frame keep their points. */
export function appendEntries(
  series: ReadonlyMap<string, StatsPoint[]>,
  t: number,
  entries: readonly (LiveEntry & { id: string })[],
  windowMs: number,
): Map<string, StatsPoint[]> {
  const next = new Map(series);
  for (const e of entries) next.set(e.id, appendWindow(series.get(e.id) ?? [], entryToPoint(t, e), windowMs));
  return next;
}

/** Largest gap between neighbours that is still "no gap": 3 samples (≥ 3 s live), 3 steps in history. */
export function maxGapFor(range: StatsRange, stepMs: number | null | undefined): number {
  const step = stepMs && stepMs > 0 ? stepMs : range === "live" ? 1000 : 60_000;
  return Math.max(3 * step, range === "live" ? 3000 : 0);
}

// ---------------------------------------------------------------------------
// ipvsadm -Ln text

type ServiceLike = {
  protocol: "TCP" | "UDP" | "FWMARK";
  address: string;
  port: number | null;
  fwmark: number | null;
  family?: "ipv4" | "ipv6";
  scheduler: string;
  schedulerFlags: readonly string[];
  persistenceTimeout: number | null;
  persistenceNetmask: number | null;
};

export function hostPort(address: string, port: number | null): string {
  const a = address.includes(":") ? `[${address}]` : address;
  return port === null ? a : `${a}:${port}`;
}

/** The service line of `ipvsadm -Ln`: "TCP  192.0.2.10:80 wlc persistent 120", "FWM  5 rr". */
export function ipvsadmServiceLine(s: ServiceLike): string {
  const where = s.protocol === "FWMARK" ? `FWM  ${s.fwmark}${s.family === "ipv6" ? " IPv6" : ""}` : `${s.protocol}  ${hostPort(s.address, s.port)}`;
  let line = `${where} ${s.scheduler}`;
  if (s.schedulerFlags.length > 0) line += ` (${s.schedulerFlags.join(",")})`;
  if (s.persistenceTimeout !== null) {
    line += ` persistent ${s.persistenceTimeout}`;
    const full = s.family === "ipv6" || s.address.includes(":") ? 128 : 32;
    if (s.persistenceNetmask !== null && s.persistenceNetmask !== full) line += ` mask ${prefixMask(s.persistenceNetmask, full)}`;
  }
  return line;
}

/** ipvsadm prints an IPv4 persistence mask dotted ("255.255.255.0"), an IPv6 one as the prefix length. */
function prefixMask(prefix: number, full: number): string {
  if (full === 128) return String(prefix);
  const bits = prefix <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefix, 32))) >>> 0;
  return [24, 16, 8, 0].map((s) => (bits >>> s) & 255).join(".");
}

/** ipvsadm's Forward column. */
export const FORWARD_WORD = { DR: "Route", NAT: "Masq", TUN: "Tunnel" } as const;

/**
 * Union of two windows by time (`b` wins at equal t), oldest first, trimmed to
 * `windowMs` before the newest point: history read after a reconnect fills the
 * gap without dropping frames that arrived meanwhile.
 */
export function mergeWindow(a: readonly StatsPoint[], b: readonly StatsPoint[], windowMs: number): StatsPoint[] {
  const byT = new Map<number, StatsPoint>();
  for (const p of a) byT.set(p.t, p);
  for (const p of b) byT.set(p.t, p);
  const all = [...byT.values()].sort((x, y) => x.t - y.t);
  const newest = all.length ? all[all.length - 1].t : 0;
  return all.filter((p) => p.t >= newest - windowMs);
}

/** mergeWindow per id; ids only in one side keep their points. */
export function mergeSeries(a: ReadonlyMap<string, StatsPoint[]>, b: ReadonlyMap<string, StatsPoint[]>, windowMs: number): Map<string, StatsPoint[]> {
  const out = new Map(a);
  for (const [id, pts] of b) out.set(id, mergeWindow(a.get(id) ?? [], pts, windowMs));
  return out;
}
