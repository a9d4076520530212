/**
 * Rollup math (issue #5), pure: how much a cumulative IPVS counter grew
 * between two samples, and one minute's rollup row from its counter increases
 * and per-second gauges.
 *
 * Kernel counters only grow, except when they restart from zero: `ipvsadm -Z`,
 * a service deleted and re-added, a director reboot. A counter that went DOWN
 * therefore restarted from zero and grew by its new value since — never a
 * negative increase. An agent restart does not touch the kernel counters: the
 * panel keeps the host's last counters across the reconnect, so the increase
 * over the gap is exact. When the previous sample is unknown (first sample of
 * an entry, panel restarted) or older than MAX_EXACT_GAP_MS, the increase is
 * estimated from the agent's rate over one interval instead of attributing a
 * long gap's traffic to one minute.
 */

/** Longer gaps between two samples of a host are not credited to one minute. */
export const MAX_EXACT_GAP_MS = 120_000;

export function counterIncrease(previous: number, current: number): number {
  return current >= previous ? current - previous : current;
}

/**
 * Increase of five counters since the previous sample, written into `out`.
 * `previous` null = unknown; `rates` null = the agent's first sample (no rate).
 */
export function increases(
  previous: ArrayLike<number> | null,
  current: ArrayLike<number>,
  rates: ArrayLike<number> | null,
  gapMs: number,
  intervalMs: number,
  out: Float64Array,
): Float64Array {
  const exact = previous !== null && gapMs <= MAX_EXACT_GAP_MS;
  for (let k = 0; k < 5; k++) {
    out[k] = exact ? counterIncrease(previous![k], current[k]) : rates ? (rates[k] * intervalMs) / 1000 : 0;
  }
  return out;
}

export function minuteOf(ms: number): number {
  return Math.floor(ms / 60_000) * 60_000;
}
