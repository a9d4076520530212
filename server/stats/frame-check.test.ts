import { describe, expect, it } from "vitest";
import { StatsFrameSchema } from "@/shared/agent-protocol";
import { isStatsFrame } from "./frame-check";

const entry = (k: string) => ({ k, c: [10, 20, 30, 4000, 5000], r: [1, 2, 3, 400, 500], a: 3, i: 7 });
const valid = () => ({
  seq: 4,
  at: 1_763_700_000_000,
  intervalMs: 1000,
  full: false,
  services: [
    { ...entry("tcp 192.0.2.10:80"), d: [entry("10.0.0.11:80"), { ...entry("10.0.0.12:80"), r: null }], gone: ["10.0.0.13:80"] },
    { ...entry("fwmark 5 ipv4"), r: null, d: [] },
  ],
  gone: ["udp 192.0.2.10:53"],
  totals: { c: [1, 2, 3, 4, 5], r: null },
});

type Frame = ReturnType<typeof valid>;
type Any = Record<string, unknown>;
const edit = (f: (x: Frame & Any) => void) => {
  const x = valid() as Frame & Any;
  f(x);
  return x;
};
const svc = (x: Frame) => x.services[0] as Any & { d: Any[] };

// [name, payload] — the expected answer is whatever StatsFrameSchema says
const table: [string, unknown][] = [
  ["a valid compact frame", valid()],
  ["full frame without gone", edit((x) => ((x.full = true), delete (x as Any).gone, delete (svc(x) as Any).gone))],
  ["gone: undefined", edit((x) => ((x as Any).gone = undefined))],
  ["totals null", edit((x) => ((x as Any).totals = null))],
  ["totals with rates", edit((x) => (x.totals.r = [0, 0, 0, 0, 0] as unknown as null))],
  ["no services", edit((x) => (x.services = []))],
  ["fractional counters and rates", edit((x) => (svc(x).c = [0.5, 1e300, 0, 0, 0]))],
  ["-0 counter", edit((x) => (svc(x).c = [-0, 0, 0, 0, 0]))],
  ["key of 80 chars", edit((x) => (svc(x).k = "k".repeat(80)))],
  ["empty gone key", edit((x) => (x.gone = [""]))],
  ["intervalMs 100 and 3,600,000", edit((x) => (x.intervalMs = 100))],
  ["intervalMs 3,600,000", edit((x) => (x.intervalMs = 3_600_000))],
  ["seq 0", edit((x) => (x.seq = 0))],
  // invalid
  ["null", null],
  ["an array", [valid()]],
  ["a string", "frame"],
  ["unknown top-level key", edit((x) => (x.extra = 1))],
  ["unknown key undefined", edit((x) => (x.extra = undefined))],
  ["__proto__ key from JSON", JSON.parse(JSON.stringify(valid()).replace('"seq"', '"__proto__":{},"seq"'))],
  ["unknown service key", edit((x) => (svc(x).w = 1))],
  ["unknown destination key", edit((x) => (svc(x).d[0].w = 1))],
  ["unknown totals key", edit((x) => ((x.totals as Any).x = 1))],
  ["missing seq", edit((x) => delete (x as Any).seq)],
  ["missing totals", edit((x) => delete (x as Any).totals)],
  ["totals undefined", edit((x) => ((x as Any).totals = undefined))],
  ["missing d", edit((x) => delete (svc(x) as Any).d)],
  ["missing r", edit((x) => delete svc(x).d[0].r)],
  ["r undefined", edit((x) => (svc(x).d[0].r = undefined))],
  ["negative seq", edit((x) => (x.seq = -1))],
  ["fractional seq", edit((x) => (x.seq = 1.5))],
  ["seq beyond safe integers", edit((x) => (x.seq = 2 ** 53))],
  ["seq as string", edit((x) => ((x as Any).seq = "4"))],
  ["at 0", edit((x) => (x.at = 0))],
  ["at fractional", edit((x) => (x.at = 1.5))],
  ["intervalMs 99", edit((x) => (x.intervalMs = 99))],
  ["intervalMs 3,600,001", edit((x) => (x.intervalMs = 3_600_001))],
  ["full as 1", edit((x) => ((x as Any).full = 1))],
  ["services not an array", edit((x) => ((x as Any).services = {}))],
  ["service null", edit((x) => ((x as Any).services = [null]))],
  ["empty key", edit((x) => (svc(x).k = ""))],
  ["key of 81 chars", edit((x) => (svc(x).k = "k".repeat(81)))],
  ["key a number", edit((x) => (svc(x).k = 5))],
  ["4 counters", edit((x) => (svc(x).c = [1, 2, 3, 4]))],
  ["6 counters", edit((x) => (svc(x).c = [1, 2, 3, 4, 5, 6]))],
  ["negative counter", edit((x) => (svc(x).c = [1, 2, -3, 4, 5]))],
  ["NaN counter", edit((x) => (svc(x).c = [1, 2, Number.NaN, 4, 5]))],
  ["Infinity rate", edit((x) => (svc(x).r = [1, 2, Number.POSITIVE_INFINITY, 4, 5]))],
  ["counter as string", edit((x) => (svc(x).c = [1, 2, "3", 4, 5]))],
  ["counters an object", edit((x) => (svc(x).c = { 0: 1, 1: 2, 2: 3, 3: 4, 4: 5, length: 5 }))],
  ["fractional active", edit((x) => (svc(x).d[0].a = 1.5))],
  ["negative inactive", edit((x) => (svc(x).d[0].i = -1))],
  ["destination null", edit((x) => (svc(x).d[0] = null as unknown as Any))],
  ["destination with d", edit((x) => (svc(x).d[0].d = []))],
  ["gone with a number", edit((x) => (x.gone = [1 as unknown as string]))],
  ["service gone not an array", edit((x) => (svc(x).gone = "10.0.0.13:80"))],
  ["service gone null", edit((x) => (svc(x).gone = null))],
  ["totals an array", edit((x) => ((x as Any).totals = [1, 2, 3, 4, 5]))],
  ["totals without r", edit((x) => delete (x.totals as Any).r)],
  ["totals counters short", edit((x) => (x.totals.c = [1, 2, 3, 4]))],
  ["too many destinations", edit((x) => (svc(x).d = Array.from({ length: 10_001 }, (_, n) => entry(`10.0.${n >> 8}.${n & 255}:80`))))],
  ["10,000 destinations", edit((x) => (svc(x).d = Array.from({ length: 10_000 }, (_, n) => entry(`10.0.${n >> 8}.${n & 255}:80`))))],
];

describe("isStatsFrame agrees with StatsFrameSchema", () => {
  it.each(table)("%s", (_name, payload) => {
    const expected = StatsFrameSchema.safeParse(payload).success;
    expect(isStatsFrame(payload)).toBe(expected);
  });

  it("the table has both answers", () => {
    const answers = table.map(([, p]) => StatsFrameSchema.safeParse(p).success);
    expect(answers.filter(Boolean).length).toBeGreaterThan(10);
    expect(answers.filter((a) => !a).length).toBeGreaterThan(30);
  });

  it("a valid frame passes as the same value the schema returns", () => {
    const f = valid();
    expect(isStatsFrame(f)).toBe(true);
    expect(f).toEqual(StatsFrameSchema.parse(f));
  });

  it("random single-field mutations (seeded): same answer as the schema", () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pool: unknown[] = [null, undefined, 0, -1, 1.5, 99, 100, 2 ** 53, Number.NaN, "", "x", "k".repeat(81), true, [], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6], {}, { c: [1, 2, 3, 4, 5], r: null }];
    // every path to a leaf or a container of the valid frame
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, path: (string | number)[]) => {
      paths.push(path);
      if (v && typeof v === "object") for (const [k, c] of Object.entries(v)) walk(c, [...path, Array.isArray(v) ? Number(k) : k]);
    };
    walk(valid(), []);
    let disagreements = 0;
    let accepted = 0;
    for (let n = 0; n < 3000; n++) {
      const f = valid() as Any;
      const path = paths[Math.floor(rand() * paths.length)];
      const value = pool[Math.floor(rand() * pool.length)];
      if (path.length === 0) continue;
      let parent: Any = f;
      for (const p of path.slice(0, -1)) parent = parent[p as string] as Any;
      const last = path[path.length - 1];
      if (rand() < 0.1) delete parent[last as string];
      else parent[last as string] = value;
      if (rand() < 0.1) parent[`x${n % 3}`] = value;
      const expected = StatsFrameSchema.safeParse(f).success;
      if (expected) accepted++;
      if (isStatsFrame(f) !== expected) disagreements++;
    }
    expect(disagreements).toBe(0);
    // both answers occur
    expect(accepted).toBeGreaterThan(100);
    expect(accepted).toBeLessThan(2900);
  });
});
