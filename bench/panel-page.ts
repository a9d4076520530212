/**
 * The cluster page at issue #2's size, over HTTP from the built panel:
 * one cluster with 1,000 virtual services × 4 real servers (seeded by
 * bench/panel-list.ts's seed), served by server/main.ts in production mode
 * from the built panel (`next build` first; started by e2e/start-panel.sh,
 * which serves a snapshot of the build), signed in as the admin.
 *
 *   npm run db:generate && npx next build     # once
 *   npx tsx bench/panel-page.ts
 *   REQUESTS=30 SERVICES=1000 BENCH_PORT=3190 npx tsx bench/panel-page.ts
 *
 * Prints p50/p95 over REQUESTS sequential requests (after a warm-up) of
 *   - the cluster page's HTML (GET /clusters/<id> with the session cookie),
 *   - clusters.get and services.list over HTTP (the calls the page makes:
 *     page 1 × 50, the last page, 200 per page, a real-server search),
 * each with its ratio to a REFERENCE measured on the same server in the same
 * process: GET /api/health (no Next.js, no database), and the p50 ratio to
 * the same call on a cluster with one service × 4 real servers (what the
 * size costs).
 *
 * Then in Chromium (/usr/bin/chromium) it checks the page stays usable at
 * that size — pagination says "1–50 of 1,000", the search narrows the table —
 * times navigation → first service row rendered against navigation → the
 * clusters list table rendered (the reference), and saves a screenshot to
 * bench/results/panel-page-1000.png.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { chromium } from "@playwright/test";
import { ADMIN, createTestDatabase, setupAdmin } from "@/server/testing/harness";
import { REAL_SERVERS, SERVICES, seed } from "./panel-list";

const REQUESTS = Number(process.env.REQUESTS ?? 30);
const WARMUP = 5;
const BROWSER_RUNS = Number(process.env.BROWSER_RUNS ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 3190);
const ORIGIN = `http://127.0.0.1:${PORT}`;
const ROOT = path.resolve(__dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results");

interface Stats {
  p50: number;
  p95: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

/** Times each function once per iteration, in turn; returns the stats of each. */
async function sampleInterleaved(times: number, warmup: number, fns: (() => Promise<unknown>)[]): Promise<Stats[]> {
  for (let i = 0; i < warmup; i++) for (const fn of fns) await fn();
  const samples: number[][] = fns.map(() => []);
  for (let i = 0; i < times; i++) {
    for (let j = 0; j < fns.length; j++) {
      const start = performance.now();
      await fns[j]();
      samples[j].push(performance.now() - start);
    }
  }
  return samples.map(stats);
}

const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}×`;

function startPanel(databaseUrl: string): ChildProcess {
  // The e2e starter serves a snapshot of the build, so a concurrent `next build` cannot disturb the run.
  const child = spawn("bash", ["e2e/start-panel.sh"], {
    cwd: ROOT,
    env: { ...process.env, PANEL_DATABASE_URL: databaseUrl, E2E_APP_DIR: ".tmp/bench-app", PORT: String(PORT) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group, so stopping it also stops npx's and tsx's children
  });
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  child.on("exit", (code) => {
    if (code) console.error(`panel exited with ${code}:\n${log}`);
  });
  return child;
}

function stopPanel(child: ChildProcess) {
  if (child.pid && child.exitCode === null) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
  }
}

async function waitForHealth(timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${ORIGIN}/api/health`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the panel did not answer ${ORIGIN}/api/health within ${timeoutMs / 1000} s`);
}

/** Signs in over HTTP like the login form; returns the session cookie ("name=value"). */
async function login(): Promise<string> {
  const res = await fetch(`${ORIGIN}/api/trpc/auth.login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: ORIGIN },
    body: JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
  });
  const cookie = res.headers.getSetCookie().find((c) => !/Max-Age=0/.test(c));
  if (!res.ok || !cookie) throw new Error(`login failed: HTTP ${res.status} ${await res.text()}`);
  return cookie.split(";")[0];
}

async function get(url: string, cookie: string | null, expect: (body: string) => boolean = () => true): Promise<void> {
  const res = await fetch(`${ORIGIN}${url}`, { headers: cookie ? { cookie } : {} });
  const body = await res.text();
  if (res.status !== 200 || !expect(body)) throw new Error(`GET ${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
}

function trpcUrl(procedure: string, input: unknown): string {
  return `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
}

const ms = (n: number) => n.toFixed(1).padStart(7);

function row(name: string, s: Stats, ref: Stats): string {
  return `${name.padEnd(44)} ${ms(s.p50)} ${ms(s.p95)}   ${(s.p50 / ref.p50).toFixed(1).padStart(6)}× ${(s.p95 / ref.p95).toFixed(1).padStart(6)}×`;
}

async function main() {
  const t = await createTestDatabase("sqlite");
  let panel: ChildProcess | null = null;
  try {
    const admin = await setupAdmin(t.db);
    const cluster = await admin.call((api) => api.clusters.create({ name: "bench" }));
    const seedMs = await seed(t, cluster.id);
    const counts = await admin.call((api) => api.clusters.get({ id: cluster.id }));
    console.log(
      `cluster page benchmark: ${counts.serviceCount} services × ${REAL_SERVERS} = ${counts.realServerCount} real servers (seeded in ${seedMs.toFixed(0)} ms), ${REQUESTS} requests each after ${WARMUP} warm-up`,
    );

    // A second reference for size: the same calls on a cluster with one service × 4 real servers.
    const small = await admin.call((api) => api.clusters.create({ name: "bench-small" }));
    await admin.call((api) =>
      api.services.create({
        clusterId: small.id,
        protocol: "TCP",
        address: "203.0.113.10",
        port: 80,
        scheduler: "wlc",
        realServers: [1, 2, 3, 4].map((n) => ({ address: `203.0.113.${20 + n}`, forwarding: "DR" as const, weight: 100 })),
      }),
    );

    panel = startPanel(t.url);
    await waitForHealth();
    const cookie = await login();
    const lastPage = Math.ceil(SERVICES / 50);
    const calls = (clusterId: string, big: boolean): [string, () => Promise<void>][] => {
      const list = (input: Record<string, unknown>) => get(trpcUrl("services.list", { clusterId, ...input }), cookie);
      return [
        ["cluster page HTML (GET, signed in)", () => get(`/clusters/${clusterId}`, cookie, (b) => b.includes("</html>"))],
        ["clusters.get (page header counts)", () => get(trpcUrl("clusters.get", { id: clusterId }), cookie)],
        ["services.list page 1 × 50", () => list({ page: 1, pageSize: 50 })],
        [`services.list page ${lastPage} × 50 (last)`, () => list({ page: big ? lastPage : 1, pageSize: 50 })],
        ["services.list page 1 × 200", () => list({ page: 1, pageSize: 200 })],
        ["services.list search real server 10.2.17.3", () => list({ search: big ? "10.2.17.3" : "203.0.113.23", page: 1, pageSize: 50 })],
      ];
    };

    // Each row interleaves reference, 1,000-service call and 1-service call in every iteration,
    // so load from other processes on this shared machine hits all three alike.
    const health = () => get("/api/health", null);
    const bigCalls = calls(cluster.id, true);
    const smallCalls = calls(small.id, false);
    console.log(
      `\n${"HTTP, 127.0.0.1, sequential".padEnd(44)} ${"p50 ms".padStart(7)} ${"p95 ms".padStart(7)} │ ${"ref p50".padStart(7)} ${"×ref p50".padStart(8)} ${"×ref p95".padStart(8)} │ ${"1-svc p50".padStart(9)} ${"×1-svc".padStart(7)}`,
    );
    for (let i = 0; i < bigCalls.length; i++) {
      const [ref, big, one] = await sampleInterleaved(REQUESTS, WARMUP, [health, bigCalls[i][1], smallCalls[i][1]]);
      console.log(
        `${bigCalls[i][0].padEnd(44)} ${ms(big.p50)} ${ms(big.p95)} │ ${ms(ref.p50)} ${ratio(big.p50, ref.p50).padStart(8)} ${ratio(big.p95, ref.p95).padStart(8)} │ ${ms(one.p50).padStart(9)} ${ratio(big.p50, one.p50).padStart(7)}`,
      );
    }
    console.log("ref = GET /api/health on the same server (no Next.js, no database); 1-svc = the same call on a cluster with 1 service × 4 real servers");

    await browserChecks(cluster.id, cookie);
  } finally {
    if (panel) stopPanel(panel);
    await t.destroy();
  }
}

/** Usability at 1,000 services in Chromium, and navigation → first table render. */
async function browserChecks(clusterId: string, cookie: string) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const [name, value] = [cookie.slice(0, cookie.indexOf("=")), cookie.slice(cookie.indexOf("=") + 1)];
    await context.addCookies([{ name, value, url: ORIGIN, httpOnly: true, sameSite: "Strict" }]);
    const page = await context.newPage();

    const render = async (url: string, selector: string) => {
      const start = performance.now();
      await page.goto(`${ORIGIN}${url}`, { waitUntil: "commit" });
      await page.locator(selector).first().waitFor({ state: "visible", timeout: 60_000 });
      return performance.now() - start;
    };
    // Warm the server's and browser's caches once for each page.
    await render("/clusters", '[data-testid="clusters-table"]');
    await render(`/clusters/${clusterId}`, '[data-testid^="service-row-"]');
    const reference: number[] = [];
    const clusterPage: number[] = [];
    for (let i = 0; i < BROWSER_RUNS; i++) {
      reference.push(await render("/clusters", '[data-testid="clusters-table"]'));
      clusterPage.push(await render(`/clusters/${clusterId}`, '[data-testid^="service-row-"]'));
    }
    const ref = stats(reference);
    const cp = stats(clusterPage);

    // Usable at this size: paged (50 of 1,000 rendered), searchable.
    const range = (await page.getByTestId("pagination-range").first().textContent())?.trim() ?? "";
    const serviceRows = await page.locator('[data-testid^="service-row-"]').count();
    const realServerRows = await page.locator('[data-testid^="rs-row-"]').count();
    // Row actions must be reachable without scrolling sideways at a laptop width.
    const overflowPx = await page.evaluate(() => {
      const table = document.querySelector('table[aria-label="Virtual services and their real servers"]');
      const wrap = table?.parentElement;
      return wrap ? wrap.scrollWidth - wrap.clientWidth : 0;
    });
    fs.mkdirSync(RESULTS, { recursive: true });
    const shot = path.join(RESULTS, "panel-page-1000.png");
    await page.screenshot({ path: shot });

    const searchStart = performance.now();
    await page.getByRole("searchbox", { name: "Search services" }).fill("10.2.17.3");
    await page.locator('[data-testid^="service-row-"]').nth(1).waitFor({ state: "detached", timeout: 30_000 });
    const searchMs = performance.now() - searchStart;
    const matches = await page.locator('[data-testid^="service-row-"]').count();
    await page.getByTestId("rs-row-10.2.17.3:80").or(page.getByTestId("rs-row-10.2.17.3:81")).or(page.getByTestId("rs-row-10.2.17.3:82")).first().waitFor();

    console.log(`\n${"Chromium, navigation → first rows visible".padEnd(44)} ${"p50 ms".padStart(7)} ${"p95 ms".padStart(7)}   ${"p50/ref".padStart(7)} ${"p95/ref".padStart(7)}`);
    console.log(row("REFERENCE clusters list table (1 cluster)", ref, ref));
    console.log(row(`cluster page, first service row (${BROWSER_RUNS} runs)`, cp, ref));
    console.log(`\nusable at ${SERVICES} services: pagination "${range}", ${serviceRows} service rows + ${realServerRows} real-server rows rendered per page;`);
    console.log(
      overflowPx > 0
        ? `the services table is ${overflowPx} px wider than its panel at 1280 px: the row actions need a sideways scroll`
        : "the services table fits its panel at 1280 px",
    );
    console.log(`search "10.2.17.3" → ${matches} matching service in ${searchMs.toFixed(0)} ms (incl. 250 ms debounce); screenshot ${path.relative(ROOT, shot)}`);
    if (!/^1–50 of 1,000\b/.test(range) && SERVICES === 1000) throw new Error(`unexpected pagination text: ${range}`);
    if (matches !== 1) throw new Error(`search should leave exactly one service, got ${matches}`);
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
