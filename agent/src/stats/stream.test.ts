import { describe, expect, it } from "vitest";
import { StatsFrameSchema, type StatsAck, type StatsFrame } from "../../../shared/agent-protocol";
import { FakeKernel } from "../kernel/fake";
import type { Five, StatsSnapshot } from "./frames";
import { StatsCollector, StatsStream, type Clock } from "./stream";

/** A clock whose time moves only when the test says so; timers fire in order. */
class FakeClock implements Clock {
  t = 1_700_000_000_000;
  private timers: Array<{ at: number; fn: () => void; id: number }> = [];
  private nextId = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  get pendingTimers() {
    return this.timers.length;
  }
  /** advance, running every timer that falls due (and letting their promises settle) */
  async advance(ms: number) {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** A socket whose acks the test releases by hand. */
function fakeSocket() {
  const sent: StatsFrame[] = [];
  const waiting: Array<{ resolve: (a: StatsAck) => void; reject: (e: Error) => void }> = [];
  return {
    sent,
    get inFlight() {
      return waiting.length;
    },
    send: (frame: StatsFrame) => {
      expect(StatsFrameSchema.safeParse(frame).success).toBe(true);
      sent.push(frame);
      return new Promise<StatsAck>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    ack: async (ack: StatsAck = { ok: true }) => {
      waiting.shift()!.resolve(ack);
      await settle();
    },
    timeout: async () => {
      waiting.shift()!.reject(new Error("operation has timed out"));
      await settle();
    },
  };
}

const snapshot = (at: number, conns: number, rate = 0): StatsSnapshot => ({
  at,
  services: new Map([["tcp 192.0.2.10:80", { c: [conns, 0, 0, 0, 0] as Five, r: [rate, 0, 0, 0, 0] as Five, a: 0, i: 0, d: new Map() }]]),
  totals: null,
});

describe("StatsStream pacing", () => {
  it("one frame in flight; while waiting only the latest sample is kept; the next frame diffs against the acknowledged one", async () => {
    const clock = new FakeClock();
    const socket = fakeSocket();
    const stream = new StatsStream({ send: socket.send, intervalMs: 1000, clock });

    stream.push(snapshot(clock.t, 10));
    await settle();
    expect(socket.sent.map((f) => [f.seq, f.full])).toEqual([[0, true]]);

    // a slow link: three samples arrive while frame 0 waits for its ack
    for (const conns of [11, 12, 13]) stream.push(snapshot(clock.t, conns, 1));
    await settle();
    expect(socket.sent).toHaveLength(1);
    expect(socket.inFlight).toBe(1);
    expect(stream.counts.replaced).toBe(2);

    await socket.ack();
    // the latest one (13) went out at once, as a delta against frame 0
    expect(socket.sent).toHaveLength(2);
    expect(socket.sent[1]).toMatchObject({ seq: 1, full: false, services: [{ k: "tcp 192.0.2.10:80", c: [13, 0, 0, 0, 0] }] });
    expect(stream.pending).toBe(false);

    // frame 1 times out: the next frame is still computed against frame 0 (the acknowledged one)
    stream.push(snapshot(clock.t, 13, 0));
    await socket.timeout();
    expect(socket.sent[2]).toMatchObject({ seq: 2, full: false, services: [{ k: "tcp 192.0.2.10:80", c: [13, 0, 0, 0, 0] }] });
    await socket.ack();

    // acknowledged at 13 with zero rates: an idle sample sends an empty delta
    stream.push(snapshot(clock.t, 13, 0));
    await settle();
    expect(socket.sent[3]).toMatchObject({ seq: 3, full: false, services: [] });
    await socket.ack();
    expect(stream.counts).toMatchObject({ sent: 4, acked: 3, failed: 1 });
  });

  it("a full frame every 60 s, counted from the last acknowledged full frame", async () => {
    const clock = new FakeClock();
    const socket = fakeSocket();
    const stream = new StatsStream({ send: socket.send, intervalMs: 1000, clock });
    const fulls: boolean[] = [];
    for (let s = 0; s <= 121; s++) {
      stream.push(snapshot(clock.t, s));
      await settle();
      fulls.push(socket.sent.at(-1)!.full);
      await socket.ack();
      await clock.advance(1000);
    }
    expect(fulls.flatMap((f, i) => (f ? [i] : []))).toEqual([0, 60, 120]);
  });

  it("a refused frame is not a base: the next one is full again when nothing was acknowledged", async () => {
    const clock = new FakeClock();
    const socket = fakeSocket();
    const logs: unknown[] = [];
    const stream = new StatsStream({ send: socket.send, intervalMs: 1000, clock, log: (e) => logs.push(e) });
    stream.push(snapshot(clock.t, 1));
    await socket.ack({ ok: false, error: "unknown host" });
    stream.push(snapshot(clock.t, 2));
    await settle();
    expect(socket.sent.map((f) => f.full)).toEqual([true, true]);
    expect(logs).toEqual([{ event: "stats-frame-refused", seq: 0, error: "unknown host" }]);
  });

  it("stop() drops what is pending and sends nothing more", async () => {
    const socket = fakeSocket();
    const stream = new StatsStream({ send: socket.send, intervalMs: 1000, clock: new FakeClock() });
    stream.push(snapshot(1, 1));
    stream.push(snapshot(2, 2));
    stream.stop();
    await socket.ack();
    stream.push(snapshot(3, 3));
    await settle();
    expect(socket.sent).toHaveLength(1);
  });
});

describe("StatsCollector", () => {
  it("samples every interval while subscribed, only owned services, rates from the second sample, and stops when nobody listens", async () => {
    const clock = new FakeClock();
    const kernel = new FakeKernel();
    await kernel.ipvs.restore(["-A -t 192.0.2.10:80 -s rr", "-a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1", "-A -t 198.51.100.1:80 -s rr"]);
    const collector = new StatsCollector({ kernel: kernel.stats, intervalMs: 1000, owned: () => new Set(["tcp 192.0.2.10:80"]), clock });
    const seen: StatsSnapshot[] = [];
    const unsubscribe = collector.subscribe((s) => seen.push(s));
    await clock.advance(0);
    expect(seen).toHaveLength(1);
    expect([...seen[0].services.keys()]).toEqual(["tcp 192.0.2.10:80"]);
    expect(seen[0].services.get("tcp 192.0.2.10:80")!.r).toBeNull();

    kernel.traffic("tcp 192.0.2.10:80", "10.0.0.11:80", { conns: 3, inpkts: 18, inbytes: 1200, activeconns: 2 });
    await clock.advance(1000);
    expect(seen).toHaveLength(2);
    const web = seen[1].services.get("tcp 192.0.2.10:80")!;
    expect(web.c).toEqual([3, 18, 0, 1200, 0]);
    expect(web.a).toBe(2);
    expect(web.d.get("10.0.0.11:80")!.c).toEqual([3, 18, 0, 1200, 0]);
    // the sampler's clock is performance.now(): the rate is per real second, only its sign is certain here
    expect(web.r!.every((n) => n >= 0)).toBe(true);
    expect(seen[1].totals!.c[0]).toBe(3);

    // ipvsadm -Z: counters drop, rates stay non-negative
    await kernel.stats.zero([{ protocol: "tcp", family: 4, address: "192.0.2.10", port: 80, fwmark: 0 }]);
    await clock.advance(1000);
    expect(seen[2].services.get("tcp 192.0.2.10:80")!.c).toEqual([0, 0, 0, 0, 0]);
    expect(seen[2].services.get("tcp 192.0.2.10:80")!.r).toEqual([0, 0, 0, 0, 0]);

    unsubscribe();
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(5000);
    expect(seen).toHaveLength(3);
  });

  it("a kernel read that fails is logged once per distinct error and sampling goes on", async () => {
    const clock = new FakeClock();
    const kernel = new FakeKernel();
    const logs: unknown[] = [];
    let fail = true;
    const stats = { ...kernel.stats, listStats: async () => (fail ? Promise.reject(new Error("ipvsadm: not found")) : kernel.stats.listStats()) };
    const collector = new StatsCollector({ kernel: stats, intervalMs: 1000, owned: () => new Set(), clock, log: (e) => logs.push(e) });
    const seen: StatsSnapshot[] = [];
    collector.subscribe((s) => seen.push(s));
    await clock.advance(3000);
    expect(logs).toEqual([{ event: "stats-error", message: "ipvsadm: not found" }]);
    fail = false;
    await clock.advance(1000);
    expect(seen).toHaveLength(1);
  });
});
