/**
 * Stats frame sizes on the wire (issue #5): bytes of the "stats" message an
 * agent sends per sample for a director with SERVICES virtual services × RS
 * real servers (default 50 × 4), with realistic counter magnitudes — the full
 * frame (on connect and every 60 s) and the steady-state deltas against the
 * acknowledged previous frame: every service busy, 10 % busy, idle. Sizes are
 * the JSON socket.io sends (its packet adds `42<ack id>["stats",…]`, ~15 bytes).
 *   npx tsx bench/stats-frame-size.ts [SERVICES] [RS]
 */
import { buildFrame, type Five, type ServiceSnapshot, type StatsSnapshot } from "../agent/src/stats/frames";

const SERVICES = Number(process.argv[2] ?? 50);
const RS = Number(process.argv[3] ?? 4);
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const int = (max: number) => Math.floor(rand() * max);

function snapshot(at: number, busy: (s: number) => boolean, previous: StatsSnapshot | null): StatsSnapshot {
  const services = new Map<string, ServiceSnapshot>();
  for (let s = 0; s < SERVICES; s++) {
    const key = `tcp 192.0.2.${10 + (s % 200)}:${80 + Math.floor(s / 200)}`;
    const before = previous?.services.get(key);
    const d = new Map();
    const sum: Five = [0, 0, 0, 0, 0];
    const sumR: Five = [0, 0, 0, 0, 0];
    let a = 0;
    let i = 0;
    for (let r = 0; r < RS; r++) {
      const dkey = `10.0.${1 + (s % 250)}.${11 + r}:80`;
      const old = before?.d.get(dkey);
      const c: Five = old ? [...old.c] : [int(5e7), int(5e8), int(4e8), int(5e10), int(5e11)];
      let rates: Five = [0, 0, 0, 0, 0];
      if (busy(s)) {
        rates = [int(300) + 1, int(3000) + 10, int(2500) + 10, int(3e5) + 100, int(3e6) + 100];
        for (let n = 0; n < 5; n++) c[n] += rates[n];
      }
      const e = { c, r: rates, a: busy(s) ? int(500) : (old?.a ?? int(20)), i: busy(s) ? int(2000) : (old?.i ?? int(50)) };
      d.set(dkey, e);
      for (let n = 0; n < 5; n++) {
        sum[n] += c[n];
        sumR[n] += rates[n];
      }
      a += e.a;
      i += e.i;
    }
    services.set(key, { c: sum, r: sumR, a, i, d });
  }
  return { at, services, totals: { c: [9e8, 9e9, 8e9, 9e11, 9e12], r: [1234, 56789, 45678, 4.5e6, 5.6e7] } };
}

const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
const t0 = 1_763_700_000_000;
const all = snapshot(t0, () => true, null);
const full = buildFrame(null, all, { seq: 0, intervalMs: 1000, full: true });
const busyAll = snapshot(t0 + 1000, () => true, all);
const busy10 = snapshot(t0 + 1000, (s) => s % 10 === 0, all);
const idleBase = snapshot(t0 + 1000, () => false, all);
const idle = snapshot(t0 + 2000, () => false, idleBase);
const rows: Array<[string, number, number]> = [
  ["full (connect, every 60 s)", bytes(full), full.services.length],
  ["delta, every service busy", bytes(buildFrame(all, busyAll, { seq: 1, intervalMs: 1000, full: false })), busyAll.services.size],
  ["delta, 10 % of services busy", bytes(buildFrame(all, busy10, { seq: 1, intervalMs: 1000, full: false })), buildFrame(all, busy10, { seq: 1, intervalMs: 1000, full: false }).services.length],
  ["delta, idle", bytes(buildFrame(idleBase, idle, { seq: 2, intervalMs: 1000, full: false })), 0],
];
console.log(`stats frame sizes, ${SERVICES} services × ${RS} real servers (JSON bytes)`);
for (const [name, size, listed] of rows) console.log(`  ${name.padEnd(30)} ${String(size).padStart(7)} B  (${listed} services listed)  ${(size / rows[0][1]).toFixed(3)} × full`);
const perSecond = (rows[0][1] + 59 * rows[1][1]) / 60;
console.log(`  average per second, all busy (1 full + 59 deltas per minute): ${Math.round(perSecond)} B/s`);
