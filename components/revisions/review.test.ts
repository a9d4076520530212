import { describe, expect, it } from "vitest";
import type { Review, ReviewHost } from "@/shared/revisions";
import { applyReadiness, changeCountsText, fieldChangeRows } from "./review";

describe("fieldChangeRows", () => {
  it("marks each field added, removed, changed or unchanged", () => {
    expect(
      fieldChangeRows([
        { field: "weight", before: "1", after: "5" },
        { field: "port", before: null, after: "8080" },
        { field: "description", before: "old", after: null },
        { field: "enabled", before: "true", after: "true" },
      ]).map((r) => [r.path, r.kind]),
    ).toEqual([
      ["weight", "changed"],
      ["port", "added"],
      ["description", "removed"],
      ["enabled", "unchanged"],
    ]);
  });
});

describe("changeCountsText", () => {
  it.each<[Array<{ kind: "added" | "removed" | "changed" }>, string]>([
    [[], "no change"],
    [[{ kind: "added" }, { kind: "added" }], "2 added"],
    [[{ kind: "removed" }, { kind: "changed" }, { kind: "added" }], "1 added · 1 changed · 1 removed"],
  ])("%o → %s", (changes, text) => {
    expect(changeCountsText(changes)).toBe(text);
  });
});

const host = (patch: Partial<ReviewHost> = {}): ReviewHost => ({
  hostId: "h1",
  name: "lb1",
  roles: ["director"],
  online: true,
  changed: true,
  desiredDiff: [],
  plan: { status: "ok", ops: [], warnings: [], error: null },
  ...patch,
});

type R = Pick<Review, "baseRevision" | "modelDiff" | "hosts" | "lints" | "canApply">;
const review = (patch: Partial<R> = {}): R => ({
  baseRevision: 3,
  modelDiff: [{ kind: "changed", entity: "realServer", id: "rs1", label: "10.0.0.11:80", parentLabel: "TCP 192.0.2.10:80", fields: [] }],
  hosts: [host()],
  lints: [],
  canApply: true,
  ...patch,
});

describe("applyReadiness", () => {
  it.each<[string, Partial<R>, boolean, RegExp]>([
    ["a change on an online host", {}, true, /^Creates revision #4 · 1 host gets a new state\.$/],
    ["first revision of an empty cluster", { baseRevision: null, modelDiff: [], hosts: [] }, true, /revision #1 · no host gets a new state/],
    ["offline host", { hosts: [host(), host({ hostId: "h2", online: false })] }, true, /2 hosts get a new state · 1 offline \(it gets it on connect\)/],
    ["nothing changed", { modelDiff: [], hosts: [host({ changed: false })] }, false, /Nothing to apply: the cluster matches revision #3/],
    ["host state differs although the model does not (e.g. a host was re-enrolled)", { modelDiff: [] }, true, /1 host gets a new state/],
    ["lint error", { lints: [{ level: "error", message: "x", hostId: null, hostName: null }], canApply: false }, false, /Fix 1 error below/],
    ["server says no", { canApply: false }, false, /Fix 1 error/],
    ["warnings do not block", { lints: [{ level: "warning", message: "x", hostId: null, hostName: null }] }, true, /Creates revision #4/],
  ])("%s", (_name, patch, can, reason) => {
    const r = applyReadiness(review(patch));
    expect(r.canApply).toBe(can);
    expect(r.reason).toMatch(reason);
  });
});
