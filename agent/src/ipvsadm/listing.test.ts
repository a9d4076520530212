import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fromList, fromProc, fromThresholdsAndProc, learnHz, parseIpvsList, parseProcIpvs, type ListedService } from "./listing";
import { formatSavedRules, parseSavedRules } from "./rules";

const fixture = (name: string) => readFileSync(path.join(__dirname, "fixtures", name), "utf8");
const byKey = <T extends { key: string }>(items: T[]) => [...items].sort((a, b) => a.key.localeCompare(b.key));

// All fixtures were recorded from the same table on the lab kernel (6.1, ipvsadm 1.31).
describe("/proc/net/ip_vs", () => {
  const proc = parseProcIpvs(fixture("proc-ip_vs-all-options.txt"));

  it("reads hex addresses, ports, schedulers and destinations", () => {
    const web = proc.find((s) => s.key === "tcp 10.0.0.1:80")!;
    expect(web.scheduler).toBe("wlc");
    expect(web.destinations.map((d) => [d.key, d.forwarding, d.weight, d.activeConns, d.inactConns])).toEqual([
      ["10.0.0.13:80", "tun", 1, 0, 0],
      ["10.0.0.12:8080", "nat", 0, 0, 0],
      ["10.0.0.11:80", "dr", 3, 0, 0],
    ]);
  });

  it("reads persistence as jiffies and masks (IPv6 prefixes come out byte-swapped)", () => {
    expect(proc.find((s) => s.key === "tcp 10.0.0.2:80")!.persistence).toEqual({ timeout: 75000, netmask: "255.255.255.0" });
    expect(proc.find((s) => s.key === "tcp [2001:db8::1]:443")!.persistence).toEqual({ timeout: 50000, netmask: "64" });
  });

  it("learns a fwmark service's family from its destinations or its mask", () => {
    expect(proc.filter((s) => s.protocol === "fwmark").map((s) => [s.key, s.familyKnown])).toEqual([
      ["fwmark 7 ipv4", true],
      ["fwmark 8 ipv6", true],
    ]);
    const bare = parseProcIpvs("FWM  00000009 rr \n");
    expect(bare[0].familyKnown).toBe(false);
  });

  it("converts to seconds once HZ is known, and marks what /proc cannot show", () => {
    const web = proc.find((s) => s.key === "tcp 10.0.0.1:80")!;
    expect(fromProc(web, 250).persistence).toEqual({ timeout: 120, netmask: "255.255.255.255" });
    expect(fromProc(web, null).persistence).toEqual({ timeout: -1, netmask: "255.255.255.255" });
    expect(fromProc(web, 250)).toMatchObject({ flagsKnown: false, thresholdsKnown: false });
  });
});

describe("ipvsadm -Ln listings", () => {
  it("reads flags, persistence, engine and IPv6 fwmarks from the service line", () => {
    const listed = parseIpvsList(fixture("list-all-options.txt"));
    expect(listed.find((s) => s.key === "tcp 10.0.0.2:80")).toMatchObject({
      scheduler: "sh",
      flags: ["sh-fallback", "sh-port"],
      persistence: { timeout: 300, netmask: "255.255.255.0" },
      pe: "sip",
    });
    expect(listed.find((s) => s.key === "fwmark 8 ipv6")).toMatchObject({ scheduler: "wrr", persistence: { timeout: 60, netmask: "64" } });
    expect(listed.find((s) => s.key === "udp 10.0.0.3:53")!.flags).toEqual(["mh-fallback"]);
  });

  it("reads thresholds from --thresholds", () => {
    const [service] = parseIpvsList(fixture("list-thresholds-service.txt"));
    expect(service.destinations.map((d) => [d.key, d.upperThreshold, d.lowerThreshold])).toEqual([
      ["10.0.0.11:80", 100, 10],
      ["10.0.0.12:8080", 0, 0],
      ["10.0.0.13:80", 0, 0],
    ]);
    const [list] = parseIpvsList(fixture("list-all-options.txt"));
    const full = fromList(list, service);
    expect(full.destinations[0]).toMatchObject({ forwarding: "dr", weight: 3, upperThreshold: 100, lowerThreshold: 10 });
    expect(full.thresholdsKnown).toBe(true);
    expect(fromList(list, null).thresholdsKnown).toBe(false);
  });

  it("a listing equals what -Sn shows, and /proc next to it teaches HZ", () => {
    const services = parseIpvsList(fixture("list-all-options.txt")).map((s) => fromList(s, null));
    expect(learnHz(parseProcIpvs(fixture("proc-ip_vs-all-options.txt")), services)).toBe(250);
    const saved = parseSavedRules(fixture("save-all-options.txt"));
    const strip = (s: { key: string; destinations: Array<{ key: string }> }) => ({ ...s, destinations: byKey(s.destinations) });
    expect(byKey(services.map(({ flagsKnown: _f, thresholdsKnown: _t, ...s }) => strip(s)))).toEqual(byKey(saved.map(strip)));
  });
});

describe("lab recording (lab/scenarios/record-fixtures.sh: every option, with traffic)", () => {
  it("-Sn round-trips byte for byte", () => {
    const text = fixture("lab-ipvsadm-Sn.txt");
    expect(formatSavedRules(parseSavedRules(text))).toBe(text);
  });

  it("the full read (-Ln + -Ln --thresholds) gives what -Sn shows, plus the thresholds -Sn omits", () => {
    const limits = new Map<string, ListedService>(parseIpvsList(fixture("lab-ipvsadm-Ln-thresholds.txt")).map((s) => [s.key, s]));
    const services = parseIpvsList(fixture("lab-ipvsadm-Ln.txt")).map((s) => fromList(s, limits.get(s.key) ?? null));
    expect(learnHz(parseProcIpvs(fixture("lab-proc-net-ip_vs.txt")), services)).toBe(250);
    const saved = parseSavedRules(fixture("lab-ipvsadm-Sn.txt"));
    const strip = (s: { key: string; destinations: Array<{ key: string; upperThreshold: number; lowerThreshold: number }> }) => ({
      ...s,
      destinations: byKey(s.destinations.map((d) => ({ ...d, upperThreshold: 0, lowerThreshold: 0 }))),
    });
    expect(byKey(services.map(({ flagsKnown: _f, thresholdsKnown: _t, ...s }) => strip(s)))).toEqual(byKey(saved.map(strip)));
    const https = services.find((s) => s.key === "tcp 10.0.0.100:443")!;
    expect(https.destinations.find((d) => d.key === "10.0.0.11:8443")).toMatchObject({ forwarding: "nat", weight: 3, upperThreshold: 100, lowerThreshold: 10 });
  });

  it("one listing (--thresholds) + /proc gives the same full read as -Ln + --thresholds; null when /proc misses or differs", () => {
    const limits = parseIpvsList(fixture("lab-ipvsadm-Ln-thresholds.txt"));
    const proc = parseProcIpvs(fixture("lab-proc-net-ip_vs.txt"));
    const byLimits = new Map<string, ListedService>(limits.map((s) => [s.key, s]));
    const twoListings = parseIpvsList(fixture("lab-ipvsadm-Ln.txt")).map((s) => fromList(s, byLimits.get(s.key) ?? null));
    const oneListing = fromThresholdsAndProc(limits, proc)!;
    expect(byKey(oneListing).map((s) => ({ ...s, destinations: byKey(s.destinations) }))).toEqual(byKey(twoListings).map((s) => ({ ...s, destinations: byKey(s.destinations) })));
    // /proc under-reports (a service, or a destination) or was read before a change: list again
    expect(fromThresholdsAndProc(limits, proc.slice(1))).toBeNull();
    const fewer = proc.map((s) => (s.destinations.length > 1 ? { ...s, destinations: s.destinations.slice(1) } : s));
    expect(fromThresholdsAndProc(limits, fewer)).toBeNull();
    expect(fromThresholdsAndProc(limits, proc.map((s) => ({ ...s, scheduler: "rr" })))).toBeNull();
  });

  it("every service of -Ln matches -Sn (flags, persistence, engine, forwarding, weight)", () => {
    const listed = parseIpvsList(fixture("lab-ipvsadm-Ln.txt")).map((s) => fromList(s, null));
    const saved = parseSavedRules(fixture("lab-ipvsadm-Sn.txt"));
    for (const s of saved) {
      const l = listed.find((x) => x.key === s.key)!;
      expect({ scheduler: l.scheduler, flags: l.flags, persistence: l.persistence, pe: l.pe }).toEqual({ scheduler: s.scheduler, flags: s.flags, persistence: s.persistence, pe: s.pe });
      expect(byKey(l.destinations).map((d) => [d.key, d.forwarding, d.weight])).toEqual(byKey(s.destinations).map((d) => [d.key, d.forwarding, d.weight]));
    }
  });
});
