import { describe, expect, it } from "vitest";
import { FakeKernel } from "../kernel/fake";
import { ownedServices, serveStats, type StatsSocket } from "./panel";
import { StatsCollector } from "./stream";

/** A client socket stand-in: the test fires events and sees what is emitted. */
function fakeSocket() {
  const listeners = new Map<string, Set<(...args: any[]) => void>>();
  const emitted: Array<{ event: string; payload: unknown }> = [];
  const socket: StatsSocket & { connected: boolean } = {
    connected: false,
    on: (event, listener) => listeners.set(event, (listeners.get(event) ?? new Set()).add(listener)),
    off: (event, listener) => listeners.get(event)?.delete(listener),
    timeout: () => ({
      emitWithAck: async (event: string, payload: unknown) => {
        emitted.push({ event, payload });
        return { ok: true };
      },
    }),
  };
  const fire = (event: string, ...args: unknown[]) => listeners.get(event)?.forEach((l) => l(...args));
  const request = (event: string, payload: unknown) => new Promise((resolve) => fire(event, payload, resolve));
  return { socket, emitted, fire, request, listeners };
}

describe("serveStats on the panel connection", () => {
  it("streams only while connected; connections and zero validate their requests", async () => {
    const kernel = new FakeKernel();
    await kernel.ipvs.restore(["-A -t 192.0.2.10:80 -s rr"]);
    const collector = new StatsCollector({ kernel: kernel.stats, intervalMs: 20, owned: () => new Set(["tcp 192.0.2.10:80"]) });
    const { socket, emitted, fire, request, listeners } = fakeSocket();
    const served = serveStats(socket, { collector, kernel: kernel.stats, owned: () => new Set(["tcp 192.0.2.10:80"]) });
    await new Promise((r) => setTimeout(r, 60));
    expect(emitted).toEqual([]);

    socket.connected = true;
    fire("connect");
    await new Promise((r) => setTimeout(r, 100));
    const frames = emitted.filter((e) => e.event === "stats").map((e) => e.payload as { seq: number; full: boolean });
    expect(frames[0]).toMatchObject({ seq: 0, full: true });
    expect(frames.length).toBeGreaterThan(1);

    socket.connected = false;
    fire("disconnect");
    const count = emitted.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(emitted.length).toBe(count);

    expect(await request("connections", { limit: 0 })).toMatchObject({ ok: false, total: 0, rows: [], error: expect.stringMatching(/^invalid connections request: limit/) });
    expect(await request("connections", { service: "tcp 192.0.2.10:80" })).toEqual({ ok: true, total: 0, rows: [] });
    expect(await request("zero", { service: 80 })).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid zero request/) });
    expect(await request("zero", { everything: true })).toMatchObject({ ok: false });
    expect(kernel.calls.filter((c) => c.includes("-Z"))).toEqual([]);
    expect(await request("zero", {})).toEqual({ ok: true });
    expect(kernel.calls.filter((c) => c.includes("-Z"))).toEqual(["ipvsadm -Z -t 192.0.2.10:80"]);

    served.close();
    expect([...listeners.values()].every((s) => s.size === 0)).toBe(true);
  });

  it("ownedServices reads the ledger once per reconcile", () => {
    let reads = 0;
    let listener: () => void = () => undefined;
    const owned = ownedServices({ readLedger: () => (reads++, { services: ["tcp 192.0.2.10:80"] }) }, { onReconcile: (l) => (listener = l) });
    expect([...owned()]).toEqual(["tcp 192.0.2.10:80"]);
    owned();
    expect(reads).toBe(1);
    listener();
    owned();
    expect(reads).toBe(2);
  });
});
