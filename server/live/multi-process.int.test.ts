/**
 * Several panel processes behind one load balancer (issue #5): TWO panel
 * processes (server/stats/socket-panel.ts: the panel's sockets, /metrics and
 * health without the pages) on the private PostgreSQL, an agent connected to
 * process A, a browser (session cookie) connected to process B. The browser
 * gets the agent's frames through the socket.io Postgres adapter, and B's
 * /metrics shows the counters of an agent it never saw. PostgreSQL only: a
 * SQLite panel is one process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { io as connectClient, type Socket as ClientSocket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as channel from "@/server/services/agent-channel";
import { exchangeEnrollmentToken } from "@/server/services/agents";
import { SESSION_COOKIE } from "@/server/services/auth/secrets";
import { createTestDatabase, setupAdmin, type TestClient, type TestDatabase } from "@/server/testing/harness";
import { AGENT_NAMESPACE, AgentEvents, type StatsFrame } from "@/shared/agent-protocol";
import { LIVE_NAMESPACE, LiveEvents, type ClusterLiveFrame, type ServiceLiveFrame } from "@/shared/live";

const ROOT = path.resolve(__dirname, "../..");

interface Panel {
  child: ChildProcess;
  url: string;
  stderr: string[];
}

async function startPanel(databaseUrl: string): Promise<Panel> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "server/stats/socket-panel.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: "0", PANEL_LOG: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (l) => stderr.push(l));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`panel did not start: ${stderr.join("\n")}`)), 150_000);
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const m = /^\{"port":(\d+)\}$/.exec(line.trim());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => reject(new Error(`panel exited with ${code}: ${stderr.join("\n")}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, stderr };
}

async function stopPanel(p: Panel | undefined) {
  if (!p || p.child.exitCode !== null) return;
  const exited = new Promise((resolve) => p.child.once("exit", resolve));
  p.child.kill("SIGTERM");
  await exited;
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!process.env.TEST_POSTGRES_URL)("live stats across two panel processes (postgres)", () => {
  let t: TestDatabase;
  let admin: TestClient;
  let a: Panel | undefined;
  let b: Panel | undefined;
  const sockets: ClientSocket[] = [];
  const ids = { cluster: "", lb1: "", service: "", rs1: "" };
  let credential = "";

  beforeAll(async () => {
    t = await createTestDatabase("postgres");
    admin = await setupAdmin(t.db);
    ids.cluster = (await admin.call((api) => api.clusters.create({ name: "edge" }))).id;
    ids.lb1 = (await admin.call((api) => api.hosts.create({ name: "lb1", managementAddress: "192.0.2.1" }))).id;
    await admin.call((api) => api.directors.add({ clusterId: ids.cluster, hostId: ids.lb1, priority: 100 }));
    const s = await admin.call((api) => api.services.create({ clusterId: ids.cluster, protocol: "TCP", address: "192.0.2.10", port: 443, realServers: [{ address: "10.0.0.11" }] }));
    ids.service = s.id;
    ids.rs1 = s.realServers[0].id;
    const review = await admin.call((api) => api.revisions.review({ clusterId: ids.cluster }));
    await admin.call((api) => api.revisions.applyDraft({ clusterId: ids.cluster, baseRevisionNumber: null, draftHash: review.draftHash }));
    await channel.recordReport(t.db, ids.lb1, { kind: "apply", generation: 1, at: new Date().toISOString(), results: [], drift: [], converged: true, durationMs: 1 });
    const { token } = await admin.call((api) => api.hosts.enroll({ hostId: ids.lb1 }));
    credential = (await exchangeEnrollmentToken(t.db, token, "lb1", "127.0.0.1")).credential;
    [a, b] = await Promise.all([startPanel(t.url), startPanel(t.url)]);
  }, 240_000);

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await Promise.all([stopPanel(a), stopPanel(b)]);
    await t?.destroy();
  }, 60_000);

  it("a browser on process B receives frames of an agent connected to process A; B's /metrics counts them", async () => {
    // the browser on B, subscribed to the cluster and the service
    const browser = connectClient(`${b!.url}${LIVE_NAMESPACE}`, {
      path: "/socket.io",
      transports: ["websocket"],
      reconnection: false,
      extraHeaders: { cookie: `${SESSION_COOKIE}=${admin.cookie}` },
    });
    sockets.push(browser);
    await new Promise<void>((resolve, reject) => {
      browser.once("connect", resolve);
      browser.once("connect_error", reject);
    });
    const clusterFrames: ClusterLiveFrame[] = [];
    const serviceFrames: ServiceLiveFrame[] = [];
    browser.on(LiveEvents.clusterStats, (f: ClusterLiveFrame) => clusterFrames.push(f));
    browser.on(LiveEvents.serviceStats, (f: ServiceLiveFrame) => serviceFrames.push(f));
    expect(await browser.timeout(10_000).emitWithAck(LiveEvents.subscribe, { scope: "cluster", clusterId: ids.cluster })).toEqual({ ok: true });
    expect(await browser.timeout(10_000).emitWithAck(LiveEvents.subscribe, { scope: "service", serviceId: ids.service })).toEqual({ ok: true });

    // the agent on A, streaming 1 frame per 200 ms with a growing counter
    const agent = connectClient(`${a!.url}${AGENT_NAMESPACE}`, { path: "/socket.io", transports: ["websocket"], reconnection: false, auth: { hostId: ids.lb1, credential } });
    sockets.push(agent);
    await new Promise<void>((resolve, reject) => {
      agent.once("connect", resolve);
      agent.once("connect_error", reject);
    });
    let conns = 1000;
    let seq = 0;
    const send = async () => {
      conns += 7;
      const frame: StatsFrame = {
        seq: seq++,
        at: Date.now(),
        intervalMs: 1000,
        full: true,
        totals: null,
        services: [{ k: "tcp 192.0.2.10:443", c: [conns, conns, 0, conns * 60, 0], r: seq === 1 ? null : [7, 7, 0, 420, 0], a: 12, i: 3, d: [{ k: "10.0.0.11:443", c: [conns, 0, 0, 0, 0], r: seq === 1 ? null : [7, 0, 0, 0, 0], a: 12, i: 3 }] }],
      };
      return agent.timeout(5000).emitWithAck(AgentEvents.stats, frame);
    };
    expect(await send()).toEqual({ ok: true });
    const timer = setInterval(() => void send().catch(() => undefined), 200);
    try {
      await until(() => clusterFrames.some((f) => f.totals.rates.conns === 7) && serviceFrames.some((f) => f.service.rates.conns === 7), "frames on process B");
    } finally {
      clearInterval(timer);
    }
    const c = clusterFrames.find((f) => f.totals.rates.conns === 7)!;
    expect(c.totals.active).toBe(12);
    expect(c.agents).toEqual([expect.objectContaining({ name: "lb1", online: true })]);
    expect(serviceFrames.find((f) => f.service.rates.conns === 7)!.realServers).toEqual([expect.objectContaining({ id: ids.rs1, active: 12 })]);

    // B's /metrics knows the agent's counters although the agent is connected to A
    const { secret } = await admin.call((api) => api.tokens.create({ name: "prom", role: "viewer" }));
    const text = await (await fetch(`${b!.url}/metrics`, { headers: { authorization: `Bearer ${secret}` } })).text();
    expect(text).toMatch(/lvs_connections_total\{cluster="edge",service="TCP 192\.0\.2\.10:443"\} \d+/);
    expect(text).toContain('lvs_agent_up{host="lb1"} 1');
  });
});
