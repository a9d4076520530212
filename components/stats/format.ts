/**
 * Units and time labels for the live stats UI, the way admins read them:
 * "1.2 k conn/s", "34.5 MB/s" (decimal, like ipvsadm --rate and most NIC
 * counters), "12,345" for connection counts. Pure, unit-tested.
 */

const PREFIXES = ["", "k", "M", "G", "T", "P"] as const;

/** 1234 → "1.23 k", 12 → "12", 0.5 → "0.5"; three significant digits, never "1000 k". */
export function siNumber(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const sign = value < 0 ? "-" : "";
  let v = Math.abs(value);
  if (v === 0) return "0";
  if (v < 1) return sign + trimZeros(v.toFixed(v < 0.01 ? 3 : 2));
  let i = 0;
  while (v >= 999.95 && i < PREFIXES.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  let text = trimZeros(v.toFixed(digits));
  // 999.96 k rounds to "1000": move to the next prefix
  if (text === "1000" && i < PREFIXES.length - 1) {
    text = "1";
    i++;
  }
  return `${sign}${text}${PREFIXES[i] ? ` ${PREFIXES[i]}` : ""}`;
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

export type RateKind = "conns" | "packets" | "bytes";

const RATE_UNIT: Record<RateKind, string> = { conns: "conn/s", packets: "pkt/s", bytes: "B/s" };

/** 1234.5 conns → "1.23 k conn/s"; 34_500_000 bytes → "34.5 MB/s". */
export function formatRate(value: number, kind: RateKind): string {
  const n = siNumber(value);
  if (kind === "bytes") {
    // "34.5 M" + "B/s" → "34.5 MB/s"
    return n.includes(" ") ? `${n}${RATE_UNIT.bytes}` : `${n} ${RATE_UNIT.bytes}`;
  }
  return `${n} ${RATE_UNIT[kind]}`;
}

/** Axis tick: the number with its prefix, no unit ("1.2 k", "34.5 M"). */
export function formatTick(value: number): string {
  return siNumber(value).replace(" ", "");
}

/** Connection counts as ipvsadm shows them, with thousands separators. */
export function formatCount(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

const pad = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * Time-axis tick for a linear x axis in ms since the epoch (chart.js without a
 * date adapter). `spanMs` = visible window: seconds up to 5 min, minutes up to
 * two days, then "Nov 21 14:00". Local time, like the rest of the panel.
 */
export function formatTimeTick(ms: number, spanMs: number): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  if (spanMs <= 5 * 60_000) return `${hm}:${pad(d.getSeconds())}`;
  if (spanMs <= 2 * 86_400_000) return hm;
  return `${MONTHS[d.getMonth()]} ${d.getDate()} ${hm}`;
}

/** "5 s ago", "3 min ago", "2 h ago", "never". */
export function lastSeenText(iso: string | null, now: number = Date.now()): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "never";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

const TIME_STEPS = [
  1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000, 30 * 60_000,
  3_600_000, 2 * 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 12 * 3_600_000, 86_400_000,
];

/** A round tick step for a time axis of `spanMs` with at most `maxTicks` ticks (10 s, 2 min, 1 h, 1 d…). */
export function timeStep(spanMs: number, maxTicks = 6): number {
  for (const s of TIME_STEPS) if (spanMs / s <= maxTicks) return s;
  return Math.ceil(spanMs / maxTicks / 86_400_000) * 86_400_000;
}
