import { describe, expect, it } from "vitest";
import { SlidingWindowLimiter } from "./rate-limit";

describe("sliding-window login limiter", () => {
  it("allows maxFailures failures, then blocks until the oldest counted failure leaves the window", () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter({ maxFailures: 3, windowMs: 60_000 }, () => now);
    for (const t of [0, 10_000, 20_000]) {
      now = t;
      expect(limiter.retryAfterSeconds("k")).toBe(0);
      limiter.recordFailure("k");
    }
    now = 30_000;
    expect(limiter.retryAfterSeconds("k")).toBe(30); // the failure at 0 expires at 60 s
    now = 60_001;
    expect(limiter.retryAfterSeconds("k")).toBe(0);
    limiter.recordFailure("k");
    expect(limiter.retryAfterSeconds("k")).toBe(10); // failures at 10, 20, 60 s: the one at 10 s expires at 70 s
  });

  it("keys are independent and clear() forgets one key", () => {
    const limiter = new SlidingWindowLimiter({ maxFailures: 1, windowMs: 1000 }, () => 0);
    limiter.recordFailure("a");
    expect(limiter.retryAfterSeconds("a")).toBe(1);
    expect(limiter.retryAfterSeconds("b")).toBe(0);
    limiter.clear("a");
    expect(limiter.retryAfterSeconds("a")).toBe(0);
  });
});
