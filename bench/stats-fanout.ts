/**
 * Live stats fan-out (issue #5): N simulated director agents stream StatsFrames
 * at 1 Hz into ONE panel process (server/stats/socket-panel.ts in a child
 * process: the panel's socket.io /agent gateway, stats pipeline, /live and
 * rollup writer, without the pages), while B browser sockets (session cookie)
 * watch cluster and service rooms. Reports for each N:
 *   - panel CPU (the child's process.cpuUsage, % of one core) while streaming,
 *     against the same panel idle (everything connected, no frames);
 *   - panel RSS and the ring memory (bytes per service with its real servers);
 *   - delivery latency, frame `at` (when the agent sampled) → browser received,
 *     p50/p99, against a socket.io round trip through the same panel measured
 *     in the same run (an invalid /live subscribe, answered without I/O).
 * Payloads: SERVICES virtual services × RS real servers per director (default
 * 50 × 4), clusters of two directors (an HA pair, both carrying traffic), each
 * second a random BUSY fraction of services has traffic; frames are what the
 * agent's encoder sends for that traffic (full on connect and every 60 s,
 * otherwise only the services that moved; ack-paced, latest-only). The agents
 * run in WORKERS child processes (default 2) so the load generator does not
 * starve the browsers' event loop.
 *
 *   npx tsx bench/stats-fanout.ts                 # AGENTS="100 500" BROWSERS=100
 *   AGENTS=500 MEASURE_S=60 BUSY=0.5 npx tsx bench/stats-fanout.ts
 */
import { fork, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { io as connect, type Socket } from "socket.io-client";
import { openDatabase, type Database } from "../server/db";
import { deployMigrations } from "../server/db/deploy";
import { setup as setupPanel } from "../server/services/auth";
import { SESSION_COOKIE, hashSecret } from "../server/services/auth/secrets";
import { isStatsFrame } from "../server/stats/frame-check";
import { AGENT_NAMESPACE, AgentEvents, StatsFrameSchema, type StatsEntry, type StatsFrame, type StatsServiceEntry } from "../shared/agent-protocol";
import { LIVE_NAMESPACE, LiveEvents, type ClusterLiveFrame, type ServiceLiveFrame } from "../shared/live";

const AGENTS = (process.env.AGENTS ?? "100 500").split(/\s+/).filter(Boolean).map(Number);
const BROWSERS = Number(process.env.BROWSERS ?? 100);
const SERVICES = Number(process.env.SERVICES ?? 50);
const RS = Number(process.env.RS ?? 4);
const BUSY = Number(process.env.BUSY ?? 0.5);
const IDLE_S = Number(process.env.IDLE_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 15);
const MEASURE_S = Number(process.env.MEASURE_S ?? 60);
/** processes the simulated agents run in */
const WORKERS = Number(process.env.WORKERS ?? 2);
type Five = [number, number, number, number, number];
const ROOT = path.resolve(__dirname, "..");

let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const int = (max: number) => Math.floor(rand() * max);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const vip = (k: number, j: number) => `10.${100 + (k >> 8)}.${k & 255}.${j + 1}`;
const rip = (k: number, j: number, r: number) => `10.${(k >> 8) + 1}.${k & 255}.${(j * RS + r) % 250 + 1}`;

// --- seeding: clusters of two directors with an applied revision and deployment --------------

async function seed_(db: Database, agents: number): Promise<{ hosts: Host[]; clusters: { id: string; serviceIds: string[] }[] }> {
  const c = db.client;
  const hosts: { id: string; credential: string; cluster: number }[] = [];
  const clusters: { id: string; serviceIds: string[] }[] = [];
  const nClusters = Math.ceil(agents / 2);
  for (let k = 0; k < nClusters; k++) {
    const clusterId = `c${k}`;
    const directorIds = [`h${2 * k}`, `h${2 * k + 1}`].slice(0, agents - 2 * k);
    await c.cluster.create({ data: { id: clusterId, name: `bench-${k}` } });
    for (const [n, id] of directorIds.entries()) {
      const credential = `lvsh_${randomBytes(32).toString("base64url")}`;
      await c.host.create({ data: { id, name: `lb-${k}-${n}`, managementAddress: `192.0.2.${(2 * k + n) % 250 + 1}`, appliedGeneration: 1, desiredGeneration: 1 } });
      await c.agentCredential.create({ data: { hostId: id, tokenHash: hashSecret(credential), prefix: credential.slice(0, 10) } });
      await c.clusterDirector.create({ data: { id: `cd${id}`, clusterId, hostId: id } });
      hosts.push({ id, credential, cluster: k });
    }
    const services = [];
    const vs = [];
    const rs = [];
    for (let j = 0; j < SERVICES; j++) {
      const id = `s${k}_${j}`;
      const address = vip(k, j);
      vs.push({ id, clusterId, protocol: "TCP", address, family: "ipv4", port: 80, scheduler: "wlc", serviceKey: `TCP|${address}|80`, sortKey: `${k}-${j}` });
      const realServers = [];
      for (let r = 0; r < RS; r++) {
        const rid = `r${k}_${j}_${r}`;
        rs.push({ id: rid, virtualServiceId: id, address: rip(k, j, r), forwarding: "DR", endpointKey: `${rip(k, j, r)}|80` });
        realServers.push({ id: rid, hostId: null, hostName: null, address: rip(k, j, r), port: null, forwarding: "DR", weight: 1, upperThreshold: 0, lowerThreshold: 0, enabled: true });
      }
      services.push({
        id, protocol: "TCP", address, family: "ipv4", port: 80, fwmark: null, markProtocol: null, markPorts: [], scheduler: "wlc", schedulerFlags: [],
        persistenceTimeout: null, persistenceNetmask: null, persistenceEngine: null, description: "", enabled: true, realServers,
      });
    }
    await c.virtualService.createMany({ data: vs });
    await c.realServer.createMany({ data: rs });
    const snapshot = {
      cluster: { id: clusterId, name: `bench-${k}`, description: "" },
      directors: directorIds.map((id, n) => ({ id: `cd${id}`, hostId: id, hostName: `lb-${k}-${n}`, vipInterface: "eth0", priority: 100 })),
      services,
    };
    await c.revision.create({ data: { id: `rev${k}`, clusterId, number: 1, kind: "apply", snapshot: JSON.stringify(snapshot), draftHash: "bench", createdByName: "bench" } });
    for (const [n, id] of directorIds.entries()) {
      const desired = {
        schemaVersion: 1, generation: 1, host: `lb-${k}-${n}`, addresses: [], realServer: null, sysctls: {}, fwmarks: [],
        ipvs: { services: services.map((s) => ({ protocol: "tcp", address: s.address, port: 80, scheduler: "wlc", destinations: s.realServers.map((r) => ({ address: r.address, forwarding: "dr" })) })) },
      };
      await c.hostDeployment.create({ data: { revisionId: `rev${k}`, hostId: id, generation: 1, desiredState: JSON.stringify(desired), status: "applied" } });
    }
    clusters.push({ id: clusterId, serviceIds: services.map((s) => s.id) });
  }
  return { hosts, clusters };
}

// --- simulated agents (in worker processes, so the load generator does not starve the browsers) ---

type Host = { id: string; credential: string; cluster: number };

/**
 * One director: cumulative counters per service and real server; each second a
 * random BUSY fraction of services gets traffic. Frames follow the contract as
 * the agent's encoder (agent/src/stats/frames.ts buildFrame) produces them for
 * this traffic: full on connect and every 60 s; otherwise only the services
 * whose counters moved (with all their real servers), idle ones absent (= zero
 * rates). One frame in flight; a tick while waiting for the ack is skipped
 * (latest-only).
 */
class SimAgent {
  socket: Socket;
  counters: Float64Array;
  gauges: Int32Array;
  seq = 0;
  inFlight = false;
  lastFull = 0;
  acked = false;
  timer: NodeJS.Timeout | null = null;
  sent = 0;
  bytes = 0;
  keys: string[];
  dkeys: string[][];

  constructor(
    url: string,
    readonly host: Host,
  ) {
    this.socket = connect(`${url}${AGENT_NAMESPACE}`, { path: "/socket.io", transports: ["websocket"], reconnection: false, forceNew: true, auth: { hostId: host.id, credential: host.credential } });
    this.keys = Array.from({ length: SERVICES }, (_, j) => `tcp ${vip(host.cluster, j)}:80`);
    this.dkeys = Array.from({ length: SERVICES }, (_, j) => Array.from({ length: RS }, (_, r) => `${rip(host.cluster, j, r)}:80`));
    this.counters = new Float64Array(SERVICES * RS * 5).map((_, n) => (n % 5 === 0 ? int(5e7) : n % 5 === 1 ? int(5e8) : n % 5 === 3 ? int(5e10) : 0));
    this.gauges = new Int32Array(SERVICES * RS * 2).map(() => int(100));
  }

  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("connect_error", reject);
    });
  }

  start(phaseMs: number) {
    setTimeout(() => {
      this.timer = setInterval(() => this.tick(), 1000);
      this.tick();
    }, phaseMs);
  }

  private entry(j: number, rates: number[][] | null): StatsServiceEntry {
    const d: StatsEntry[] = [];
    const sum: Five = [0, 0, 0, 0, 0];
    const sumR: Five = [0, 0, 0, 0, 0];
    let a = 0;
    let i = 0;
    for (let r = 0; r < RS; r++) {
      const base = (j * RS + r) * 5;
      const c = Array.from(this.counters.subarray(base, base + 5)) as Five;
      const rr = (rates ? rates[r] : [0, 0, 0, 0, 0]) as Five;
      const ga = this.gauges[(j * RS + r) * 2];
      const gi = this.gauges[(j * RS + r) * 2 + 1];
      d.push({ k: this.dkeys[j][r], c, r: rr, a: ga, i: gi });
      for (let n = 0; n < 5; n++) {
        sum[n] += c[n];
        sumR[n] += rr[n];
      }
      a += ga;
      i += gi;
    }
    return { k: this.keys[j], c: sum, r: sumR, a, i, d };
  }

  tick() {
    // the kernel moves on every second, sent or not
    const busy: (number[][] | null)[] = [];
    for (let j = 0; j < SERVICES; j++) {
      if (rand() >= BUSY) {
        busy.push(null);
        continue;
      }
      const rates: number[][] = [];
      for (let r = 0; r < RS; r++) {
        const rr = [int(300) + 1, int(3000) + 10, 0, int(3e5) + 100, 0];
        const base = (j * RS + r) * 5;
        for (let n = 0; n < 5; n++) this.counters[base + n] += rr[n];
        this.gauges[(j * RS + r) * 2] = int(500);
        this.gauges[(j * RS + r) * 2 + 1] = int(2000);
        rates.push(rr);
      }
      busy.push(rates);
    }
    if (this.inFlight) return;
    const full = !this.acked || Date.now() - this.lastFull >= 60_000;
    const services: StatsServiceEntry[] = [];
    for (let j = 0; j < SERVICES; j++) if (full || busy[j]) services.push(this.entry(j, busy[j]));
    const frame: StatsFrame = { seq: this.seq++, at: Date.now(), intervalMs: 1000, full, services, totals: null };
    if (full) this.lastFull = Date.now();
    this.inFlight = true;
    this.sent++;
    if (this.sent % 10 === 1) this.bytes += Buffer.byteLength(JSON.stringify(frame)) * 10;
    this.socket
      .timeout(10_000)
      .emitWithAck(AgentEvents.stats, frame)
      .then(
        () => {
          this.acked = true;
        },
        () => undefined,
      )
      .finally(() => {
        this.inFlight = false;
      });
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.socket.disconnect();
  }
}

/** Worker process: connects its agents, starts them on "start", reports frames and bytes sent on "stop". */
async function agentWorker() {
  const { url, hosts, offset, total } = JSON.parse(process.env.FANOUT_WORKER!) as { url: string; hosts: Host[]; offset: number; total: number };
  const sims = hosts.map((h) => new SimAgent(url, h));
  for (let i = 0; i < sims.length; i += 50) await Promise.all(sims.slice(i, i + 50).map((s) => s.connected()));
  process.send!({ ready: true });
  process.on("message", (m: { cmd: string }) => {
    if (m.cmd === "start") sims.forEach((s, i) => s.start(((offset + i) * 1000) / total));
    if (m.cmd === "count") process.send!({ sent: sims.reduce((a, s) => a + s.sent, 0), bytes: sims.reduce((a, s) => a + s.bytes, 0) });
    if (m.cmd === "stop") {
      sims.forEach((s) => s.stop());
      process.exit(0);
    }
  });
}

interface Worker {
  child: ChildProcess;
  ask(cmd: string): Promise<{ sent: number; bytes: number }>;
}

async function startWorkers(url: string, hosts: Host[]): Promise<Worker[]> {
  const per = Math.ceil(hosts.length / WORKERS);
  const workers: Worker[] = [];
  for (let w = 0; w < WORKERS && w * per < hosts.length; w++) {
    const slice = hosts.slice(w * per, (w + 1) * per);
    const child = fork(__filename, ["--agents-worker"], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, FANOUT_WORKER: JSON.stringify({ url, hosts: slice, offset: w * per, total: hosts.length }) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`agent worker exited with ${code}`)));
    });
    workers.push({
      child,
      ask: (cmd) =>
        new Promise((resolve) => {
          child.once("message", (m) => resolve(m as { sent: number; bytes: number }));
          child.send({ cmd });
        }),
    });
  }
  return workers;
}

// --- the panel child process --------------------------------------------------------------------

interface Report {
  t: number;
  cpuUs: number;
  rss: number;
  rings: { ringBytes: number; services: number; realServers: number; clusters: number; totalRingBytes: number };
  emitted: number;
  /** the panel's event-loop delay over the last report interval, ms */
  loopP99: number;
  loopMax: number;
  /** main-thread GC pause time and the longest pause in the report interval, ms */
  gcMs?: number;
  gcMaxMs?: number;
}

async function startPanel(databaseUrl: string): Promise<{ child: ChildProcess; url: string; reports: Report[] }> {
  const extra = (process.env.PANEL_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, ["--max-old-space-size=8192", ...extra, "--import", "tsx", path.join(ROOT, "server/stats/socket-panel.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: "0", PANEL_REPORT_MS: "1000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const reports: Report[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^\{"port":(\d+)\}$/.exec(line.trim());
      if (m) resolve(Number(m[1]));
      else if (line.startsWith('{"t":')) reports.push(JSON.parse(line) as Report);
    });
    child.once("exit", (code) => reject(new Error(`panel exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, reports };
}

function cpuBetween(reports: Report[], from: number, to: number): number {
  const inWindow = reports.filter((r) => r.t >= from && r.t <= to);
  if (inWindow.length < 2) return Number.NaN;
  const a = inWindow[0];
  const b = inWindow[inWindow.length - 1];
  return ((b.cpuUs - a.cpuUs) / 1000 / (b.t - a.t)) * 100;
}

const pct = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

async function run(agents: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-fanout-"));
  const url = `file:${path.join(dir, "bench.db")}`;
  await deployMigrations(url, { quiet: true });
  const db = await openDatabase(url);
  const seeded = await seed_(db, agents);
  const { sessionToken } = await setupPanel(db, { username: "bench", password: "bench password 123" }, { clientAddress: "127.0.0.1", userAgent: "bench" });
  await db.close();

  const panel = await startPanel(url);
  panel.child.once("exit", (code, signal) => {
    if (!stopping) console.error(`the panel exited (${code ?? signal}) during the run`);
  });
  let stopping = false;
  let disconnects = 0;
  const workers = await startWorkers(panel.url, seeded.hosts);

  // browsers: each watches one cluster room and one service room of that cluster
  const latencies: number[] = [];
  let measuring = false;
  const browsers: Socket[] = [];
  for (let b = 0; b < BROWSERS; b++) {
    const socket = connect(`${panel.url}${LIVE_NAMESPACE}`, { path: "/socket.io", transports: ["websocket"], reconnection: false, forceNew: true, extraHeaders: { cookie: `${SESSION_COOKIE}=${sessionToken}` } });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", reject);
    });
    const cluster = seeded.clusters[b % seeded.clusters.length];
    socket.on(LiveEvents.clusterStats, (f: ClusterLiveFrame) => measuring && latencies.push(Date.now() - f.at));
    socket.on(LiveEvents.serviceStats, (f: ServiceLiveFrame) => measuring && latencies.push(Date.now() - f.at));
    await socket.timeout(30_000).emitWithAck(LiveEvents.subscribe, { scope: "cluster", clusterId: cluster.id });
    await socket.timeout(30_000).emitWithAck(LiveEvents.subscribe, { scope: "service", serviceId: cluster.serviceIds[b % cluster.serviceIds.length] });
    socket.on("disconnect", (reason) => {
      if (!stopping) disconnects++, console.error(`a browser was disconnected: ${reason}`);
    });
    browsers.push(socket);
  }

  // echo reference: a /live round trip the panel answers without I/O (invalid subscribe), sampled every 200 ms
  const echoes: number[] = [];
  let echoing = true;
  const echo = async () => {
    while (echoing) {
      const t = performance.now();
      try {
        await browsers[0].timeout(10_000).emitWithAck(LiveEvents.subscribe, { scope: "nothing" });
        if (measuring) echoes.push(performance.now() - t);
      } catch {
        if (measuring) echoes.push(10_000);
      }
      await sleep(200);
    }
  };

  const idleFrom = Date.now();
  await sleep(IDLE_S * 1000);
  const idleTo = Date.now();
  for (const w of workers) w.child.send({ cmd: "start" });
  void echo();
  await sleep(WARMUP_S * 1000);
  const count = async () => (await Promise.all(workers.map((w) => w.ask("count")))).reduce((a, c) => ({ sent: a.sent + c.sent, bytes: a.bytes + c.bytes }), { sent: 0, bytes: 0 });
  const before = await count();
  measuring = true;
  const from = Date.now();
  await sleep(MEASURE_S * 1000);
  const to = Date.now();
  measuring = false;
  echoing = false;
  const after = await count();
  const frames = after.sent - before.sent;
  const bytes = after.bytes - before.bytes;
  await sleep(1500);

  const idleCpu = cpuBetween(panel.reports, idleFrom, idleTo);
  const cpu = cpuBetween(panel.reports, from, to);
  const last = panel.reports[panel.reports.length - 1];
  const window = panel.reports.filter((r) => r.t >= from && r.t <= to);
  const rssMax = Math.max(...window.map((r) => r.rss));
  const loopP99 = pct(window.map((r) => r.loopP99), 50);
  const loopMax = Math.max(...window.map((r) => r.loopMax));
  const perService = last.rings.ringBytes * (1 + RS);
  const seconds = (to - from) / 1000;
  console.log(`\n${agents} agents (${seeded.clusters.length} clusters × 2 directors × ${SERVICES} services × ${RS} real servers, BUSY=${BUSY}), ${BROWSERS} browsers, ${seconds.toFixed(0)} s`);
  console.log(`  frames in:   ${(frames / seconds).toFixed(0)}/s, ${(bytes / seconds / 1e6).toFixed(2)} MB/s JSON (${Math.round(bytes / Math.max(1, frames))} B/frame)`);
  console.log(`  panel CPU:   ${cpu.toFixed(1)} % of one core streaming vs ${idleCpu.toFixed(1)} % idle (everything connected, no frames) — ${(cpu / Math.max(idleCpu, 0.1)).toFixed(1)}× idle`);
  console.log(`  panel RSS:   ${(rssMax / 2 ** 20).toFixed(0)} MiB max; rings ${(last.rings.totalRingBytes / 2 ** 20).toFixed(0)} MiB for ${last.rings.services} services + ${last.rings.realServers} real servers + ${last.rings.clusters} clusters = ${(perService / 1024).toFixed(1)} KiB per service with ${RS} real servers`);
  console.log(`  delivery:    sample → browser p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms over ${latencies.length} frames (${(latencies.length / seconds).toFixed(0)}/s to ${BROWSERS} browsers)`);
  const loopWorstP99 = Math.max(...window.map((r) => r.loopP99));
  const stalls = window.filter((r) => r.loopMax > 100).length;
  console.log(`  panel loop:  event-loop delay p99 ${loopP99.toFixed(0)} ms (median of 1 s windows; worst window ${loopWorstP99.toFixed(0)} ms), max ${loopMax.toFixed(0)} ms; ${stalls} of ${window.length} s had a stall > 100 ms`);
  // when the long stalls happen: second of the wall-clock minute (rollups are written at :05, full frames every 60 s per agent)
  const long = window.filter((r) => r.loopMax > 250).map((r) => `:${String(new Date(r.t).getUTCSeconds()).padStart(2, "0")} ${r.loopMax.toFixed(0)} ms`);
  if (long.length > 0) console.log(`  stalls > 250 ms (report second: max): ${long.join(", ")}`);
  const gcTotal = window.reduce((a, r) => a + (r.gcMs ?? 0), 0);
  const gcLong = window.filter((r) => r.loopMax > 250);
  console.log(`  panel GC:    ${(gcTotal / seconds).toFixed(0)} ms/s in pauses, longest ${Math.max(...window.map((r) => r.gcMaxMs ?? 0)).toFixed(0)} ms; in the seconds with a stall > 250 ms: ${gcLong.reduce((a, r) => a + (r.gcMs ?? 0), 0).toFixed(0)} ms GC of ${gcLong.reduce((a, r) => a + r.loopMax, 0).toFixed(0)} ms stalled`);
  console.log(`  reference:   socket.io round trip through the same panel p50 ${pct(echoes, 50).toFixed(1)} ms, p99 ${pct(echoes, 99).toFixed(1)} ms → delivery p99 = ${(pct(latencies, 99) / Math.max(pct(echoes, 99), 0.1)).toFixed(0)}× echo p99`);
  console.log(`  targets:     500 agents within one core (CPU ≤ 100 %): ${cpu <= 100 ? "met" : "MISSED"} at ${agents}; p99 ≤ 1500 ms: ${pct(latencies, 99) <= 1500 ? "met" : "MISSED"}`);

  stopping = true;
  for (const w of workers) w.child.send({ cmd: "stop" });
  for (const b of browsers) b.disconnect();
  const exited = new Promise((resolve) => panel.child.once("exit", resolve));
  panel.child.kill("SIGTERM");
  await exited;
  fs.rmSync(dir, { recursive: true, force: true });
}

/** The gateway's per-frame validation: the hand-written check against StatsFrameSchema (zod) on the same full frame, same process. */
function frameCheckCost() {
  const e = (k: string): StatsEntry => ({ k, c: [1e6, 2e6, 3e6, 4e9, 5e9], r: [10, 20, 30, 4000, 5000], a: 30, i: 70 });
  const frame = { seq: 1, at: Date.now(), intervalMs: 1000, full: true, totals: null, services: Array.from({ length: SERVICES }, (_, s) => ({ ...e(`tcp 192.0.2.${s}:80`), d: Array.from({ length: RS }, (_, d) => e(`10.${s >> 8}.${s & 255}.${d}:80`)) })) };
  const time = (f: () => unknown, n = 1000) => {
    for (let i = 0; i < 200; i++) f();
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    return ((performance.now() - t) / n) * 1000;
  };
  if (!isStatsFrame(frame) || !StatsFrameSchema.safeParse(frame).success) throw new Error("the bench frame is not a valid StatsFrame");
  const zod = time(() => StatsFrameSchema.safeParse(frame));
  const hand = time(() => isStatsFrame(frame));
  console.log(`frame check (${SERVICES} × ${RS} full frame): isStatsFrame ${hand.toFixed(0)} µs vs StatsFrameSchema.safeParse ${zod.toFixed(0)} µs — ${(zod / hand).toFixed(1)}× cheaper`);
}

if (process.argv.includes("--agents-worker")) {
  void agentWorker().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else
void (async () => {
  console.log(`stats fan-out bench — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  frameCheckCost();
  for (const n of AGENTS) await run(n);
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
