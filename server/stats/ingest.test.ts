import { describe, expect, it } from "vitest";
import type { StatsFrame, StatsServiceEntry } from "@/shared/agent-protocol";
import type { ClusterSnapshot } from "@/shared/revisions";
import { StatsIngestService, type MappingSource } from "./ingest";
import { buildHostMapping, deployedKeys, type HostMapping } from "./mapping";
import { RING_SECONDS, SeriesRing } from "./ring";
import { MAX_EXACT_GAP_MS, counterIncrease, increases } from "./rollup";

const T0 = Date.UTC(2026, 10, 21, 14, 0, 0); // a minute boundary

function mapping(hostId: string, generation = 1): HostMapping {
  return {
    hostId,
    generation,
    services: new Map([
      [
        "tcp 192.0.2.10:80",
        {
          serviceId: "s1",
          clusterId: "c1",
          clusterName: "web",
          label: "TCP 192.0.2.10:80",
          destinations: new Map([
            ["10.0.0.11:80", { realServerId: "r1", label: "10.0.0.11:80" }],
            ["10.0.0.12:80", { realServerId: "r2", label: "10.0.0.12:80" }],
          ]),
        },
      ],
    ]),
  };
}

function source(generations: Record<string, number | null>): MappingSource {
  return {
    appliedGeneration: async (hostId) => generations[hostId] ?? null,
    load: async (hostId, generation) => mapping(hostId, generation),
  };
}

type C5 = [number, number, number, number, number];
const c = (conns: number): C5 => [conns, conns * 10, conns * 8, conns * 1000, conns * 5000];
const r = (conns: number): C5 => [conns, conns * 10, conns * 8, conns * 1000, conns * 5000];

function svc(conns: number, rate: number | null, active: number, d: StatsServiceEntry["d"] = []): StatsServiceEntry {
  return { k: "tcp 192.0.2.10:80", c: c(conns), r: rate === null ? null : r(rate), a: active, i: 0, d };
}
function frame(seq: number, at: number, full: boolean, services: StatsServiceEntry[], extra: Partial<StatsFrame> = {}): StatsFrame {
  return { seq, at, intervalMs: 1000, full, services, totals: null, ...extra };
}

async function setup(generations: Record<string, number | null> = { d1: 1 }) {
  let now = T0;
  const written: Parameters<NonNullable<ConstructorParameters<typeof StatsIngestService>[0]["writeRollups"]>>[0][] = [];
  const ingest = new StatsIngestService({
    mappings: source(generations),
    now: () => now,
    log: () => undefined,
    writeRollups: async (rows) => {
      written.push(rows);
    },
  });
  const clock = {
    set: (ms: number) => {
      now = ms;
    },
  };
  return { ingest, clock, written };
}

/** Feeds one frame per second at T0 + sec (agent and panel clocks equal). */
async function feed(env: Awaited<ReturnType<typeof setup>>, hostId: string, sec: number, f: (at: number) => StatsFrame) {
  const at = T0 + sec * 1000;
  env.clock.set(at);
  env.ingest.ingest(hostId, f(at));
  await env.ingest.refreshMapping(hostId);
}

describe("counterIncrease / increases", () => {
  it.each([
    ["grows", 100, 130, 30],
    ["unchanged", 100, 100, 0],
    ["reset to zero then grew (ipvsadm -Z, reboot)", 100, 7, 7],
    ["reset to exactly zero", 100, 0, 0],
  ])("%s: %d → %d = %d", (_name, prev, cur, expected) => {
    expect(counterIncrease(prev, cur)).toBe(expected);
  });

  it.each([
    ["exact from the previous sample", [10, 0, 0, 0, 0], [15, 0, 0, 0, 0], [3, 0, 0, 0, 0], 1000, [5, 0, 0, 0, 0]],
    ["first sample without a rate counts nothing", null, [500, 0, 0, 0, 0], null, 1000, [0, 0, 0, 0, 0]],
    ["unknown previous: one interval at the agent's rate", null, [500, 0, 0, 0, 0], [4, 0, 0, 0, 0], 1000, [4, 0, 0, 0, 0]],
    ["a gap over the limit is not credited", [10, 0, 0, 0, 0], [10_000, 0, 0, 0, 0], [2, 0, 0, 0, 0], MAX_EXACT_GAP_MS + 1, [2, 0, 0, 0, 0]],
    ["reset inside the five counters never goes negative", [10, 50, 0, 0, 0], [3, 60, 0, 0, 0], [1, 1, 0, 0, 0], 1000, [3, 10, 0, 0, 0]],
  ])("%s", (_name, prev, cur, rates, gap, expected) => {
    const out = increases(prev as number[] | null, cur as number[], rates as number[] | null, gap as number, 1000, new Float64Array(5));
    expect([...out]).toEqual(expected);
    expect([...out].every((v) => v >= 0)).toBe(true);
  });
});

describe("SeriesRing", () => {
  it("keeps RING_SECONDS seconds, marks skipped seconds as gaps and refuses too-old writes", () => {
    const ring = new SeriesRing();
    const v = (x: number) => [x, 0, 0, 0, 0, x, 0];
    expect(ring.write(1000, v(1))).toBe(true);
    expect(ring.write(1003, v(4))).toBe(true);
    expect(ring.has(1001)).toBe(false);
    expect(ring.get(1003, 0)).toBe(4);
    expect(ring.write(1002, v(3))).toBe(true); // late but inside the window
    expect(ring.get(1002, 0)).toBe(3);
    expect(ring.write(1003 + RING_SECONDS, v(9))).toBe(true);
    expect(ring.has(1003)).toBe(false);
    expect(ring.write(1003, v(1))).toBe(false);
    const agg = ring.aggregate(1000, 1004 + RING_SECONDS);
    expect(agg.samples).toBe(1);
    expect(agg.activeMax).toBe(9);
  });
});

describe("mapping from the deployed state and its revision snapshot", () => {
  const snapshot: ClusterSnapshot = {
    cluster: { id: "c1", name: "web", description: "" },
    directors: [{ id: "cd1", hostId: "d1", hostName: "lb1", vipInterface: "eth0", priority: 100 }],
    services: [
      {
        id: "s1", protocol: "TCP", address: "2001:db8:0::10", family: "ipv6", port: 443, fwmark: null, markProtocol: null, markPorts: [],
        scheduler: "wlc", schedulerFlags: [], persistenceTimeout: null, persistenceNetmask: null, persistenceEngine: null, description: "", enabled: true,
        realServers: [
          { id: "r1", hostId: null, hostName: null, address: "2001:db8::11", port: null, forwarding: "DR", weight: 1, upperThreshold: 0, lowerThreshold: 0, enabled: true },
          { id: "r2", hostId: null, hostName: null, address: "2001:db8::12", port: 8443, forwarding: "NAT", weight: 1, upperThreshold: 0, lowerThreshold: 0, enabled: true },
          { id: "r3", hostId: null, hostName: null, address: "2001:db8::13", port: null, forwarding: "DR", weight: 1, upperThreshold: 0, lowerThreshold: 0, enabled: true },
        ],
      },
      {
        id: "s2", protocol: "FWMARK", address: "192.0.2.20", family: "ipv4", port: null, fwmark: 5, markProtocol: "tcp", markPorts: [80],
        scheduler: "rr", schedulerFlags: [], persistenceTimeout: null, persistenceNetmask: null, persistenceEngine: null, description: "", enabled: true,
        realServers: [{ id: "r4", hostId: null, hostName: null, address: "10.0.0.21", port: null, forwarding: "DR", weight: 1, upperThreshold: 0, lowerThreshold: 0, enabled: true }],
      },
      {
        id: "s3", protocol: "UDP", address: "192.0.2.30", family: "ipv4", port: 53, fwmark: null, markProtocol: null, markPorts: [],
        scheduler: "rr", schedulerFlags: [], persistenceTimeout: null, persistenceNetmask: null, persistenceEngine: null, description: "", enabled: true,
        realServers: [],
      },
    ],
  };
  // what the director runs: s3 is not deployed yet (a draft applied later), r3 neither
  const deployed = JSON.stringify({
    schemaVersion: 1, generation: 4, host: "lb1", addresses: [], realServer: null, sysctls: {}, fwmarks: [],
    ipvs: {
      services: [
        { protocol: "tcp", address: "2001:db8::10", port: 443, scheduler: "wlc", destinations: [{ address: "2001:db8::11", forwarding: "dr" }, { address: "2001:db8::12", port: 8443, forwarding: "nat" }] },
        { protocol: "fwmark", fwmark: 5, family: "ipv4", scheduler: "rr", destinations: [{ address: "10.0.0.21", forwarding: "dr" }] },
      ],
    },
  });

  it("maps the agent's keys to ids, only for what the deployment contains", () => {
    const keys = deployedKeys(deployed);
    expect([...keys.keys()].sort()).toEqual(["fwmark 5 ipv4", "tcp [2001:db8::10]:443"]);
    const m = buildHostMapping("d1", 4, keys, [snapshot]);
    const web = m.services.get("tcp [2001:db8::10]:443")!;
    expect(web.serviceId).toBe("s1");
    expect(web.label).toBe("TCP [2001:db8::10]:443");
    expect([...web.destinations.entries()].map(([k, d]) => [k, d.realServerId])).toEqual([
      ["[2001:db8::11]:443", "r1"],
      ["[2001:db8::12]:8443", "r2"],
    ]);
    expect(m.services.get("fwmark 5 ipv4")!.destinations.get("10.0.0.21:0")!.realServerId).toBe("r4");
    expect(m.services.has("udp 192.0.2.30:53")).toBe(false);
  });

  it("ignores clusters the host does not direct", () => {
    const m = buildHostMapping("other", 4, deployedKeys(deployed), [snapshot]);
    expect(m.services.size).toBe(0);
  });
});

describe("StatsIngestService", () => {
  it("applies full then compact frames: an absent entry keeps its gauges with zero rates; gone removes", async () => {
    const env = await setup();
    const d = (k: string, conns: number, rate: number | null, a: number) => ({ k, c: c(conns), r: rate === null ? null : r(rate), a, i: 1 });
    await feed(env, "d1", 0, (at) => frame(0, at, true, [svc(100, null, 5, [d("10.0.0.11:80", 60, null, 3), d("10.0.0.12:80", 40, null, 2)])]));
    await feed(env, "d1", 1, (at) => frame(1, at, true, [svc(110, 10, 6, [d("10.0.0.11:80", 70, 10, 4), d("10.0.0.12:80", 40, 0, 2)])]));
    expect(env.ingest.latest("service", "s1")).toMatchObject({ rates: { conns: 10 }, active: 6 });
    expect(env.ingest.latest("realServer", "r1")).toMatchObject({ rates: { conns: 10 }, active: 4 });
    expect(env.ingest.latest("cluster", "c1")).toMatchObject({ rates: { conns: 10 }, active: 6 });
    // compact: only r1 changed; the service entry lists the changed destination
    await feed(env, "d1", 2, (at) => frame(2, at, false, [svc(112, 2, 6, [d("10.0.0.11:80", 72, 2, 4)])]));
    expect(env.ingest.latest("realServer", "r2")).toMatchObject({ rates: { conns: 0 }, active: 2, inactive: 1 });
    // compact with nothing listed: everything unchanged, zero rates
    await feed(env, "d1", 3, (at) => frame(3, at, false, []));
    expect(env.ingest.latest("service", "s1")).toMatchObject({ rates: { conns: 0 }, active: 6 });
    // the destination is removed
    await feed(env, "d1", 4, (at) => frame(4, at, false, [{ ...svc(112, 0, 4, []), gone: ["10.0.0.12:80"] }]));
    expect(env.ingest.latest("realServer", "r2")).toMatchObject({ active: 0 });
    expect(env.ingest.series("service", "s1", T0, T0 + 4000, 1).map((p) => p.rates.conns)).toEqual([10, 2, 0, 0]);
  });

  it("sums a service over the cluster's directors and drops a silent director", async () => {
    const env = await setup({ d1: 1, d2: 1 });
    await feed(env, "d1", 0, (at) => frame(0, at, true, [svc(100, null, 5)]));
    await feed(env, "d2", 0, (at) => frame(0, at, true, [svc(100, null, 5)]));
    await feed(env, "d1", 1, (at) => frame(1, at, true, [svc(103, 3, 5)]));
    await feed(env, "d2", 1, (at) => frame(1, at, true, [svc(104, 4, 7)]));
    expect(env.ingest.latest("service", "s1")).toMatchObject({ rates: { conns: 7 }, active: 12 });
    // the same second written again (a second frame of d2) replaces, never double counts
    await feed(env, "d2", 1, (at) => frame(2, at, false, [svc(105, 1, 7)]));
    expect(env.ingest.latest("service", "s1")).toMatchObject({ rates: { conns: 4 }, active: 12 });
    // d2 goes silent: after STALE_MS only d1 counts
    for (let s = 2; s <= 8; s++) await feed(env, "d1", s, (at) => frame(s, at, false, [svc(103 + s, 1, 5)]));
    expect(env.ingest.latest("service", "s1")).toMatchObject({ rates: { conns: 1 }, active: 5 });
    expect(env.ingest.presence("d2").online).toBe(false);
    expect(env.ingest.presence("d1").online).toBe(true);
  });

  it("frames before the mapping is known are not charted; an unmapped host counts nothing", async () => {
    const env = await setup({ d1: null });
    await feed(env, "d1", 0, (at) => frame(0, at, true, [svc(100, null, 5)]));
    await feed(env, "d1", 1, (at) => frame(1, at, true, [svc(110, 10, 5)]));
    expect(env.ingest.memory().services).toBe(0);
    expect(env.ingest.latest("service", "s1").rates.conns).toBe(0);
  });

  describe("1-minute rollups", () => {
    async function minute(env: Awaited<ReturnType<typeof setup>>, frames: [number, () => StatsServiceEntry[] | null, boolean?][]) {
      for (const [sec, services, full] of frames) {
        const list = services();
        if (list === null) continue; // a missing sample
        await feed(env, "d1", sec, (at) => frame(sec, at, full ?? true, list));
      }
      env.clock.set(T0 + 2 * 60_000 + 10_000);
      await env.ingest.flush();
      return env.written.flat().filter((row) => row.subject === "");
    }

    it.each([
      {
        name: "steady traffic: increase over the minute, average and max of active",
        // the first sample of the minute before primes the counters
        frames: [[-1, () => [svc(1000, null, 2)]], [0, () => [svc(1010, 10, 2)]], [30, () => [svc(1100, 3, 4)]], [59, () => [svc(1200, 3, 6)]]],
        expected: { samples: 3, conns: 200, activeAvg: 4, activeMax: 6 },
      },
      {
        name: "counter reset mid-minute (ipvsadm -Z): counted from zero, never negative",
        frames: [[-1, () => [svc(1000, null, 1)]], [10, () => [svc(1050, 5, 1)]], [20, () => [svc(5, 5, 1)]], [30, () => [svc(25, 2, 1)]]],
        expected: { samples: 3, conns: 50 + 5 + 20, activeAvg: 1, activeMax: 1 },
      },
      {
        name: "agent restart: first frame of the new connection has no rates, counters continue; the increase over the gap is exact",
        frames: [[-1, () => [svc(1000, null, 3)]], [5, () => [svc(1040, 8, 3)]], [40, () => [svc(1400, null, 3)]], [41, () => [svc(1410, 10, 3)]]],
        expected: { samples: 3, conns: 410, activeAvg: 3, activeMax: 3 },
      },
      {
        name: "missing samples: the counters still cover the whole minute; gauges average the seconds present",
        frames: [[-1, () => [svc(0, null, 0)]], [0, () => [svc(10, 10, 10)]], [1, () => null], [2, () => null], [3, () => [svc(40, 10, 20)]]],
        expected: { samples: 2, conns: 40, activeAvg: 15, activeMax: 20 },
      },
      {
        name: "compact frames: absent = unchanged (no increase), listed = exact increase",
        frames: [[-1, () => [svc(100, null, 2)]], [0, () => [svc(100, 0, 2)], false], [1, () => [], false], [2, () => [svc(130, 30, 2)], false], [3, () => [], false]],
        expected: { samples: 4, conns: 30, activeAvg: 2, activeMax: 2 },
      },
    ] as { name: string; frames: [number, () => StatsServiceEntry[] | null, boolean?][]; expected: Record<string, number> }[])("$name", async ({ frames, expected }) => {
      const env = await setup();
      const rows = await minute(env, frames);
      const row = rows.find((x) => x.bucket.getTime() === T0)!;
      expect(row).toBeDefined();
      expect(row).toMatchObject({ virtualServiceId: "s1", clusterId: "c1", ...expected });
      expect(row.inbytes).toBe(expected.conns * 1000);
      // written once: a second flush writes nothing more for the minute
      const before = env.written.flat().length;
      await env.ingest.flush();
      expect(env.written.flat().length).toBe(before);
    });

    it("real servers get their own rows (subject = real server id)", async () => {
      const env = await setup();
      const d = (conns: number, rate: number | null) => [{ k: "10.0.0.11:80", c: c(conns), r: rate === null ? null : r(rate), a: 1, i: 0 }];
      await feed(env, "d1", -1, (at) => frame(0, at, true, [svc(0, null, 1, d(0, null))]));
      await feed(env, "d1", 5, (at) => frame(1, at, true, [svc(9, 1, 1, d(9, 1))]));
      env.clock.set(T0 + 70_000);
      await env.ingest.flush();
      const rows = env.written.flat().filter((x) => x.bucket.getTime() === T0);
      expect(rows.map((x) => [x.subject, x.conns]).sort()).toEqual([
        ["", 9],
        ["r1", 9],
        ["r2", 0],
      ]);
    });

    it("a late increase for a minute already written goes into the next open minute", async () => {
      const env = await setup();
      await feed(env, "d1", 0, (at) => frame(0, at, true, [svc(0, null, 1)]));
      await feed(env, "d1", 1, (at) => frame(1, at, true, [svc(5, 5, 1)]));
      env.clock.set(T0 + 66_000);
      await env.ingest.flush();
      // a frame stamped in minute 0 arrives after minute 0 was written
      env.clock.set(T0 + 67_000);
      env.ingest.ingest("d1", frame(2, T0 + 2000, true, [svc(8, 3, 1)]));
      env.clock.set(T0 + 126_000);
      await env.ingest.flush();
      const all = env.written.flat().filter((x) => x.subject === "");
      expect(all.map((x) => [x.bucket.getTime() - T0, x.conns])).toEqual([
        [0, 5],
        [60_000, 3],
      ]);
    });
  });

  it("reports ring memory per series", async () => {
    const env = await setup();
    await feed(env, "d1", 0, (at) => frame(0, at, true, [svc(0, null, 1)]));
    const m = env.ingest.memory();
    expect(m).toMatchObject({ services: 1, realServers: 2, clusters: 1 });
    expect(m.totalRingBytes).toBe(4 * m.ringBytes);
  });
});
