import { describe, expect, it } from "vitest";
import type { StatsPoint } from "@/shared/live";
import { formatCount, formatRate, formatTick, formatTimeTick, lastSeenText, siNumber, timeStep } from "./format";
import { clientFilterError, expireText } from "./connections";
import { appendEntries, appendWindow, ipvsadmServiceLine, lastValue, maxGapFor, mergeSeries, mergeWindow, pick, toXY } from "./series";

const pt = (t: number, conns = 0, extra: Partial<StatsPoint> = {}): StatsPoint => ({
  t,
  rates: { conns, inpkts: 2 * conns, outpkts: conns, inbytes: 100 * conns, outbytes: 1000 * conns },
  active: 0,
  inactive: 0,
  ...extra,
});

describe("siNumber / formatRate", () => {
  it.each([
    [0, "0"],
    [0.5, "0.5"],
    [0.004, "0.004"],
    [1, "1"],
    [12, "12"],
    [12.5, "12.5"],
    [999, "999"],
    [999.96, "1 k"],
    [1000, "1 k"],
    [1234, "1.23 k"],
    [12_345, "12.3 k"],
    [123_456, "123 k"],
    [999_999, "1 M"],
    [34_500_000, "34.5 M"],
    [2.5e9, "2.5 G"],
    [-1200, "-1.2 k"],
    [Number.NaN, "–"],
  ])("%d -> %s", (v, text) => expect(siNumber(v)).toBe(text));

  it("adds the unit the way admins write it", () => {
    expect(formatRate(1200, "conns")).toBe("1.2 k conn/s");
    expect(formatRate(12.5, "conns")).toBe("12.5 conn/s");
    expect(formatRate(34_500_000, "bytes")).toBe("34.5 MB/s");
    expect(formatRate(512, "bytes")).toBe("512 B/s");
    expect(formatRate(0, "packets")).toBe("0 pkt/s");
    expect(formatTick(34_500_000)).toBe("34.5M");
    expect(formatCount(12345.4)).toBe("12,345");
  });
});

describe("time labels", () => {
  const t = new Date(2026, 10, 21, 14, 5, 9).getTime();
  it("picks seconds, minutes or dates by the visible span", () => {
    expect(formatTimeTick(t, 2 * 60_000)).toBe("14:05:09");
    expect(formatTimeTick(t, 15 * 60_000)).toBe("14:05");
    expect(formatTimeTick(t, 3_600_000)).toBe("14:05");
    expect(formatTimeTick(t, 86_400_000)).toBe("14:05");
    expect(formatTimeTick(t, 7 * 86_400_000)).toBe("Nov 21 14:05");
  });
  it("says how long ago an agent was seen", () => {
    const now = Date.parse("2026-11-21T14:00:00Z");
    expect(lastSeenText(null, now)).toBe("never");
    expect(lastSeenText("2026-11-21T13:59:55Z", now)).toBe("5 s ago");
    expect(lastSeenText("2026-11-21T13:57:00Z", now)).toBe("3 min ago");
    expect(lastSeenText("2026-11-21T12:00:00Z", now)).toBe("2 h ago");
    expect(lastSeenText("2026-11-19T14:00:00Z", now)).toBe("2 d ago");
    expect(lastSeenText("2026-11-21T14:00:03Z", now)).toBe("0 s ago"); // clock skew: never negative
  });
});

describe("series", () => {
  it("picks measures; packets are in + out", () => {
    const p = pt(1, 3, { active: 7, inactive: 2 });
    expect(pick(p, "conns")).toBe(3);
    expect(pick(p, "packets")).toBe(9);
    expect(pick(p, "inpkts")).toBe(6);
    expect(pick(p, "outpkts")).toBe(3);
    expect(pick(p, "inbytes")).toBe(300);
    expect(pick(p, "outbytes")).toBe(3000);
    expect(pick(p, "active")).toBe(7);
    expect(pick(p, "inactive")).toBe(2);
    expect(lastValue([pt(1, 1), pt(2, 5)], "conns")).toBe(5);
    expect(lastValue([], "conns")).toBeNull();
  });

  it("keeps a bounded window, replaces a same-time point, ignores an older one", () => {
    let w: StatsPoint[] = [];
    for (let t = 1000; t <= 20_000; t += 1000) w = appendWindow(w, pt(t, t / 1000), 10_000);
    expect(w.map((p) => p.t)).toEqual([10_000, 11_000, 12_000, 13_000, 14_000, 15_000, 16_000, 17_000, 18_000, 19_000, 20_000]);
    const same = appendWindow(w, pt(20_000, 99), 10_000);
    expect(same).toHaveLength(w.length);
    expect(same[same.length - 1].rates.conns).toBe(99);
    expect(appendWindow(w, pt(5_000, 1), 10_000)).toBe(w); // out of order: unchanged
    expect(w[w.length - 1].rates.conns).toBe(20); // the input was not mutated
  });

  it("marks gaps longer than the allowed one, so an offline agent breaks the line", () => {
    const xy = toXY([pt(1000, 1), pt(2000, 2), pt(9000, 3), pt(10_000, 4)], "conns", 3000);
    expect(xy).toEqual([
      { x: 1000, y: 1 },
      { x: 2000, y: 2 },
      { x: 2001, y: null },
      { x: 9000, y: 3 },
      { x: 10_000, y: 4 },
    ]);
    expect(maxGapFor("live", undefined)).toBe(3000);
    expect(maxGapFor("1h", 60_000)).toBe(180_000);
    expect(maxGapFor("7d", 3_600_000)).toBe(10_800_000);
  });

  it("appends a frame's entries per id without touching the others", () => {
    const before = new Map([["a", [pt(1000, 1)]], ["b", [pt(1000, 2)]]]);
    const entry = { rates: pt(0, 4).rates, active: 1, inactive: 0 };
    const after = appendEntries(before, 2000, [{ id: "a", ...entry }, { id: "c", ...entry }], 60_000);
    expect(after.get("a")!.map((p) => p.t)).toEqual([1000, 2000]);
    expect(after.get("b")).toBe(before.get("b"));
    expect(after.get("c")!.map((p) => p.rates.conns)).toEqual([4]);
    expect(before.get("a")).toHaveLength(1);
  });
});

describe("ipvsadm -Ln service line", () => {
  const base = { protocol: "TCP" as const, address: "192.0.2.10", port: 80, fwmark: null, scheduler: "wlc", schedulerFlags: [], persistenceTimeout: null, persistenceNetmask: null };
  it.each([
    [base, "TCP  192.0.2.10:80 wlc"],
    [{ ...base, persistenceTimeout: 120 }, "TCP  192.0.2.10:80 wlc persistent 120"],
    [{ ...base, persistenceTimeout: 120, persistenceNetmask: 24 }, "TCP  192.0.2.10:80 wlc persistent 120 mask 255.255.255.0"],
    [{ ...base, persistenceTimeout: 120, persistenceNetmask: 32 }, "TCP  192.0.2.10:80 wlc persistent 120"],
    [{ ...base, protocol: "UDP" as const, address: "2001:db8::1", port: 53, scheduler: "sh", schedulerFlags: ["sh-fallback"] }, "UDP  [2001:db8::1]:53 sh (sh-fallback)"],
    [{ ...base, protocol: "FWMARK" as const, port: null, fwmark: 5, scheduler: "rr" }, "FWM  5 rr"],
  ])("%o", (s, line) => expect(ipvsadmServiceLine(s)).toBe(line));
});

describe("timeStep", () => {
  it.each([
    [60_000, 10_000],
    [15 * 60_000, 5 * 60_000],
    [3_600_000, 10 * 60_000],
    [86_400_000, 6 * 3_600_000],
    [7 * 86_400_000, 2 * 86_400_000],
  ])("span %d ms -> step %d ms", (span, step) => {
    expect(timeStep(span)).toBe(step);
    expect(span / timeStep(span)).toBeLessThanOrEqual(6);
  });
});

describe("connection table helpers", () => {
  it("formats the expiry like ipvsadm -Lcn", () => {
    expect(expireText(0)).toBe("00:00");
    expect(expireText(59)).toBe("00:59");
    expect(expireText(119)).toBe("01:59");
    expect(expireText(900)).toBe("15:00");
  });
  it("accepts an address or its beginning as the client filter, nothing else", () => {
    expect(clientFilterError("")).toBeNull();
    expect(clientFilterError("198.51.100.")).toBeNull();
    expect(clientFilterError("198.51.100.7")).toBeNull();
    expect(clientFilterError("2001:db8:")).toBeNull();
    expect(clientFilterError("198.51.100.7; rm")).toMatch(/address/);
    expect(clientFilterError("x".repeat(65))).toMatch(/64/);
  });
});

describe("mergeWindow", () => {
  it("fills a gap from history without losing frames that arrived meanwhile", () => {
    const live = [pt(8000, 8), pt(9000, 9)];
    const history = [pt(5000, 5), pt(6000, 6), pt(7000, 7), pt(8000, 80)];
    expect(mergeWindow(live, history, 10_000).map((p) => [p.t, p.rates.conns])).toEqual([[5000, 5], [6000, 6], [7000, 7], [8000, 80], [9000, 9]]);
    expect(mergeWindow(live, history, 2000).map((p) => p.t)).toEqual([7000, 8000, 9000]);
    expect(mergeWindow([], [], 1000)).toEqual([]);
  });
  it("merges per id", () => {
    const m = mergeSeries(new Map([["a", [pt(2000)]], ["b", [pt(1000)]]]), new Map([["a", [pt(1000)]], ["c", [pt(3000)]]]), 60_000);
    expect([...m.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(m.get("a")!.map((p) => p.t)).toEqual([1000, 2000]);
  });
});
