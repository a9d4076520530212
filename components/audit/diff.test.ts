import { describe, expect, it } from "vitest";
import { diffSnapshots, flatten, formatValue, summariseDiff } from "./diff";

describe("formatValue", () => {
  it.each([
    [null, "—"],
    [undefined, "—"],
    ["", "(empty)"],
    ["wlc", "wlc"],
    [0, "0"],
    [65535, "65535"],
    [false, "false"],
    [[], "[]"],
    [["edge", "dmz"], "edge, dmz"],
    [[{ name: "eth0", addresses: ["192.0.2.2/24"] }], "name=eth0 addresses=192.0.2.2/24"],
    [[{ id: "x", address: "192.0.2.31", port: null, weight: 1 }, { address: "192.0.2.32", weight: 2 }], "address=192.0.2.31 weight=1\naddress=192.0.2.32 weight=2"],
    [
      [
        { id: "r1", virtualServiceId: "v1", hostId: "h1", host: "web-1", address: "198.51.100.31", port: null, weight: 100 },
        { id: "r2", virtualServiceId: "v1", hostId: null, host: null, address: "198.51.100.32", port: 8080, weight: 0 },
      ],
      "host=web-1 address=198.51.100.31 weight=100\naddress=198.51.100.32 port=8080 weight=0",
    ],
    [[{ address: "198.51.100.31", note: "" }], "address=198.51.100.31"],
    [{}, "{}"],
  ])("formats %j as %s", (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});

describe("flatten", () => {
  it("uses dotted paths for nested objects and drops ids and bookkeeping timestamps", () => {
    const flat = flatten({ id: "c1", vip: "192.0.2.10", persistence: { timeout: 120, netmask: null }, updatedAt: "2026-01-01", createdAt: "x" });
    expect([...flat.entries()]).toEqual([
      ["vip", "192.0.2.10"],
      ["persistence.timeout", "120"],
      ["persistence.netmask", "—"],
    ]);
  });

  it("leaves out references to other records by id, keeps their names", () => {
    const flat = flatten({ id: "v1", clusterId: "c1", address: "192.0.2.10", description: "", realServers: [{ id: "r1", virtualServiceId: "v1", hostId: "h1", host: "web-1", address: "198.51.100.31" }] });
    expect([...flat.entries()]).toEqual([
      ["address", "192.0.2.10"],
      ["description", "(empty)"],
      ["realServers", "host=web-1 address=198.51.100.31"],
    ]);
  });
});

describe("diffSnapshots", () => {
  const rs = { address: "192.0.2.21", port: 80, forwarding: "dr", weight: 100, enabled: true };

  it.each([
    {
      name: "update: one changed field, the rest unchanged",
      before: rs,
      after: { ...rs, weight: 50 },
      shape: "update",
      changed: [["weight", "changed", "100", "50"]],
      changedCount: 1,
    },
    {
      name: "create: every field is added",
      before: null,
      after: { address: "192.0.2.21", port: 80 },
      shape: "create",
      changed: [
        ["address", "added", null, "192.0.2.21"],
        ["port", "added", null, "80"],
      ],
      changedCount: 2,
    },
    {
      name: "delete: every field is removed",
      before: { address: "192.0.2.21", weight: 1 },
      after: null,
      shape: "delete",
      changed: [
        ["address", "removed", "192.0.2.21", null],
        ["weight", "removed", "1", null],
      ],
      changedCount: 2,
    },
    {
      name: "update: field appears and disappears",
      before: { a: 1, gone: "x" },
      after: { a: 1, fresh: true },
      shape: "update",
      changed: [
        ["fresh", "added", null, "true"],
        ["gone", "removed", "x", null],
      ],
      changedCount: 2,
    },
    {
      name: "update: only a timestamp moved -> nothing changed",
      before: { weight: 1, updatedAt: "2026-01-01T00:00:00Z" },
      after: { weight: 1, updatedAt: "2026-01-02T00:00:00Z" },
      shape: "update",
      changed: [],
      changedCount: 0,
    },
    {
      name: "update: list value compared as a whole",
      before: { labels: ["edge"] },
      after: { labels: ["edge", "dmz"] },
      shape: "update",
      changed: [["labels", "changed", "edge", "edge, dmz"]],
      changedCount: 1,
    },
  ])("$name", ({ before, after, shape, changed, changedCount }) => {
    const diff = diffSnapshots(before, after);
    expect(diff.shape).toBe(shape);
    expect(diff.changedCount).toBe(changedCount);
    const rows = diff.rows.filter((r) => r.kind !== "unchanged").map((r) => [r.path, r.kind, r.before, r.after]);
    expect(rows).toEqual(changed);
  });

  it("create of a service: one real server per line, no internal ids, empty description readable", () => {
    const diff = diffSnapshots(null, {
      id: "v1",
      clusterId: "c1",
      protocol: "TCP",
      address: "192.0.2.10",
      port: 80,
      description: "",
      realServers: [
        { id: "r1", virtualServiceId: "v1", hostId: null, host: null, address: "198.51.100.31", port: null, forwarding: "DR", weight: 100 },
        { id: "r2", virtualServiceId: "v1", hostId: null, host: null, address: "198.51.100.32", port: null, forwarding: "DR", weight: 50 },
      ],
    });
    expect(diff.rows.map((r) => [r.path, r.after])).toEqual([
      ["protocol", "TCP"],
      ["address", "192.0.2.10"],
      ["port", "80"],
      ["description", "(empty)"],
      ["realServers", "address=198.51.100.31 forwarding=DR weight=100\naddress=198.51.100.32 forwarding=DR weight=50"],
    ]);
  });

  it("keeps unchanged fields for context in snapshot order", () => {
    const diff = diffSnapshots(rs, { ...rs, weight: 50 });
    expect(diff.rows.map((r) => r.path)).toEqual(["address", "port", "forwarding", "weight", "enabled"]);
  });
});

describe("summariseDiff", () => {
  it.each([
    [null, { a: 1 }, "created"],
    [{ a: 1 }, null, "deleted"],
    [{ a: 1 }, { a: 1 }, "no field changed"],
    [{ weight: 100 }, { weight: 50 }, "weight 100 → 50"],
    [{ a: 1, b: 1, c: 1, d: 1 }, { a: 2, b: 2, c: 2, d: 2 }, "a 1 → 2, b 1 → 2, c 1 → 2, +1 more"],
    [{ list: [{ a: 1 }] }, { list: [{ a: 1 }, { a: 2 }] }, "list a=1 → a=1; a=2"],
  ])("%j -> %j", (before, after, text) => {
    expect(summariseDiff(diffSnapshots(before, after))).toBe(text);
  });
});
