import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { StatsFrameSchema } from "../../../shared/agent-protocol";
import { validateDesiredState } from "../../../shared/desired-state/resolve";
import { applyFrame, buildFrame, entryChanged, snapshotOf, type EntrySnapshot, type Five, type ServiceSnapshot, type StatsSnapshot } from "./frames";
import { buildSample, computeRates } from "./stats";

const read = (name: string) => readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const sample = (s: "a" | "b" | "c") =>
  buildSample(Number(read(`sampled-at.${s}.txt`).trim()) * 1000, read(`ipvsadm-Ln-stats-exact.${s}.txt`), read(`proc-net-ip_vs.${s}.txt`), read(`proc-net-ip_vs_stats.${s}.txt`));

const Z: Five = [0, 0, 0, 0, 0];
const e = (c: Five, r: Five | null = Z, a = 0, i = 0): EntrySnapshot => ({ c, r, a, i });
const svc = (self: EntrySnapshot, d: Record<string, EntrySnapshot> = {}): ServiceSnapshot => ({ ...self, d: new Map(Object.entries(d)) });
const snap = (services: Record<string, ServiceSnapshot>, at = 1_000): StatsSnapshot => ({ at, services: new Map(Object.entries(services)), totals: { c: [9, 9, 9, 9, 9], r: Z } });
const opts = { seq: 1, intervalMs: 1000, full: false };

describe("entryChanged: what a delta frame must carry", () => {
  it.each([
    ["new entry", undefined, e([1, 1, 1, 1, 1]), true],
    ["same counters, zero rates", e([5, 5, 5, 5, 5]), e([5, 5, 5, 5, 5]), false],
    ["a counter moved", e([5, 5, 5, 5, 5]), e([5, 6, 5, 5, 5], [0, 1, 0, 0, 0]), true],
    ["counters equal but rates non-zero (reset to the same value)", e([5, 5, 5, 5, 5]), e([5, 5, 5, 5, 5], [5, 0, 0, 0, 0]), true],
    ["active connections changed", e([5, 5, 5, 5, 5], Z, 1, 0), e([5, 5, 5, 5, 5], Z, 2, 0), true],
    ["inactive connections changed", e([5, 5, 5, 5, 5], Z, 0, 3), e([5, 5, 5, 5, 5], Z, 0, 2), true],
    ["rates unknown (first sample of the entry)", e([5, 5, 5, 5, 5]), e([5, 5, 5, 5, 5], null), true],
  ] as const)("%s", (_name, acked, current, changed) => {
    expect(entryChanged(acked, current)).toBe(changed);
  });
});

describe("buildFrame", () => {
  const base = snap({
    "tcp 192.0.2.10:80": svc(e([10, 60, 0, 3940, 0], [1, 6, 0, 394, 0], 2, 1), { "10.0.0.11:80": e([5, 30, 0, 1970, 0], [1, 6, 0, 394, 0], 1, 1), "10.0.0.12:80": e([5, 30, 0, 1970, 0], Z, 1, 0) }),
    "udp 192.0.2.10:53": svc(e([1, 1, 0, 40, 0]), { "10.0.0.11:53": e([1, 1, 0, 40, 0]) }),
    "fwmark 5 ipv4": svc(e(Z), { "10.0.0.11:0": e(Z) }),
  });

  it.each<[string, StatsSnapshot, unknown]>([
    [
      "nothing moved: only the entries whose rates were non-zero go back to zero by being absent",
      snap({
        "tcp 192.0.2.10:80": svc(e([10, 60, 0, 3940, 0], Z, 2, 1), { "10.0.0.11:80": e([5, 30, 0, 1970, 0], Z, 1, 1), "10.0.0.12:80": e([5, 30, 0, 1970, 0], Z, 1, 0) }),
        "udp 192.0.2.10:53": svc(e([1, 1, 0, 40, 0]), { "10.0.0.11:53": e([1, 1, 0, 40, 0]) }),
        "fwmark 5 ipv4": svc(e(Z), { "10.0.0.11:0": e(Z) }),
      }),
      { services: [] },
    ],
    [
      "one destination moved: its service (own fields) with just that destination",
      snap({
        "tcp 192.0.2.10:80": svc(e([11, 66, 0, 4334, 0], [1, 6, 0, 394, 0], 2, 1), { "10.0.0.11:80": e([5, 30, 0, 1970, 0], Z, 1, 1), "10.0.0.12:80": e([6, 36, 0, 2364, 0], [1, 6, 0, 394, 0], 1, 0) }),
        "udp 192.0.2.10:53": svc(e([1, 1, 0, 40, 0]), { "10.0.0.11:53": e([1, 1, 0, 40, 0]) }),
        "fwmark 5 ipv4": svc(e(Z), { "10.0.0.11:0": e(Z) }),
      }),
      { services: [{ k: "tcp 192.0.2.10:80", c: [11, 66, 0, 4334, 0], r: [1, 6, 0, 394, 0], a: 2, i: 1, d: [{ k: "10.0.0.12:80", c: [6, 36, 0, 2364, 0], r: [1, 6, 0, 394, 0], a: 1, i: 0 }] }] },
    ],
    [
      "a destination and a service removed, a service added",
      snap({
        "tcp 192.0.2.10:80": svc(e([10, 60, 0, 3940, 0], Z, 2, 1), { "10.0.0.11:80": e([5, 30, 0, 1970, 0], Z, 1, 1) }),
        "udp 192.0.2.10:53": svc(e([1, 1, 0, 40, 0]), { "10.0.0.11:53": e([1, 1, 0, 40, 0]) }),
        "tcp [2001:db8::1]:443": svc(e(Z, null), { "[2001:db8::11]:443": e(Z, null) }),
      }),
      {
        services: [
          { k: "tcp 192.0.2.10:80", c: [10, 60, 0, 3940, 0], r: Z, a: 2, i: 1, d: [], gone: ["10.0.0.12:80"] },
          { k: "tcp [2001:db8::1]:443", c: Z, r: null, a: 0, i: 0, d: [{ k: "[2001:db8::11]:443", c: Z, r: null, a: 0, i: 0 }] },
        ],
        gone: ["fwmark 5 ipv4"],
      },
    ],
  ])("%s", (_name, current, expected) => {
    const frame = buildFrame(base, current, opts);
    expect(frame).toEqual({ seq: 1, at: 1000, intervalMs: 1000, full: false, totals: current.totals, ...(expected as object) });
    expect(StatsFrameSchema.safeParse(frame).success).toBe(true);
    // the panel's view after applying the frame is the current snapshot
    expect(applyFrame(base, frame)).toEqual(current);
  });

  it("full frames list everything and no gone; first frame (nothing acknowledged) is full", () => {
    const current = snap({ "udp 192.0.2.10:53": svc(e([1, 1, 0, 40, 0]), { "10.0.0.11:53": e([1, 1, 0, 40, 0]) }) });
    for (const frame of [buildFrame(base, current, { ...opts, full: true }), buildFrame(null, current, opts)]) {
      expect(frame.full).toBe(true);
      expect(frame.gone).toBeUndefined();
      expect(frame.services).toEqual([{ k: "udp 192.0.2.10:53", c: [1, 1, 0, 40, 0], r: Z, a: 0, i: 0, d: [{ k: "10.0.0.11:53", c: [1, 1, 0, 40, 0], r: Z, a: 0, i: 0 }] }]);
      expect(applyFrame(base, frame)).toEqual(current);
    }
  });
});

describe("snapshots from recorded kernel samples", () => {
  const a = sample("a");
  const b = sample("b");
  const c = sample("c");

  it("keeps only the owned services; keys are the desired-state keys", () => {
    const owned = new Set(["tcp 10.0.0.100:80", "tcp [fd00::100]:80", "fwmark 1 ipv4", "fwmark 2 ipv6"]);
    const s = snapshotOf(1, a, null, owned);
    expect([...s.services.keys()].sort()).toEqual([...owned].sort());
    expect([...s.services.get("tcp 10.0.0.100:80")!.d.keys()]).toEqual(["10.0.0.11:80", "10.0.0.12:80"]);
    expect(s.services.get("tcp 10.0.0.100:80")!.r).toBeNull();
    expect(s.totals!.c[0]).toBe(11);
  });

  it("the listing's keys are what the desired state names (services, destinations, fwmark port 0, IPv6)", () => {
    const desired = validateDesiredState({
      schemaVersion: 1,
      generation: 1,
      addresses: [],
      realServer: null,
      sysctls: {},
      fwmarks: [],
      ipvs: {
        services: [
          { protocol: "tcp", address: "10.0.0.100", port: 80, scheduler: "rr", destinations: [{ address: "10.0.0.11", forwarding: "dr" }, { address: "10.0.0.12", forwarding: "dr" }] },
          { protocol: "tcp", address: "fd00:0:0:0::100", port: 80, scheduler: "rr", destinations: [{ address: "fd00::11", forwarding: "dr" }] },
          { protocol: "fwmark", fwmark: 1, family: "ipv4", scheduler: "rr", destinations: [{ address: "10.0.0.12", forwarding: "dr" }] },
        ],
      },
    });
    expect(desired.ok).toBe(true);
    if (!desired.ok) return;
    for (const service of desired.resolved.ipvs.services) {
      const listed = a.services.get(service.key);
      expect(listed, service.key).toBeDefined();
      for (const d of service.destinations) expect(listed!.destinations.has(d.key), `${service.key} ${d.key}`).toBe(true);
    }
  });

  it("a counter reset (c) gives non-negative rates in the frame, and the delta carries the reset service", () => {
    const owned = new Set(["tcp 10.0.0.100:80"]);
    const sb = snapshotOf(2, b, computeRates(a, b), owned);
    const sc = snapshotOf(3, c, computeRates(b, c), owned);
    const frame = buildFrame(sb, sc, opts);
    const web = frame.services.find((s) => s.k === "tcp 10.0.0.100:80")!;
    expect(web.c[0]).toBe(2);
    expect(web.r!.every((n) => n >= 0)).toBe(true);
    expect(web.r![0]).toBeGreaterThan(0);
    expect(StatsFrameSchema.safeParse(frame).success).toBe(true);
  });
});
