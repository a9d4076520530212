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
 * second a random BUSY fraction of services has traffic; frames are built by
 * the agent's own encoder (agent/src/stats/frames.ts: full on connect and every
 * 60 s, otherwise only changed entries, ack-paced, latest-only).
 *
 *   npx tsx bench/stats-fanout.ts                 # AGENTS="100 500" BROWSERS=100
 *   AGENTS=500 MEASURE_S=60 BUSY=0.5 npx tsx bench/stats-fanout.ts
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { io as connect, type Socket } from "socket.io-client";
import { buildFrame, type EntrySnapshot, type Five, type ServiceSnapshot, type StatsSnapshot } from "../agent/src/stats/frames";
import { openDatabase, type Database } from "../server/db";
import { deployMigrations } from "../server/db/deploy";
import { setup as setupPanel } from "../server/services/auth";
import { SESSION_COOKIE, hashSecret } from "../server/services/auth/secrets";
import { AGENT_NAMESPACE, AgentEvents } from "../shared/agent-protocol";
import { LIVE_NAMESPACE, LiveEvents, type ClusterLiveFrame, type ServiceLiveFrame } from "../shared/live";

const AGENTS = (process.env.AGENTS ?? "100 500").split(/\s+/).filter(Boolean).map(Number);
const BROWSERS = Number(process.env.BROWSERS ?? 100);
const SERVICES = Number(process.env.SERVICES ?? 50);
const RS = Number(process.env.RS ?? 4);
const BUSY = Number(process.env.BUSY ?? 0.5);
const IDLE_S = Number(process.env.IDLE_S ?? 10);
const WARMUP_S = Number(process.env.WARMUP_S ?? 15);
const MEASURE_S = Number(process.env.MEASURE_S ?? 60);
const ROOT = path.resolve(__dirname, "..");

let seed = 7;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const int = (max: number) => Math.floor(rand() * max);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const vip = (k: number, j: number) => `10.${100 + (k >> 8)}.${k & 255}.${j + 1}`;
const rip = (k: number, j: number, r: number) => `10.${(k >> 8) + 1}.${k & 255}.${(j * RS + r) % 250 + 1}`;

// --- seeding: clusters of two directors with an applied revision and deployment --------------

async function seed_(db: Database, agents: number): Promise<{ hosts: { id: string; credential: string; cluster: number }[]; clusters: { id: string; serviceIds: string[] }[] }> {
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

// --- simulated agents --------------------------------------------------------------------------

class SimAgent {
  socket: Socket;
  snapshot: StatsSnapshot;
  acked: StatsSnapshot | null = null;
  seq = 0;
  inFlight = false;
  lastFull = 0;
  timer: NodeJS.Timeout | null = null;
  sent = 0;
  bytes = 0;

  constructor(
    url: string,
    readonly host: { id: string; credential: string; cluster: number },
  ) {
    this.socket = connect(`${url}${AGENT_NAMESPACE}`, { path: "/socket.io", transports: ["websocket"], reconnection: false, forceNew: true, auth: { hostId: host.id, credential: host.credential } });
    const services = new Map<string, ServiceSnapshot>();
    for (let j = 0; j < SERVICES; j++) {
      const d = new Map<string, EntrySnapshot>();
      for (let r = 0; r < RS; r++) d.set(`${rip(host.cluster, j, r)}:80`, { c: [int(5e7), int(5e8), 0, int(5e10), 0], r: null, a: int(50), i: int(200) });
      services.set(`tcp ${vip(host.cluster, j)}:80`, { c: [0, 0, 0, 0, 0], r: null, a: 0, i: 0, d });
    }
    this.snapshot = { at: Date.now(), services, totals: { c: [0, 0, 0, 0, 0], r: null } };
    this.roll(false);
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("connect_error", reject);
    });
  }

  /** One kernel sample: busy services' counters grow; rates and gauges like a real director. */
  roll(traffic: boolean) {
    const services = new Map<string, ServiceSnapshot>();
    for (const [key, s] of this.snapshot.services) {
      const busy = traffic && rand() < BUSY;
      const d = new Map<string, EntrySnapshot>();
      const sum: Five = [0, 0, 0, 0, 0];
      const sumR: Five = [0, 0, 0, 0, 0];
      let a = 0;
      let i = 0;
      for (const [dkey, old] of s.d) {
        const r: Five = busy ? [int(300) + 1, int(3000) + 10, 0, int(3e5) + 100, 0] : [0, 0, 0, 0, 0];
        const c = old.c.map((v, n) => v + r[n]) as Five;
        const e = { c, r, a: busy ? int(500) : old.a, i: busy ? int(2000) : old.i };
        d.set(dkey, e);
        for (let n = 0; n < 5; n++) {
          sum[n] += c[n];
          sumR[n] += r[n];
        }
        a += e.a;
        i += e.i;
      }
      services.set(key, { c: sum, r: sumR, a, i, d });
    }
    this.snapshot = { at: Date.now(), services, totals: this.snapshot.totals };
  }

  start(phaseMs: number) {
    setTimeout(() => {
      this.timer = setInterval(() => this.tick(), 1000);
      this.tick();
    }, phaseMs);
  }

  tick() {
    this.roll(true);
    if (this.inFlight) return; // latest-only: the next tick sends the newest sample
    const full = this.acked === null || Date.now() - this.lastFull >= 60_000;
    const current = this.snapshot;
    const frame = buildFrame(full ? null : this.acked, current, { seq: this.seq++, intervalMs: 1000, full });
    if (full) this.lastFull = Date.now();
    this.inFlight = true;
    this.sent++;
    this.bytes += Buffer.byteLength(JSON.stringify(frame));
    this.socket
      .timeout(10_000)
      .emitWithAck(AgentEvents.stats, frame)
      .then(
        () => {
          this.acked = current;
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

// --- the panel child process --------------------------------------------------------------------

interface Report {
  t: number;
  cpuUs: number;
  rss: number;
  rings: { ringBytes: number; services: number; realServers: number; clusters: number; totalRingBytes: number };
  emitted: number;
}

async function startPanel(databaseUrl: string): Promise<{ child: ChildProcess; url: string; reports: Report[] }> {
  const child = spawn(process.execPath, ["--max-old-space-size=8192", "--import", "tsx", path.join(ROOT, "server/stats/socket-panel.ts")], {
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
  const sims = seeded.hosts.map((h) => new SimAgent(panel.url, h));
  for (let i = 0; i < sims.length; i += 50) await Promise.all(sims.slice(i, i + 50).map((s) => s.connected()));

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
  sims.forEach((s, i) => s.start((i * 1000) / sims.length));
  void echo();
  await sleep(WARMUP_S * 1000);
  const sentBefore = sims.reduce((a, s) => a + s.sent, 0);
  const bytesBefore = sims.reduce((a, s) => a + s.bytes, 0);
  measuring = true;
  const from = Date.now();
  await sleep(MEASURE_S * 1000);
  const to = Date.now();
  measuring = false;
  echoing = false;
  const frames = sims.reduce((a, s) => a + s.sent, 0) - sentBefore;
  const bytes = sims.reduce((a, s) => a + s.bytes, 0) - bytesBefore;
  await sleep(1500);

  const idleCpu = cpuBetween(panel.reports, idleFrom, idleTo);
  const cpu = cpuBetween(panel.reports, from, to);
  const last = panel.reports[panel.reports.length - 1];
  const rssMax = Math.max(...panel.reports.filter((r) => r.t >= from && r.t <= to).map((r) => r.rss));
  const perService = last.rings.ringBytes * (1 + RS);
  const seconds = (to - from) / 1000;
  console.log(`\n${agents} agents (${seeded.clusters.length} clusters × 2 directors × ${SERVICES} services × ${RS} real servers, BUSY=${BUSY}), ${BROWSERS} browsers, ${seconds.toFixed(0)} s`);
  console.log(`  frames in:   ${(frames / seconds).toFixed(0)}/s, ${(bytes / seconds / 1e6).toFixed(2)} MB/s JSON (${Math.round(bytes / Math.max(1, frames))} B/frame)`);
  console.log(`  panel CPU:   ${cpu.toFixed(1)} % of one core streaming vs ${idleCpu.toFixed(1)} % idle (everything connected, no frames) — ${(cpu / Math.max(idleCpu, 0.1)).toFixed(1)}× idle`);
  console.log(`  panel RSS:   ${(rssMax / 2 ** 20).toFixed(0)} MiB max; rings ${(last.rings.totalRingBytes / 2 ** 20).toFixed(0)} MiB for ${last.rings.services} services + ${last.rings.realServers} real servers + ${last.rings.clusters} clusters = ${(perService / 1024).toFixed(1)} KiB per service with ${RS} real servers`);
  console.log(`  delivery:    sample → browser p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms over ${latencies.length} frames (${(latencies.length / seconds).toFixed(0)}/s to ${BROWSERS} browsers)`);
  console.log(`  reference:   socket.io round trip through the same panel p50 ${pct(echoes, 50).toFixed(1)} ms, p99 ${pct(echoes, 99).toFixed(1)} ms → delivery p99 = ${(pct(latencies, 99) / Math.max(pct(echoes, 99), 0.1)).toFixed(0)}× echo p99`);
  console.log(`  targets:     500 agents within one core (CPU ≤ 100 %): ${cpu <= 100 ? "met" : "MISSED"} at ${agents}; p99 ≤ 1500 ms: ${pct(latencies, 99) <= 1500 ? "met" : "MISSED"}`);

  stopping = true;
  for (const s of sims) s.stop();
  for (const b of browsers) b.disconnect();
  const exited = new Promise((resolve) => panel.child.once("exit", resolve));
  panel.child.kill("SIGTERM");
  await exited;
  fs.rmSync(dir, { recursive: true, force: true });
}

void (async () => {
  console.log(`stats fan-out bench — node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
  for (const n of AGENTS) await run(n);
  process.exit(0);
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
