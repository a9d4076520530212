#!/usr/bin/env node
// A simulated director agent for the live-stats browser test (e2e/07-live-stats.spec.ts):
// it speaks the real wire protocol (shared/agent-protocol) over socket.io /agent
// — enroll with a one-time token, hello, accept and report every desired
// state (nothing is applied: there is no kernel) — and then feeds StatsFrames
// (full frames, 1 Hz, one in flight, paced by the panel's ack) for the IPVS
// services of the desired state it was given, at a rate the test sets.
// It answers "connections" from a synthetic table (filter + offset/limit the
// way the agent does) and "zero" by restarting its counters.
//
//   PANEL_URL=http://127.0.0.1:3107 ENROLL_TOKEN=lvse_… node e2e/helpers/sim-agent.mjs
//   stdin (JSON lines):  {"cmd":"rate","conns":12.5}   {"cmd":"quit"}
//   stdout (JSON lines): {"event":"connected"} {"event":"applied","generation":N,"services":[keys]}
//                        {"event":"frame","seq":N,"at":ms} (first frame after each change only) {"event":"zero"} {"event":"connections",…}
import { connectSimDirector, endpoint, onCommands, say, serviceKey, statsEverySecond } from "./sim-director.mjs";

const CONNECTIONS = Number(process.env.SIM_CONNECTIONS ?? 60);

/** key → { c: [5], d: Map(destination key → [5]) } */
let services = new Map();
let conns = 0;

function adopt(state) {
  const next = new Map();
  for (const s of state.ipvs?.services ?? []) {
    const key = serviceKey(s);
    const old = services.get(key);
    const d = new Map();
    for (const dst of s.destinations ?? []) {
      const k = endpoint(dst.address, dst.port ?? s.port);
      d.set(k, old?.d.get(k) ?? [0, 0, 0, 0, 0]);
    }
    next.set(key, { c: old?.c ?? [0, 0, 0, 0, 0], d });
  }
  services = next;
}

const director = await connectSimDirector({
  hostname: "sim-director",
  agentVersion: "sim-agent",
  address: "192.0.2.2/24",
  onState: (state) => {
    adopt(state);
    return { services: [...services.keys()] };
  },
});
director.socket.on("zero", (req, ack) => {
  for (const [key, s] of services) {
    if (req?.service && req.service !== key) continue;
    s.c = [0, 0, 0, 0, 0];
    for (const k of s.d.keys()) s.d.set(k, [0, 0, 0, 0, 0]);
  }
  ack?.({ ok: true });
  say({ event: "zero", service: req?.service ?? null });
});

/** The synthetic table: CONNECTIONS entries per service, clients 203.0.113.1…, states cycling, destinations round robin. */
const STATES = ["ESTABLISHED", "ESTABLISHED", "TIME_WAIT", "FIN_WAIT", "SYN_RECV"];
function table() {
  const rows = [];
  for (const [key, s] of services) {
    const [proto, virtual] = key.split(" ");
    const dests = [...s.d.keys()];
    for (let i = 0; i < CONNECTIONS; i++) {
      rows.push({
        service: key,
        row: {
          protocol: proto.toUpperCase(),
          client: `203.0.113.${1 + (i % 200)}:${40000 + i}`,
          virtual,
          destination: dests.length ? dests[i % dests.length] : "0.0.0.0:0",
          state: proto === "udp" ? "UDP" : STATES[i % STATES.length],
          expiresIn: 900 - i,
        },
      });
    }
  }
  return rows;
}
director.socket.on("connections", (req, ack) => {
  const all = table()
    .filter((r) => !req?.service || r.service === req.service)
    .map((r) => r.row)
    .filter((r) => (!req?.client || r.client.startsWith(req.client)) && (!req?.state || r.state === req.state) && (!req?.destination || r.destination === req.destination));
  const offset = req?.offset ?? 0;
  const limit = req?.limit ?? 100;
  ack?.({ ok: true, total: all.length, rows: all.slice(offset, offset + limit) });
  say({ event: "connections", request: req, total: all.length });
});

// 1 Hz full frames, at most one in flight
let announce = true;
statsEverySecond(
  director,
  (seq) => {
    const at = Date.now();
    const list = [];
    const tot = [0, 0, 0, 0, 0];
    const totR = [0, 0, 0, 0, 0];
    for (const [key, s] of services) {
      const n = Math.max(1, s.d.size);
      const perDest = [conns / n, (10 * conns) / n, (8 * conns) / n, (1500 * conns) / n, (12000 * conns) / n];
      const d = [];
      const r = [0, 0, 0, 0, 0];
      for (const [k, c] of s.d) {
        for (let j = 0; j < 5; j++) c[j] += perDest[j];
        const active = Math.round(conns * 2) / n;
        d.push({ k, c: c.map(Math.round), r: perDest, a: Math.round(active), i: Math.round(conns * 3 / n) });
        for (let j = 0; j < 5; j++) r[j] += perDest[j];
      }
      for (let j = 0; j < 5; j++) s.c[j] += r[j];
      const a = d.reduce((x, e) => x + e.a, 0);
      const i = d.reduce((x, e) => x + e.i, 0);
      list.push({ k: key, c: s.c.map(Math.round), r, a, i, d });
      for (let j = 0; j < 5; j++) {
        tot[j] += s.c[j];
        totR[j] += r[j];
      }
    }
    return { seq, at, intervalMs: 1000, full: true, services: list, totals: { c: tot.map(Math.round), r: totR } };
  },
  {
    onSent: (frame) => {
      if (process.env.SIM_DEBUG) console.error(`frame ${frame.seq} conns=${conns} services=${frame.services.length}`);
      if (announce) {
        say({ event: "frame", seq: frame.seq, at: frame.at, conns });
        announce = false;
      }
    },
    onAck: (frame, ack) => {
      if (ack && ack.ok === false) console.error(`frame ${frame.seq} refused: ${ack.error}`);
      if (process.env.SIM_DEBUG) console.error(`ack ${frame.seq} ${JSON.stringify(ack)}`);
    },
  },
);

onCommands(director, (cmd) => {
  if (cmd.cmd === "rate") {
    conns = Number(cmd.conns) || 0;
    announce = true;
  }
});
