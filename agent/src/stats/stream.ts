/**
 * Live stats (issue #5): the collector samples the kernel every
 * `statsIntervalMs` while something listens (the panel stream, the local
 * metrics endpoint), and the stream sends StatsFrames to the panel, paced by
 * its acknowledgements.
 *
 * Pacing (shared/agent-protocol "stats"): at most one frame in flight. While
 * it waits for the ack the stream keeps only the latest snapshot (a newer
 * sample replaces an unsent one, never a queue); when the ack arrives (or
 * the wait times out) the latest snapshot is sent at once. Frames are
 * computed against the last snapshot the panel acknowledged; the first frame
 * on a connection and then one every 60 s is full.
 */
import type { StatsAck, StatsFrame } from "../../../shared/agent-protocol";
import type { StatsKernel } from "../kernel/types";
import { buildFrame, snapshotOf, type StatsSnapshot } from "./frames";
import { StatsSampler } from "./stats";

export const DEFAULT_STATS_INTERVAL_MS = 1000;
export const FULL_FRAME_EVERY_MS = 60_000;
export const STATS_ACK_TIMEOUT_MS = 10_000;

export interface Clock {
  /** ms since the epoch */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export type StatsLogEvent = { event: "stats-error"; message: string } | { event: "stats-frame-refused"; seq: number; error: string };

export interface CollectorOptions {
  kernel: StatsKernel;
  intervalMs: number;
  /** the service keys the agent owns (its ledger); only these are reported */
  owned: () => ReadonlySet<string>;
  clock?: Clock;
  log?: (event: StatsLogEvent) => void;
}

/**
 * Samples every intervalMs while at least one listener is subscribed. A new
 * sampler per start: rates never span a pause (the first sample after a start
 * has none). Samples never overlap: a slow read delays the next one.
 */
export class StatsCollector {
  private readonly listeners = new Set<(snapshot: StatsSnapshot) => void>();
  private sampler: StatsSampler | null = null;
  private timer: unknown = null;
  private running = false;
  private lastError: string | null = null;
  /** the latest snapshot (null before the first one after a start) */
  latest: StatsSnapshot | null = null;
  readonly clock: Clock;

  constructor(private readonly options: CollectorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get intervalMs(): number {
    return this.options.intervalMs;
  }

  subscribe(listener: (snapshot: StatsSnapshot) => void): () => void {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.start();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** One sample now (what the timer runs); resolves with the snapshot, or null when the kernel could not be read. */
  async sampleOnce(): Promise<StatsSnapshot | null> {
    const sampler = (this.sampler ??= new StatsSampler(this.options.kernel));
    try {
      const { sample, rates } = await sampler.sample();
      const snapshot = snapshotOf(this.clock.now(), sample, rates, this.options.owned());
      this.lastError = null;
      this.latest = snapshot;
      for (const listener of [...this.listeners]) listener(snapshot);
      return snapshot;
    } catch (error) {
      const message = (error as Error).message;
      // one line per distinct failure, not one per second
      if (message !== this.lastError) this.options.log?.({ event: "stats-error", message });
      this.lastError = message;
      return null;
    }
  }

  private start() {
    this.running = true;
    this.sampler = new StatsSampler(this.options.kernel);
    this.latest = null;
    const tick = async () => {
      if (!this.running) return;
      const started = this.clock.now();
      await this.sampleOnce();
      if (!this.running) return;
      this.timer = this.clock.setTimeout(tick, Math.max(0, this.options.intervalMs - (this.clock.now() - started)));
    };
    this.timer = this.clock.setTimeout(tick, 0);
  }

  private stop() {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.sampler = null;
  }
}

export interface StreamOptions {
  /** sends one frame and resolves with the panel's ack; rejects on timeout or disconnect */
  send: (frame: StatsFrame) => Promise<StatsAck>;
  intervalMs: number;
  clock?: Clock;
  fullEveryMs?: number;
  log?: (event: StatsLogEvent) => void;
}

/** One connection's stats stream. Feed it snapshots; it sends frames, one at a time. */
export class StatsStream {
  private seq = 0;
  private acked: StatsSnapshot | null = null;
  private lastFullAt = Number.NEGATIVE_INFINITY;
  private latest: StatsSnapshot | null = null;
  private inFlight = false;
  private stopped = false;
  /** frames sent, their acks (tests, measurements) */
  readonly counts = { sent: 0, acked: 0, failed: 0, replaced: 0 };
  private readonly clock: Clock;
  private readonly fullEveryMs: number;

  constructor(private readonly options: StreamOptions) {
    this.clock = options.clock ?? systemClock;
    this.fullEveryMs = options.fullEveryMs ?? FULL_FRAME_EVERY_MS;
  }

  /** A new sample: sent at once when nothing is in flight, otherwise kept as the only pending one. */
  push(snapshot: StatsSnapshot): void {
    if (this.stopped) return;
    if (this.latest !== null) this.counts.replaced++;
    this.latest = snapshot;
    if (!this.inFlight) void this.flush();
  }

  stop(): void {
    this.stopped = true;
    this.latest = null;
  }

  get pending(): boolean {
    return this.latest !== null;
  }

  private async flush(): Promise<void> {
    while (!this.stopped && !this.inFlight && this.latest !== null) {
      const snapshot = this.latest;
      this.latest = null;
      const now = this.clock.now();
      const full = this.acked === null || now - this.lastFullAt >= this.fullEveryMs;
      const frame = buildFrame(this.acked, snapshot, { seq: this.seq++, intervalMs: this.options.intervalMs, full });
      this.inFlight = true;
      this.counts.sent++;
      try {
        const ack = await this.options.send(frame);
        if (ack.ok) {
          this.counts.acked++;
          this.acked = snapshot;
          if (full) this.lastFullAt = now;
        } else {
          this.counts.failed++;
          this.options.log?.({ event: "stats-frame-refused", seq: frame.seq, error: ack.error ?? "refused" });
        }
      } catch {
        // no ack in time, or disconnected: the next frame is computed against the last acknowledged one
        this.counts.failed++;
      } finally {
        this.inFlight = false;
      }
    }
  }
}
