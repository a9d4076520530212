import { describe, expect, it } from "vitest";
import { parseCommonService } from "./fast-service";
import { VirtualServiceSchema } from "./schema";

// A tiny seeded generator: the same entries on every run.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

// values that are right somewhere and wrong elsewhere
const ODD_VALUES: unknown[] = [
  undefined, null, true, "", "x", "192.0.2.1", "2001:db8::1", -1, 0, 1, 1.5, 65535, 65536, 3600, 3601, 2147483647, 2147483648, Number.NaN, Infinity,
  [], ["sh-port"], ["nope"], {}, { address: "10.0.0.1" }, "rr", "wlc", "nat", "dr", "quiesce", "remove", "tcp", "udp", "fwmark",
];

function goodDestination(r: () => number): Record<string, unknown> {
  const d: Record<string, unknown> = { address: pick(r, ["10.0.0.1", "10.0.0.2", "2001:db8::5", "not-an-ip"]), forwarding: pick(r, ["dr", "nat", "tun"]) };
  if (r() < 0.4) d.port = Math.floor(r() * 65536);
  if (r() < 0.5) d.weight = Math.floor(r() * 100);
  if (r() < 0.2) d.upperThreshold = Math.floor(r() * 1000);
  if (r() < 0.2) d.lowerThreshold = Math.floor(r() * 1000);
  // input key order varies: the output's must not
  return r() < 0.5 ? d : Object.fromEntries(Object.entries(d).reverse());
}

function goodService(r: () => number): Record<string, unknown> {
  const s: Record<string, unknown> = {
    protocol: pick(r, ["tcp", "udp"]),
    address: pick(r, ["192.0.2.10", "2001:db8::10", "bad"]),
    port: Math.floor(r() * 65536),
    scheduler: pick(r, ["rr", "wrr", "wlc", "sh", "mh", "ovf"]),
    destinations: Array.from({ length: Math.floor(r() * 4) }, () => goodDestination(r)),
  };
  if (r() < 0.3) s.schedulerFlags = r() < 0.5 ? ["sh-port"] : ["flag-1", "flag-3"];
  if (r() < 0.3) s.onFailure = pick(r, ["quiesce", "remove"]);
  if (r() < 0.3) s.slowStartSeconds = Math.floor(r() * 3601);
  return r() < 0.5 ? s : Object.fromEntries(Object.entries(s).reverse());
}

/** One random change: a key set to an odd value, removed, or added, at the service or a destination. */
function mutate(r: () => number, entry: Record<string, unknown>): unknown {
  const copy = structuredClone(entry);
  const dests = copy.destinations as Record<string, unknown>[];
  const target = dests.length > 0 && r() < 0.4 ? pick(r, dests) : copy;
  const keys = target === copy ? ["protocol", "address", "port", "scheduler", "schedulerFlags", "destinations", "onFailure", "slowStartSeconds", "persistence", "healthCheck", "extra"] : ["address", "port", "forwarding", "weight", "upperThreshold", "lowerThreshold", "extra"];
  const key = pick(r, keys);
  const what = r();
  if (what < 0.2) delete target[key];
  else target[key] = pick(r, ODD_VALUES);
  return copy;
}

function check(entry: unknown): "fast" | "zod" {
  const fast = parseCommonService(entry);
  const zod = VirtualServiceSchema.safeParse(entry);
  if (fast === null) return "zod";
  // whatever the fast path accepts, zod accepts with the same value, key order included
  expect(zod.success, JSON.stringify(entry)).toBe(true);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  expect(fast).toStrictEqual(zod.data);
  return "fast";
}

describe("parseCommonService agrees with zod", () => {
  it("on generated common entries (all taken by the fast path)", () => {
    const r = rng(1);
    for (let i = 0; i < 2000; i++) expect(check(goodService(r))).toBe("fast");
  });

  it("on 5,000 mutated entries: whatever it accepts zod accepts the same way, the rest is zod's", () => {
    const r = rng(2);
    const counts = { fast: 0, zod: 0 };
    for (let i = 0; i < 5000; i++) counts[check(mutate(r, goodService(r)))]++;
    // both paths are exercised
    expect(counts.fast).toBeGreaterThan(500);
    expect(counts.zod).toBeGreaterThan(1500);
  });

  it.each([
    ["fwmark services", { protocol: "fwmark", fwmark: 1, family: "ipv4", scheduler: "rr", destinations: [] }],
    ["persistence", { protocol: "tcp", address: "192.0.2.1", port: 80, scheduler: "rr", persistence: { timeout: 300 }, destinations: [] }],
    ["health checks", { protocol: "tcp", address: "192.0.2.1", port: 80, scheduler: "rr", destinations: [], healthCheck: { type: "tcp" } }],
    ["a key holding undefined", { protocol: "tcp", address: "192.0.2.1", port: 80, scheduler: "rr", destinations: [{ address: "10.0.0.1", forwarding: "dr", port: undefined }] }],
    ["a sparse destination list", { protocol: "tcp", address: "192.0.2.1", port: 80, scheduler: "rr", destinations: new Array(1) }],
    ["an object with a prototype", Object.assign(Object.create({ inherited: 1 }), { protocol: "tcp", address: "192.0.2.1", port: 80, scheduler: "rr", destinations: [] })],
  ])("leaves %s to zod", (_name, entry) => {
    expect(parseCommonService(entry)).toBeNull();
  });
});
