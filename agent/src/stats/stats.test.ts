import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildSample, computeRates, parseProcIpvsStats, StatsSampler } from "./stats";

// Recorded on the lab kernel by lab/scenarios/record-fixtures.sh (see RECORDED.txt):
// a = 10 connections to 10.0.0.100:80 (+1 to [fd00::100]:80), b = 6 more, c = 10.0.0.100:80 deleted, re-created, 2 connections.
const read = (name: string) => readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const sample = (s: "a" | "b" | "c") =>
  buildSample(Number(read(`sampled-at.${s}.txt`).trim()) * 1000, read(`ipvsadm-Ln-stats-exact.${s}.txt`), read(`proc-net-ip_vs.${s}.txt`), read(`proc-net-ip_vs_stats.${s}.txt`));

describe("stats sample from the kernel's formats", () => {
  it("reads per-service and per-destination counters with active/inactive connections", () => {
    const a = sample("a");
    const web = a.services.get("tcp 10.0.0.100:80")!;
    expect(web).toMatchObject({ conns: 10, inpkts: 60, outpkts: 0, inbytes: 3940, outbytes: 0 });
    expect(web.destinations.get("10.0.0.11:80")).toMatchObject({ conns: 5, inpkts: 30, inbytes: 1970 });
    expect(web.activeconns + web.inactconns).toBeGreaterThan(0);
    expect(web.inactconns).toBe([...web.destinations.values()].reduce((n, d) => n + d.inactconns, 0));
    expect(a.services.get("tcp [fd00::100]:80")!.conns).toBe(1);
    expect(a.services.has("fwmark 2 ipv6")).toBe(true);
  });

  it("reads the host totals (hex) from /proc/net/ip_vs_stats", () => {
    expect(sample("a").totals).toEqual({ conns: 11, inpkts: 66, outpkts: 0, inbytes: 4455, outbytes: 0 });
    expect(parseProcIpvsStats(read("proc-net-ip_vs_stats.b.txt")).totals).toEqual({ conns: 17, inpkts: 102, outpkts: 0, inbytes: 6819, outbytes: 0 });
    expect(parseProcIpvsStats(read("proc-net-ip_vs_stats.b.txt")).kernelRates.conns).toBe(1);
  });
});

describe("rates between samples", () => {
  it("divides increases by the time between samples", () => {
    const a = sample("a");
    const b = sample("b");
    const rates = computeRates(a, b)!;
    const seconds = (b.at - a.at) / 1000;
    expect(rates.seconds).toBeCloseTo(seconds, 6);
    expect(rates.services.get("tcp 10.0.0.100:80")!.rates.conns).toBeCloseTo(6 / seconds, 6);
    expect(rates.totals!.conns).toBeCloseTo(6 / seconds, 6);
  });

  it("a counter reset (service re-created) never gives a negative rate", () => {
    const b = sample("b");
    const c = sample("c");
    expect(c.services.get("tcp 10.0.0.100:80")!.conns).toBeLessThan(b.services.get("tcp 10.0.0.100:80")!.conns);
    const rates = computeRates(b, c)!;
    const web = rates.services.get("tcp 10.0.0.100:80")!;
    for (const value of Object.values(web.rates)) expect(value).toBeGreaterThanOrEqual(0);
    // after a reset the increase is the new value: 2 connections since the reset
    expect(web.rates.conns).toBeCloseTo(2 / rates.seconds, 6);
    for (const [, service] of rates.services) {
      for (const value of [...Object.values(service.rates), ...[...service.destinations.values()].flatMap((d) => Object.values(d))]) expect(value).toBeGreaterThanOrEqual(0);
    }
  });

  it("no time between samples or a new entry gives no rate rather than a wrong one", () => {
    const a = sample("a");
    expect(computeRates(a, a)).toBeNull();
    const b = sample("b");
    a.services.delete("tcp 10.0.0.100:80");
    expect(computeRates(a, b)!.services.has("tcp 10.0.0.100:80")).toBe(false);
  });

  it("the sampler has no rates on its first sample (agent restart) and rates from the second on", async () => {
    const files = ["a", "b"] as const;
    let i = 0;
    let clock = 0;
    const sampler = new StatsSampler(
      {
        procIpvs: async () => read(`proc-net-ip_vs.${files[i]}.txt`),
        procIpvsStats: async () => read(`proc-net-ip_vs_stats.${files[i]}.txt`),
        listStats: async () => read(`ipvsadm-Ln-stats-exact.${files[i]}.txt`),
      },
      () => clock,
    );
    expect((await sampler.sample()).rates).toBeNull();
    i = 1;
    clock = 2000;
    const second = await sampler.sample();
    expect(second.rates!.services.get("tcp 10.0.0.100:80")!.rates.conns).toBe(3);
  });

  it("without IPVS there is nothing to sample and no error", async () => {
    const sampler = new StatsSampler({ procIpvs: async () => null, procIpvsStats: async () => null, listStats: async () => { throw new Error("must not be called"); } });
    expect((await sampler.sample()).sample).toMatchObject({ totals: null });
  });
});
