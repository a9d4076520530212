import { describe, expect, it } from "vitest";
import {
  FAST_POLL_MS,
  SLOW_POLL_MS,
  deploymentLabel,
  generationText,
  hostChipTone,
  isConflict,
  opTone,
  pollInterval,
  rolesText,
  summariseProgress,
  type ChipHost,
  type DeploymentStatus,
  type ProgressHost,
} from "./progress";

const host = (status: DeploymentStatus | null, online = true): ProgressHost => ({ status, online });

describe("opTone", () => {
  it.each([
    ["ipvs-add-service", "add"],
    ["ipvs-add-dest", "add"],
    ["address-add", "add"],
    ["link-up", "add"],
    ["sysctl-set", "add"],
    ["nft-replace", "add"],
    ["ipvs-edit-service", "change"],
    ["ipvs-edit-dest", "change"],
    ["ipvs-set-timeouts", "change"],
    ["ipvs-delete-dest", "remove"],
    ["ipvs-delete-service", "remove"],
    ["address-delete", "remove"],
    ["nft-delete", "remove"],
    ["link-down", "remove"],
    ["sysctl-restore", "remove"],
    ["ipvs-restore-timeouts", "remove"],
    ["ipvs-conflict", "conflict"],
    ["nft-conflict", "conflict"],
  ])("%s is %s", (kind, tone) => {
    expect(opTone(kind)).toBe(tone);
  });
});

describe("pollInterval", () => {
  it.each<[string, ProgressHost[], number | false]>([
    ["no hosts", [], false],
    ["everything applied", [host("applied"), host("applied")], false],
    ["applied and failed", [host("applied"), host("failed")], false],
    ["never published", [host(null)], false],
    ["superseded", [host("superseded")], false],
    ["online host pending", [host("applied"), host("pending")], FAST_POLL_MS],
    ["online host applying", [host("applying")], FAST_POLL_MS],
    ["only an offline host pending", [host("applied"), host("pending", false)], SLOW_POLL_MS],
    ["offline pending and online applying", [host("pending", false), host("applying")], FAST_POLL_MS],
    ["offline host already applied", [host("applied", false)], false],
  ])("%s", (_name, hosts, expected) => {
    expect(pollInterval(hosts)).toBe(expected);
  });
});

describe("summariseProgress", () => {
  it.each<[string, ProgressHost[], { settled: boolean; text: string }]>([
    ["nothing", [], { settled: true, text: "no host to update" }],
    ["all applied", [host("applied"), host("applied")], { settled: true, text: "2 applied" }],
    ["one failed", [host("applied"), host("failed")], { settled: true, text: "1 applied · 1 failed" }],
    ["in flight", [host("pending"), host("applying"), host("applied")], { settled: false, text: "1 applied · 2 in progress" }],
    ["offline waits but counts as settled", [host("applied"), host("pending", false)], { settled: true, text: "1 applied · 1 waiting for its agent to connect" }],
    ["superseded is not in flight", [host("superseded"), host("applied")], { settled: true, text: "1 applied · 1 superseded" }],
    ["two offline", [host("pending", false), host("pending", false)], { settled: true, text: "2 waiting for their agents to connect" }],
  ])("%s", (_name, hosts, expected) => {
    const s = summariseProgress(hosts);
    expect({ settled: s.settled, text: s.text }).toEqual(expected);
  });
});

describe("deploymentLabel", () => {
  it.each<[ProgressHost, string, string]>([
    [host("pending"), "pending", "accent"],
    [host("pending", false), "pending", "neutral"],
    [host("applying"), "applying", "accent"],
    [host("applied"), "applied", "ok"],
    [host("failed"), "failed", "danger"],
    [host("superseded"), "superseded", "neutral"],
    [host(null), "nothing published", "neutral"],
  ])("%o reads %s", (h, label, tone) => {
    const l = deploymentLabel(h);
    expect([l.label, l.tone]).toEqual([label, tone]);
  });

  it("tells why an offline host is still pending", () => {
    expect(deploymentLabel(host("pending", false)).detail).toMatch(/offline/);
  });
});

describe("host chips", () => {
  const base: ChipHost = { online: true, generation: 3, appliedGeneration: 3, driftCount: 0, status: "applied" };
  it.each<[string, Partial<ChipHost>, string]>([
    ["in sync", {}, "ok"],
    ["drifted", { driftCount: 2 }, "warn"],
    ["failed beats drift", { status: "failed", driftCount: 2 }, "danger"],
    ["offline", { online: false }, "neutral"],
    ["offline with drift still warns", { online: false, driftCount: 1 }, "warn"],
    ["behind the published generation", { appliedGeneration: 2, status: "applying" }, "accent"],
    ["never published, online", { generation: 0, appliedGeneration: null, status: null }, "ok"],
  ])("%s", (_name, patch, tone) => {
    expect(hostChipTone({ ...base, ...patch })).toBe(tone);
  });

  it.each<[number, number | null, string]>([
    [0, null, "no state yet"],
    [5, 5, "gen 5"],
    [5, 4, "gen 4/5"],
    [1, null, "gen –/1"],
  ])("generationText(%s, %s) = %s", (generation, appliedGeneration, text) => {
    expect(generationText({ generation, appliedGeneration })).toBe(text);
  });
});

describe("isConflict", () => {
  it.each<[unknown, boolean]>([
    [{ data: { code: "CONFLICT" }, message: "revision #7 was applied by alice" }, true],
    [{ data: { code: "BAD_REQUEST" } }, false],
    [new Error("Failed to fetch"), false],
    [null, false],
  ])("%o → %s", (error, expected) => {
    expect(isConflict(error)).toBe(expected);
  });
});

describe("rolesText", () => {
  it.each<[Array<"director" | "realServer">, string]>([
    [["director"], "director"],
    [["realServer"], "real server"],
    [["director", "realServer"], "director + real server"],
    [[], ""],
  ])("%o → %s", (roles, text) => {
    expect(rolesText(roles)).toBe(text);
  });
});
