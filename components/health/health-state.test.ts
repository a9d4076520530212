import { describe, expect, it } from "vitest";
import type { RealServerHealthView } from "@/shared/cluster";
import { drainPhase, elapsedText, mergeHealthFrame, realServerBadge } from "./health-state";
import { healthFieldKey, readHealthFields, healthFormDefaults } from "./health-form";

const view = (hostName: string, status: RealServerHealthView["status"], extra: Partial<RealServerHealthView> = {}): RealServerHealthView => ({
  realServerId: "r1",
  virtualServiceId: "s1",
  hostId: hostName,
  hostName,
  status,
  since: "2026-11-21T10:00:00.000Z",
  lastCheckAt: "2026-11-21T10:00:01.000Z",
  latencyMs: status === "up" ? 1.25 : null,
  reason: status === "up" ? "HTTP 200" : "connect ECONNREFUSED",
  action: status === "down" ? "quiesced" : "none",
  ...extra,
});
const drain = { startedAt: "2026-11-21T10:00:00.000Z", timeoutSeconds: 60, startedByName: "olga" };
const T0 = Date.parse(drain.startedAt);

describe("realServerBadge", () => {
  it.each([
    ["draining wins over health", [view("lb1", "down")], drain, true, "draining", "warn"],
    ["no check", [], null, false, "unchecked", "neutral"],
    ["checked, no report yet", [], null, true, "unknown", "neutral"],
    ["all up", [view("lb1", "up"), view("lb2", "up", { latencyMs: 3 })], null, true, "up", "ok"],
    ["all down", [view("lb1", "down"), view("lb2", "down")], null, true, "down", "danger"],
    ["directors disagree", [view("lb1", "up"), view("lb2", "down")], null, true, "mixed", "warn"],
  ] as const)("%s", (_n, views, d, checked, kind, tone) => {
    const b = realServerBadge([...views], d, checked);
    expect([b.kind, b.tone]).toEqual([kind, tone]);
  });

  it("the tooltip names each director with reason, latency and action; up shows the worst latency", () => {
    const b = realServerBadge([view("lb2", "up", { latencyMs: 12.4 }), view("lb1", "up")], null, true);
    expect(b.label).toBe("up 12 ms");
    expect(b.title.split("\n")[0]).toMatch(/^lb1: up — HTTP 200 \(1\.3 ms\), since/);
    const down = realServerBadge([view("lb1", "down")], null, true);
    expect(down.title).toMatch(/lb1: down — connect ECONNREFUSED, quiesced/);
  });
});

describe("mergeHealthFrame", () => {
  it("replaces the (real server, director) entries of the frame and keeps the rest", () => {
    const prev = [view("lb1", "up"), view("lb2", "up")];
    const { hostId: _h, ...incoming } = view("lb2", "down");
    const next = mergeHealthFrame(prev, { clusterId: "c1", entries: [incoming], sorryActive: [] });
    expect(next.map((e) => `${e.hostName}:${e.status}:${e.hostId}`).sort()).toEqual(["lb1:up:lb1", "lb2:down:lb2"]);
    expect(mergeHealthFrame(prev, { clusterId: "c1", entries: [], sorryActive: [] })).toBe(prev);
  });
});

describe("drainPhase", () => {
  it.each([
    ["connections left, before the timeout", 30, { active: 3, inactive: 1 }, "draining"],
    ["no connection left", 5, { active: 0, inactive: 0 }, "drained"],
    ["timeout passed with connections", 61, { active: 1, inactive: 0 }, "timed-out"],
    ["counts unknown, before the timeout", 30, null, "draining"],
    ["counts unknown, timeout passed", 60, null, "timed-out"],
  ] as const)("%s", (_n, seconds, counts, phase) => {
    expect(drainPhase(drain, T0 + seconds * 1000, counts)).toBe(phase);
  });

  it("elapsed text", () => {
    expect([5, 125, 3725].map((s) => elapsedText(drain.startedAt, T0 + s * 1000))).toEqual(["5s", "2m 05s", "1h 02m"]);
  });
});

describe("health form", () => {
  it("maps schema paths to the dialog's fields", () => {
    expect(["healthCheck.path", "healthCheck.timeoutMs", "healthCheck", "healthCheck.name", "sorryServer.port", "sorryServer.address", "port"].map(healthFieldKey)).toEqual([
      "hcPath",
      "hcTimeoutMs",
      "hcType",
      "hcDnsName",
      "sorryPort",
      "sorryAddress",
      "port",
    ]);
  });

  it("reads only the chosen type's fields; no type = no check; empty sorry address = none", () => {
    const v = { ...healthFormDefaults(), hcType: "http" as const, hcHost: "www.example.com", hcPath: "/health", hcDnsName: "ignored" };
    const errors = {};
    expect(readHealthFields(v, errors)).toEqual({
      healthCheck: { type: "http", intervalMs: 300, timeoutMs: 500, rise: 2, fall: 2, port: null, path: "/health", host: "www.example.com", expectStatus: "200-399", expectBody: "", bodyIsRegex: false, tlsVerify: false },
      onFailure: "QUIESCE",
      slowStartSeconds: 0,
      sorryServer: null,
    });
    expect(readHealthFields(healthFormDefaults(), {}).healthCheck).toBeNull();
    const bad: Record<string, string> = {};
    readHealthFields({ ...v, hcIntervalMs: "fast" }, bad);
    expect(bad).toEqual({ hcIntervalMs: "Enter a whole number" });
  });
});
