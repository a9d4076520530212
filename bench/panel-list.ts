/**
 * services.list latency at issue #2's size: one cluster with 1,000 virtual
 * services × 4 real servers, on SQLite and (when TEST_POSTGRES_URL is set)
 * PostgreSQL.
 *
 *   npx tsx bench/panel-list.ts                     # SQLite only
 *   TEST_POSTGRES_URL=$(scripts/pg-private.sh start | cut -d= -f2-) npx tsx bench/panel-list.ts
 *   ITERATIONS=300 SERVICES=1000 npx tsx bench/panel-list.ts
 *
 * For each query shape it prints p50/p95 of the full tRPC procedure (context
 * with session lookup, zod input and output validation, service, repository)
 * and of a REFERENCE in the same process: the same page fetched with two raw
 * SELECTs (services page + their real servers) through the same Prisma
 * client — and the ratio procedure / reference.
 */
import { performance } from "node:perf_hooks";
import { transaction } from "@/server/repositories/db";
import { createServicesBulk } from "@/server/repositories/services";
import { realServerData, serviceData } from "@/server/services/virtual-services";
import { createTestDatabase, setupAdmin, type DbKind, type TestDatabase } from "@/server/testing/harness";
import { virtualServiceFieldsSchema } from "@/shared/cluster";

export const SERVICES = Number(process.env.SERVICES ?? 1000);
export const REAL_SERVERS = 4;
const ITERATIONS = Number(process.env.ITERATIONS ?? 200);
const WARMUP = 20;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95) };
}

/** Seeds SERVICES × REAL_SERVERS into the cluster in one transaction; returns the time taken (ms). Also used by bench/panel-page.ts. */
export async function seed(t: TestDatabase, clusterId: string) {
  const services: Parameters<typeof createServicesBulk>[2] = [];
  for (let i = 0; i < SERVICES; i++) {
    const fields = virtualServiceFieldsSchema.parse({
      protocol: i % 10 === 9 ? "UDP" : "TCP",
      address: `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`,
      port: 80 + (i % 3),
      scheduler: "wlc",
      persistenceTimeout: i % 2 ? 120 : null,
      description: `service ${i}`,
    });
    const realServers = Array.from({ length: REAL_SERVERS }, (_, r) => ({
      hostId: null,
      address: `10.${1 + Math.floor(i / 250)}.${i % 250}.${r + 1}`,
      port: null,
      forwarding: "DR" as const,
      weight: 100,
      upperThreshold: 0,
      lowerThreshold: 0,
      enabled: true,
    }));
    services.push({ data: serviceData(fields), realServers: realServers.map((rs) => realServerData(fields, rs)) });
  }
  const start = performance.now();
  await transaction(t.db, (tx) => createServicesBulk(tx, clusterId, services));
  return performance.now() - start;
}

async function run(kind: DbKind) {
  const t = await createTestDatabase(kind);
  try {
    const admin = await setupAdmin(t.db);
    const cluster = await admin.call((api) => api.clusters.create({ name: "bench" }));
    const seedMs = await seed(t, cluster.id);
    const count = await admin.call((api) => api.clusters.get({ id: cluster.id }));
    console.log(
      `\n[${kind}] seeded ${count.serviceCount} services × ${REAL_SERVERS} = ${count.realServerCount} real servers in ${seedMs.toFixed(0)} ms`,
    );

    const q = (sql: string) => (kind === "postgres" ? sql.replace(/\?/g, (_, i) => `$${sql.slice(0, i).split("?").length}`) : sql);
    const rawPage = async (offset: number, limit: number) => {
      const services = await t.db.client.$queryRawUnsafe<{ id: string }[]>(
        q(`SELECT * FROM "VirtualService" WHERE "clusterId" = ? ORDER BY "sortKey" LIMIT ${limit} OFFSET ${offset}`),
        cluster.id,
      );
      const ids = services.map((s) => s.id);
      const placeholders = ids.map(() => "?").join(",");
      await t.db.client.$queryRawUnsafe(
        q(`SELECT * FROM "RealServer" WHERE "virtualServiceId" IN (${placeholders}) ORDER BY "address"`),
        ...ids,
      );
      await t.db.client.$queryRawUnsafe(q(`SELECT COUNT(*) FROM "VirtualService" WHERE "clusterId" = ?`), cluster.id);
    };

    const shapes: { name: string; call: () => Promise<unknown>; reference: () => Promise<unknown> }[] = [
      {
        name: "page 1 × 50",
        call: () => admin.call((api) => api.services.list({ clusterId: cluster.id, page: 1, pageSize: 50 })),
        reference: () => rawPage(0, 50),
      },
      {
        name: "page 20 × 50 (last)",
        call: () => admin.call((api) => api.services.list({ clusterId: cluster.id, page: 20, pageSize: 50 })),
        reference: () => rawPage(950, 50),
      },
      {
        name: "page 1 × 200",
        call: () => admin.call((api) => api.services.list({ clusterId: cluster.id, page: 1, pageSize: 200 })),
        reference: () => rawPage(0, 200),
      },
      {
        name: "search real server 10.2.17.3",
        call: () => admin.call((api) => api.services.list({ clusterId: cluster.id, search: "10.2.17.3", page: 1, pageSize: 50 })),
        reference: () => rawPage(0, 50),
      },
    ];
    console.log(`${"query".padEnd(30)} ${"procedure p50/p95 ms".padEnd(22)} ${"reference p50/p95 ms".padEnd(22)} ratio p50`);
    for (const shape of shapes) {
      const proc = await time(shape.call);
      const ref = await time(shape.reference);
      console.log(
        `${shape.name.padEnd(30)} ${`${proc.p50.toFixed(2)} / ${proc.p95.toFixed(2)}`.padEnd(22)} ${`${ref.p50.toFixed(2)} / ${ref.p95.toFixed(2)}`.padEnd(22)} ${(proc.p50 / ref.p50).toFixed(2)}`,
      );
    }
  } finally {
    await t.destroy();
  }
}

async function main() {
  const kinds: DbKind[] = process.env.TEST_POSTGRES_URL ? ["sqlite", "postgres"] : ["sqlite"];
  console.log(`services.list benchmark: ${SERVICES} services × ${REAL_SERVERS} real servers, ${ITERATIONS} iterations`);
  for (const kind of kinds) await run(kind);
  if (!process.env.TEST_POSTGRES_URL) console.log("\n(PostgreSQL skipped: set TEST_POSTGRES_URL, see scripts/pg-private.sh)");
}

// Runs only as a script, so bench/panel-page.ts can import seed().
if (require.main === module) main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
