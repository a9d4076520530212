#!/usr/bin/env node
// A simulated director agent for the health-check browser test (e2e/08-health-checks.spec.ts):
// the real wire protocol (shared/agent-protocol) over socket.io /agent — enroll
// with a one-time token, hello, accept and report every desired state (no
// kernel) — plus what the test tells it on stdin:
//   {"cmd":"health","entries":[{destination, status, reason, latencyMs}], "service":"tcp 192.0.2.80:80"}
//       → one HealthReport (entries the agent's HealthEntry shape)
//   {"cmd":"conns","active":{"198.51.100.81:80":3}} → 1 Hz StatsFrames with these ActiveConn per destination
// stdout (JSON lines): {"event":"connected"} {"event":"applied","generation":N,"weights":{"<svc> <dest>":w}} {"event":"health-acked","ok":true}
//   PANEL_URL=http://127.0.0.1:3107 ENROLL_TOKEN=lvse_… node e2e/helpers/health-agent.mjs
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const base = process.env.PANEL_URL;
const token = process.env.ENROLL_TOKEN;
if (!base || !token) {
  console.error("PANEL_URL and ENROLL_TOKEN are required");
  process.exit(2);
}
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const res = await fetch(`${base}/api/agent/enroll`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, hostname: "health-director" }) });
if (!res.ok) {
  console.error(`enroll failed: HTTP ${res.status} ${await res.text()}`);
  process.exit(1);
}
const { hostId, credential } = await res.json();
const fmt = (address, port) => (address.includes(":") ? `[${address}]` : address) + `:${port}`;

let applied = null;
/** service key → destination keys */
let services = new Map();
/** destination key → active connections */
let active = {};

const socket = io(`${base}/agent`, { path: "/socket.io", auth: { hostId, credential }, transports: ["websocket"], reconnectionDelayMax: 2000 });
socket.on("connect_error", (e) => console.error(`connect_error: ${e.message}`));
socket.on("connect", () => {
  socket.emit(
    "hello",
    {
      agentVersion: "health-sim",
      hostname: "health-director",
      kernel: { release: "6.1.0-sim", ipvs: true, ipvsVersion: "1.2.1", schedulers: ["rr", "wrr", "wlc"], interfaces: [{ name: "eth0", addresses: ["192.0.2.3/24"], up: true }], defaultGateways: [] },
      appliedGeneration: applied,
    },
    () => say({ event: "connected", hostId }),
  );
});
socket.on("desired", (push, ack) => {
  if (push.base !== undefined) return ack?.({ accepted: false, error: "the simulated agent takes whole documents only" });
  const weights = {};
  const next = new Map();
  for (const s of push.state.ipvs?.services ?? []) {
    const key = s.protocol === "fwmark" ? `fwmark ${s.fwmark} ${s.family}` : `${s.protocol} ${fmt(s.address, s.port)}`;
    const dests = (s.destinations ?? []).map((d) => fmt(d.address, d.port ?? s.port));
    next.set(key, dests);
    (s.destinations ?? []).forEach((d, i) => (weights[`${key} ${dests[i]}`] = d.weight ?? 1));
  }
  services = next;
  applied = push.generation;
  ack?.({ accepted: true });
  socket.emit("report", { kind: "apply", generation: push.generation, at: new Date().toISOString(), results: [], drift: [], converged: true, durationMs: 1 }, () => {});
  say({ event: "applied", generation: push.generation, weights, sysctls: push.state.sysctls ?? {} });
});
socket.on("plan", (_req, ack) => ack?.({ ok: true, ops: [], warnings: [] }));
socket.on("repair", (_req, ack) => ack?.({ accepted: true }));

// 1 Hz full StatsFrames: counters stay 0, ActiveConn per destination as the test set it
let seq = 0;
let inFlight = false;
setInterval(() => {
  if (!socket.connected || inFlight || applied === null) return;
  const zero = [0, 0, 0, 0, 0];
  const list = [...services].map(([k, dests]) => {
    const d = dests.map((dk) => ({ k: dk, c: zero, r: zero, a: active[dk] ?? 0, i: 0 }));
    return { k, c: zero, r: zero, a: d.reduce((x, e) => x + e.a, 0), i: 0, d };
  });
  inFlight = true;
  const timer = setTimeout(() => (inFlight = false), 10_000);
  socket.emit("stats", { seq: seq++, at: Date.now(), intervalMs: 1000, full: true, services: list, totals: { c: zero, r: zero } }, () => {
    clearTimeout(timer);
    inFlight = false;
  });
}, 1000);

createInterface({ input: process.stdin }).on("line", (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    return;
  }
  if (cmd.cmd === "conns") active = cmd.active ?? {};
  else if (cmd.cmd === "health") {
    const now = new Date().toISOString();
    const report = {
      at: now,
      full: false,
      entries: cmd.entries.map((e) => ({
        service: cmd.service,
        destination: e.destination,
        status: e.status,
        since: now,
        lastCheckAt: now,
        lastOk: e.status === "up",
        latencyMs: e.latencyMs ?? null,
        reason: e.reason ?? "",
        action: e.status === "down" ? "quiesced" : "none",
      })),
      sorryActive: [],
    };
    socket.emit("health", report, (ack) => say({ event: "health-acked", ok: ack?.ok ?? null, error: ack?.error ?? null }));
  } else if (cmd.cmd === "quit") {
    socket.close();
    process.exit(0);
  }
});
process.stdin.on("end", () => {
  socket.close();
  process.exit(0);
});
