import { describe, expect, it } from "vitest";
import { safeNextPath } from "./next-path";

describe("safeNextPath", () => {
  it.each([
    [undefined, "/clusters"],
    ["", "/clusters"],
    ["/audit?entityType=host", "/audit?entityType=host"],
    ["/clusters/abc", "/clusters/abc"],
    ["https://evil.example/", "/clusters"],
    ["//evil.example/", "/clusters"],
    ["/\\evil.example", "/clusters"],
    ["/login", "/clusters"],
    ["javascript:alert(1)", "/clusters"],
  ])("%s -> %s", (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });
});
