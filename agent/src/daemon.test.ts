import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Daemon, type DaemonEvent } from "./daemon";
import { InvalidDesiredStateError } from "./desired";
import { FakeKernel } from "./kernel/fake";
import { HostMismatchError, MemoryStore, Reconciler } from "./reconciler";

const state = (generation: number, weight = 1) => ({
  schemaVersion: 1,
  generation,
  ipvs: { services: [{ protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "rr", destinations: [{ address: "10.0.0.11", forwarding: "dr", weight }] }] },
  addresses: [{ interface: "eth0", address: "192.0.2.10" }],
  realServer: null,
  sysctls: {},
  fwmarks: [],
});

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), "lvs-daemon-"));
  const file = path.join(dir, "desired.json");
  const kernel = new FakeKernel();
  const store = new MemoryStore();
  const events: DaemonEvent[] = [];
  const daemon = (options: { desiredFile?: string; intervalMs?: number } = {}) =>
    new Daemon(new Reconciler(kernel, store), { intervalMs: options.intervalMs ?? 3_600_000, desiredFile: options.desiredFile, log: (e) => events.push(e), now: () => 0 });
  return { file, kernel, store, events, daemon };
}

describe("Daemon (run)", () => {
  it("applies --desired at start, logs the reconcile then ready, and caches the state", async () => {
    const h = setup();
    writeFileSync(h.file, JSON.stringify(state(1)));
    const d = h.daemon({ desiredFile: h.file });
    await d.start();
    expect(h.events).toEqual([
      { event: "reconcile", generation: 1, source: "file", ops: 3, failed: 0, converged: true, ms: 0 },
      { event: "ready", generation: 1 },
    ]);
    expect(h.store.desired).toEqual(state(1));
    await d.stop("SIGTERM");
  });

  it("restarted without --desired, re-applies the cached state with 0 ops, and stopping changes nothing", async () => {
    const h = setup();
    writeFileSync(h.file, JSON.stringify(state(1)));
    const first = h.daemon({ desiredFile: h.file });
    await first.start();
    await first.stop("SIGKILL");
    const calls = h.kernel.calls.length;
    const second = h.daemon();
    await second.start();
    expect(h.events.slice(-2)).toEqual([
      { event: "reconcile", generation: 1, source: "cache", ops: 0, failed: 0, converged: true, ms: 0 },
      { event: "ready", generation: 1 },
    ]);
    await second.stop("SIGTERM");
    expect(h.kernel.calls.length).toBe(calls);
    expect(h.kernel.serviceKeys()).toEqual(["tcp 192.0.2.10:80"]);
  });

  it("with nothing cached and no --desired, waits (ready, no reconcile)", async () => {
    const h = setup();
    const d = h.daemon();
    await d.start();
    expect(h.events.map((e) => e.event)).toEqual(["waiting", "ready"]);
    await d.stop("SIGTERM");
    expect(h.kernel.calls).toEqual([]);
  });

  it("refuses to start on an invalid or partial desired state, or one that does not fit the host, touching nothing", async () => {
    const h = setup();
    writeFileSync(h.file, JSON.stringify({ schemaVersion: 1, ipvs: { services: [] } }));
    await expect(h.daemon({ desiredFile: h.file }).start()).rejects.toBeInstanceOf(InvalidDesiredStateError);
    writeFileSync(h.file, JSON.stringify({ ...state(1), addresses: [{ interface: "eth7", address: "192.0.2.10" }] }));
    await expect(h.daemon({ desiredFile: h.file }).start()).rejects.toBeInstanceOf(HostMismatchError);
    h.store.desired = { generation: 3 };
    await expect(h.daemon().start()).rejects.toThrow(/the cached desired state/);
    expect(h.kernel.calls).toEqual([]);
  });

  it("SIGHUP re-reads the file; an invalid file is rejected and the running state kept", async () => {
    const h = setup();
    writeFileSync(h.file, JSON.stringify(state(1)));
    const d = h.daemon({ desiredFile: h.file });
    await d.start();
    writeFileSync(h.file, JSON.stringify(state(2, 4)));
    await d.reload();
    expect(h.events.at(-1)).toEqual({ event: "reconcile", generation: 2, source: "file", ops: 1, failed: 0, converged: true, ms: 0 });
    expect(h.kernel.services.get("tcp 192.0.2.10:80")!.destinations[0].weight).toBe(4);
    writeFileSync(h.file, "{ truncated");
    await d.reload();
    expect(h.events.at(-1)).toMatchObject({ event: "rejected" });
    expect(h.store.desired).toEqual(state(2, 4));
    await d.stop("SIGTERM");
  });

  it("periodic reconciles repair drift of owned objects (panel seam: setDesired)", async () => {
    const h = setup();
    const d = h.daemon({ intervalMs: 20 });
    await d.start();
    await d.setDesired(state(5), "panel");
    h.kernel.services.get("tcp 192.0.2.10:80")!.destinations = []; // ipvsadm -d by hand
    await new Promise((resolve) => setTimeout(resolve, 80));
    await d.stop("SIGTERM");
    const periodic = h.events.filter((e) => e.event === "reconcile" && e.source === "periodic");
    expect(periodic[0]).toMatchObject({ generation: 5, ops: 1, failed: 0 });
    expect(h.kernel.services.get("tcp 192.0.2.10:80")!.destinations).toHaveLength(1);
  });
});
