import { describe, expect, it } from "vitest";
import { endpoint, formatDateTime, markRuleText, persistenceText, plural, relativeTime, thresholdText } from "./format";

describe("format", () => {
  it.each([
    ["192.0.2.10", 80, "192.0.2.10:80"],
    ["2001:db8::1", 443, "[2001:db8::1]:443"],
    ["192.0.2.10", null, "192.0.2.10"],
  ])("endpoint(%s, %s) = %s", (address, port, text) => {
    expect(endpoint(address, port)).toBe(text);
  });

  it.each([
    [null, null, null, "—"],
    [120, null, null, "120 s"],
    [3600, 24, null, "3600 s /24"],
    [60, null, "sip", "60 s pe sip"],
  ])("persistenceText(%s, %s, %s) = %s", (t, m, e, text) => {
    expect(persistenceText(t, m, e)).toBe(text);
  });

  it.each<[string | null, number[], string]>([
    [null, [], "marked elsewhere"],
    [null, [80], "marked elsewhere"],
    ["tcp", [], "tcp every port"],
    ["tcp", [80, 443], "tcp 80,443"],
    ["udp", [53], "udp 53"],
  ])("markRuleText(%s, %o) = %s", (markProtocol, markPorts, text) => {
    expect(markRuleText({ markProtocol, markPorts })).toBe(text);
  });

  it.each([
    [0, 0, "—"],
    [100, 0, "100 / 0"],
    [0, 5, "∞ / 5"],
  ])("thresholdText(%s, %s) = %s", (u, l, text) => {
    expect(thresholdText(u, l)).toBe(text);
  });

  const now = Date.parse("2026-11-21T12:00:00Z");
  it.each([
    [null, "never"],
    ["2026-11-21T11:59:50Z", "just now"],
    ["2026-11-21T11:57:00Z", "3 min ago"],
    ["2026-11-21T09:00:00Z", "3 h ago"],
    ["2026-11-19T12:00:00Z", "2 d ago"],
  ])("relativeTime(%s) = %s", (iso, text) => {
    expect(relativeTime(iso, now)).toBe(text);
  });

  it("formatDateTime is fixed-width local time", () => {
    expect(formatDateTime(null)).toBe("—");
    expect(formatDateTime("garbage")).toBe("garbage");
    expect(formatDateTime("2026-11-21T12:00:00Z")).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it("plural", () => {
    expect(plural(1, "service")).toBe("1 service");
    expect(plural(1000, "service")).toBe("1,000 services");
  });
});
