/**
 * Per-second ring buffers for the live view (issue #5): one ring per virtual
 * service, real server and cluster, RING_SECONDS slots of METRICS values in a
 * Float32Array (no objects per sample; float32 keeps 7 significant digits,
 * plenty for rates and connection counts, at half the memory of float64).
 *
 * A slot's second is implicit: slot = second mod RING_SECONDS, valid while
 * `newest - RING_SECONDS < second <= newest`. Seconds skipped when the ring
 * moves forward are cleared to NaN (no sample: a gap in the chart, not a zero).
 * A late write for a second still inside the window overwrites its slot.
 */

/** 16 minutes at 1 s: the 15-minute live window plus the minute being rolled up. */
export const RING_SECONDS = 960;
/** conns/s, inpkts/s, outpkts/s, inbytes/s, outbytes/s, active, inactive */
export const METRICS = 7;
export const M_ACTIVE = 5;
export const M_INACTIVE = 6;
/** Bytes of one ring (a virtual service or a real server): 960 × 7 × 4 = 26,880. */
export const RING_BYTES = RING_SECONDS * METRICS * Float32Array.BYTES_PER_ELEMENT;

export class SeriesRing {
  readonly data = new Float32Array(RING_SECONDS * METRICS).fill(Number.NaN);
  /** newest second written (epoch seconds), -1 = empty */
  newest = -1;

  /** Writes the METRICS values of `second` (epoch seconds). False when the second is too old for the ring. */
  write(second: number, values: ArrayLike<number>): boolean {
    if (this.newest < 0) {
      this.newest = second;
    } else if (second > this.newest) {
      const skipped = Math.min(second - this.newest - 1, RING_SECONDS);
      for (let k = 1; k <= skipped; k++) this.clearSlot((this.newest + k) % RING_SECONDS);
      this.newest = second;
    } else if (second <= this.newest - RING_SECONDS) {
      return false;
    }
    const base = (second % RING_SECONDS) * METRICS;
    for (let m = 0; m < METRICS; m++) this.data[base + m] = values[m];
    return true;
  }

  private clearSlot(slot: number) {
    this.data.fill(Number.NaN, slot * METRICS, slot * METRICS + METRICS);
  }

  /** Does the ring hold a sample for `second`? */
  has(second: number): boolean {
    if (this.newest < 0 || second > this.newest || second <= this.newest - RING_SECONDS) return false;
    return !Number.isNaN(this.data[(second % RING_SECONDS) * METRICS]);
  }

  /** Value of metric `m` at `second`, NaN when there is no sample. */
  get(second: number, m: number): number {
    if (!this.has(second)) return Number.NaN;
    return this.data[(second % RING_SECONDS) * METRICS + m];
  }

  /** Copies the METRICS values of `second` into `out`; false (out untouched) without a sample. */
  read(second: number, out: Float64Array | number[]): boolean {
    if (!this.has(second)) return false;
    const base = (second % RING_SECONDS) * METRICS;
    for (let m = 0; m < METRICS; m++) out[m] = this.data[base + m];
    return true;
  }

  /**
   * Averages over [fromSecond, toSecond): mean of each metric over the seconds
   * that have a sample, the max of active, and the sample count.
   */
  aggregate(fromSecond: number, toSecond: number): { samples: number; mean: Float64Array; activeMax: number } {
    const mean = new Float64Array(METRICS);
    let samples = 0;
    let activeMax = 0;
    for (let s = Math.max(fromSecond, this.newest - RING_SECONDS + 1); s < toSecond && s <= this.newest; s++) {
      const base = (s % RING_SECONDS) * METRICS;
      if (Number.isNaN(this.data[base])) continue;
      samples++;
      for (let m = 0; m < METRICS; m++) mean[m] += this.data[base + m];
      if (this.data[base + M_ACTIVE] > activeMax) activeMax = this.data[base + M_ACTIVE];
    }
    if (samples > 0) for (let m = 0; m < METRICS; m++) mean[m] /= samples;
    return { samples, mean, activeMax };
  }
}
