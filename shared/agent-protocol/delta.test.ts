import { describe, expect, it } from "vitest";
import { DesiredDeltaPushSchema, type DesiredPush } from "./index";
import { applyServicesDelta, computeServicesDelta, deltaPushFor } from "./delta";

const svc = (i: number, weight = 1) => ({
  protocol: "tcp",
  address: `192.0.2.${i}`,
  port: 80,
  scheduler: "wlc",
  destinations: [{ address: "10.0.0.11", forwarding: "dr", weight }],
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => svc(from + k));
const doc = (generation: number, services: unknown[]) => ({ schemaVersion: 1, generation, host: "lb1", ipvs: { services, timeouts: null }, addresses: [], realServer: null, sysctls: {}, fwmarks: [] });

describe("computeServicesDelta / applyServicesDelta", () => {
  const base = range(0, 10);
  const cases: Array<[string, unknown[], unknown[]]> = [
    ["unchanged: one run", base, [[0, 10]]],
    ["one edit in place", [...range(0, 4), svc(4, 9), ...range(5, 10)], [[0, 4], svc(4, 9), [5, 5]]],
    ["appended", [...base, svc(10)], [[0, 10], svc(10)]],
    ["inserted in the middle", [...range(0, 3), svc(50), ...range(3, 10)], [[0, 3], svc(50), [3, 7]]],
    ["removed from the middle", [...range(0, 3), ...range(4, 10)], [[0, 3], [4, 6]]],
    ["reordered", [...range(5, 10), ...range(0, 5)], [[5, 5], [0, 5]]],
    ["all new", [svc(100), svc(101)], [svc(100), svc(101)]],
    ["emptied", [], []],
  ];
  it.each(cases)("%s", (_name, next, delta) => {
    const computed = computeServicesDelta(base, next);
    expect(computed).toEqual(delta);
    expect(applyServicesDelta(base, computed)).toEqual(next);
  });

  it("the same lists changed in place between calls give the delta of what they hold now", () => {
    const before = range(0, 10);
    const after = range(0, 10);
    expect(computeServicesDelta(before, after)).toEqual([[0, 10]]);
    after[3] = svc(3, 7);
    expect(computeServicesDelta(before, after)).toEqual([[0, 3], svc(3, 7), [4, 6]]);
    before[3] = svc(3, 7);
    (after[5] as { destinations: Array<{ weight: number }> }).destinations[0].weight = 8;
    expect(computeServicesDelta(before, after)).toEqual([[0, 5], svc(5, 8), [6, 4]]);
  });

  it("a run outside the base is an error", () => {
    expect(() => applyServicesDelta(base, [[8, 3]])).toThrow(/outside the base's 10 services/);
  });
});

describe("deltaPushFor", () => {
  const push = (generation: number, services: unknown[], force = false): DesiredPush => ({ generation, revisionId: "r", state: doc(generation, services) as unknown as DesiredPush["state"], force });

  it("a delta against the accepted base: the shell without services, the services as runs; it parses as a DesiredDeltaPush", () => {
    const next = [...range(0, 4), svc(4, 9), ...range(5, 10)];
    const delta = deltaPushFor(push(3, next), { generation: 2, state: doc(2, range(0, 10)) })!;
    expect(delta).toEqual({
      generation: 3,
      revisionId: "r",
      force: false,
      base: 2,
      baseServices: 10,
      state: { schemaVersion: 1, generation: 3, host: "lb1", ipvs: { timeouts: null }, addresses: [], realServer: null, sysctls: {}, fwmarks: [] },
      services: [[0, 4], svc(4, 9), [5, 5]],
    });
    expect(DesiredDeltaPushSchema.safeParse(delta).success).toBe(true);
  });

  it("whole push (null) without a base, when forced, or when most services are new", () => {
    expect(deltaPushFor(push(3, range(0, 10)), null)).toBeNull();
    expect(deltaPushFor(push(3, range(0, 10), true), { generation: 2, state: doc(2, range(0, 10)) })).toBeNull();
    expect(deltaPushFor(push(3, range(20, 30)), { generation: 2, state: doc(2, range(0, 10)) })).toBeNull();
  });
});
