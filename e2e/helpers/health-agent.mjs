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
import { connectSimDirector, endpoint, onCommands, say, serviceKey, statsEverySecond } from "./sim-director.mjs";

/** service key → destination keys */
let services = new Map();
/** destination key → active connections */
let active = {};

const director = await connectSimDirector({
  hostname: "health-director",
  agentVersion: "health-sim",
  address: "192.0.2.3/24",
  onState: (state) => {
    const weights = {};
    const next = new Map();
    for (const s of state.ipvs?.services ?? []) {
      const key = serviceKey(s);
      const dests = (s.destinations ?? []).map((d) => endpoint(d.address, d.port ?? s.port));
      next.set(key, dests);
      (s.destinations ?? []).forEach((d, i) => (weights[`${key} ${dests[i]}`] = d.weight ?? 1));
    }
    services = next;
    return { weights, sysctls: state.sysctls ?? {} };
  },
});

// 1 Hz full StatsFrames: counters stay 0, ActiveConn per destination as the test set it
const zero = [0, 0, 0, 0, 0];
statsEverySecond(director, (seq) => {
  const list = [...services].map(([k, dests]) => {
    const d = dests.map((dk) => ({ k: dk, c: zero, r: zero, a: active[dk] ?? 0, i: 0 }));
    return { k, c: zero, r: zero, a: d.reduce((x, e) => x + e.a, 0), i: 0, d };
  });
  return { seq, at: Date.now(), intervalMs: 1000, full: true, services: list, totals: { c: zero, r: zero } };
});

onCommands(director, (cmd) => {
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
    director.socket.emit("health", report, (ack) => say({ event: "health-acked", ok: ack?.ok ?? null, error: ack?.error ?? null }));
  }
});
