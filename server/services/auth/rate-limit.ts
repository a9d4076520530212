/**
 * Login rate limiting: an in-memory sliding window of failed attempts per
 * key (username, client address). Per process — the panel runs as one process.
 */
export interface RateLimitRule {
  maxFailures: number;
  windowMs: number;
}

export class SlidingWindowLimiter {
  private failures = new Map<string, number[]>();

  constructor(
    private readonly rule: RateLimitRule,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(key: string): number[] {
    const cutoff = this.now() - this.rule.windowMs;
    const list = (this.failures.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(key);
    else this.failures.set(key, list);
    return list;
  }

  /** Seconds until another attempt is allowed, or 0 when allowed now. */
  retryAfterSeconds(key: string): number {
    const list = this.recent(key);
    if (list.length < this.rule.maxFailures) return 0;
    const oldestThatCounts = list[list.length - this.rule.maxFailures];
    return Math.max(1, Math.ceil((oldestThatCounts + this.rule.windowMs - this.now()) / 1000));
  }

  recordFailure(key: string): void {
    const list = this.recent(key);
    list.push(this.now());
    this.failures.set(key, list);
    if (this.failures.size > 100_000) this.prune();
  }

  clear(key: string): void {
    this.failures.delete(key);
  }

  reset(): void {
    this.failures.clear();
  }

  private prune(): void {
    for (const key of [...this.failures.keys()]) this.recent(key);
  }
}

const FIFTEEN_MINUTES = 15 * 60 * 1000;

/** 5 failed logins per username, 20 per client address, in any 15 minutes. */
export const loginLimits = {
  byUsername: new SlidingWindowLimiter({ maxFailures: 5, windowMs: FIFTEEN_MINUTES }),
  byAddress: new SlidingWindowLimiter({ maxFailures: 20, windowMs: FIFTEEN_MINUTES }),
};

export function resetLoginLimits(): void {
  loginLimits.byUsername.reset();
  loginLimits.byAddress.reset();
}
