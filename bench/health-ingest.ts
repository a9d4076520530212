/**
 * Health reports on the panel (issue #6): what one report costs the panel
 * process — server/health/ingest.ts (key → id mapping through the director's
 * deployment, current view, HealthEvent rows on transitions, live frames) —
 * against the validation the gateway does anyway (HealthReportSchema.parse of
 * the same report) in the same process. A director with SERVICES virtual
 * services × RS real servers (applied through the real revisions.applyDraft),
 * SQLite in a temporary directory (or PostgreSQL with TEST_POSTGRES_URL and
 * DB=postgres). Prints for each case the median of REPEAT runs and the ratio:
 *   - full report, every destination changes status (one HealthEvent each);
 *   - full report, nothing changes (the agent's 60 s full report);
 *   - a 10-entry report with two transitions (the usual case, ≤ 1/s per director).
 * and how many HealthEvent rows each case wrote (transitions only: REPEAT ×
 * destinations, 0, 2 × REPEAT).
 *
 *   npx tsx bench/health-ingest.ts                # SERVICES=1000 RS=2 REPEAT=9
 *   SERVICES=3000 DB=postgres TEST_POSTGRES_URL=postgresql://… npx tsx bench/health-ingest.ts
 */
import { forgetHealthMappings, ingestHealthReport } from "../server/health/ingest";
import { HealthStore } from "../server/health/store";
import { createTestDatabase, setupAdmin } from "../server/testing/harness";
import { HealthReportSchema, type HealthReport } from "../shared/agent-protocol";

const SERVICES = Number(process.env.SERVICES ?? 1000);
const RS = Number(process.env.RS ?? 2);
const REPEAT = Number(process.env.REPEAT ?? 9);
const KIND = (process.env.DB ?? "sqlite") as "sqlite" | "postgres";

const vip = (j: number) => `10.${100 + (j >> 8)}.${j & 255}.1`;
const rip = (j: number, r: number) => `10.${1 + (j >> 8)}.${j & 255}.${r + 10}`;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function report(status: (j: number, r: number) => "up" | "down", only?: number): HealthReport {
  const now = new Date().toISOString();
  const entries: HealthReport["entries"] = [];
  for (let j = 0; j < (only ?? SERVICES); j++) {
    for (let r = 0; r < RS; r++) {
      const s = status(j, r);
      entries.push({ service: `tcp ${vip(j)}:80`, destination: `${rip(j, r)}:80`, status: s, since: now, lastCheckAt: now, lastOk: s === "up", latencyMs: 1.2, reason: s === "up" ? "HTTP 200" : "connect ECONNREFUSED", action: s === "up" ? "none" : "quiesced" });
    }
  }
  return { at: now, full: only === undefined, entries, sorryActive: [] };
}

async function main() {
  const t = await createTestDatabase(KIND);
  try {
    const admin = await setupAdmin(t.db);
    const host = await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "192.0.2.1" }));
    const cluster = await admin.call((api) => api.clusters.create({ name: "bench" }));
    await admin.call((api) => api.directors.add({ clusterId: cluster.id, hostId: host.id }));
    const seedMs = await time(async () => {
      for (let j = 0; j < SERVICES; j++) {
        await admin.call((api) =>
          api.services.create({ clusterId: cluster.id, protocol: "TCP", address: vip(j), port: 80, healthCheck: { type: "tcp" }, realServers: Array.from({ length: RS }, (_, r) => ({ address: rip(j, r) })) }),
        );
      }
      const review = await admin.call((api) => api.revisions.review({ clusterId: cluster.id }));
      await admin.call((api) => api.revisions.applyDraft({ clusterId: cluster.id, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash }));
      await t.db.client.host.update({ where: { id: host.id }, data: { appliedGeneration: 1 } });
    });
    const agent = { hostId: host.id, hostName: "lb1" };
    const store = new HealthStore();
    console.log(`health ingest: ${SERVICES} services × ${RS} real servers = ${SERVICES * RS} destinations, ${KIND} (seeded in ${(seedMs / 1000).toFixed(1)} s)`);

    const rows: [string, number, number, number][] = [];
    const events = () => t.db.client.healthEvent.count();
    async function run(name: string, make: (i: number) => HealthReport, skipFirst: boolean) {
      const ingest: number[] = [];
      const parse: number[] = [];
      const before = await events();
      for (let i = 0; i < REPEAT; i++) {
        const r = make(i);
        parse.push(await time(() => HealthReportSchema.parse(r)));
        const ms = await time(() => ingestHealthReport(t.db, agent, r, store));
        if (!(skipFirst && i === 0)) ingest.push(ms);
      }
      rows.push([name, median(ingest), median(parse), (await events()) - before]);
    }
    forgetHealthMappings(t.db);
    // every destination flips up ↔ down on every report (the first run also loads the key mapping: not counted)
    await run("full report, every destination changes", (i) => report(() => (i % 2 === 0 ? "up" : "down")), true);
    const last = (REPEAT - 1) % 2 === 0 ? "up" : "down";
    await run("full report, nothing changes (every 60 s)", () => report(() => last), false);
    const other = last === "up" ? "down" : "up";
    await run("10 entries, 2 transitions (a usual report)", (i) => report((j) => (j === 0 ? (i % 2 === 0 ? other : last) : last), 5), false);
    for (const [name, ingest, parse, written] of rows) {
      console.log(`  ${name.padEnd(44)} ingest ${ingest.toFixed(2).padStart(8)} ms   validation ${parse.toFixed(2).padStart(7)} ms   ingest/validation ${(ingest / parse).toFixed(1).padStart(6)}   HealthEvent rows ${written}`);
    }
  } finally {
    await t.destroy();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
