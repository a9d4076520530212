// What every simulated director of the browser tests shares (sim-agent.mjs for
// live stats, health-agent.mjs for health checks): enroll with a one-time token
// and speak the real /agent wire protocol (shared/agent-protocol) — hello,
// accept and report every whole desired state (no kernel; a delta push is
// refused, so the panel sends the whole document), dry-run plans and repairs —
// plus JSON lines on stdout, commands as JSON lines on stdin, and the 1 Hz
// stats loop with at most one frame in flight.
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

export const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

/** "10.0.0.11:80", "[2001:db8::11]:80" — the agent's destination keys (fwmark destinations ":0"). */
export const endpoint = (address, port) => (address.includes(":") ? `[${address}]` : address) + `:${port ?? 0}`;

/** The desired-state service key (shared/desired-state/resolve.ts serviceKey). */
export const serviceKey = (s) => (s.protocol === "fwmark" ? `fwmark ${s.fwmark} ${s.family}` : `${s.protocol} ${endpoint(s.address, s.port)}`);

/**
 * Enrolls (PANEL_URL, ENROLL_TOKEN from the environment) and connects.
 * `onState(state)` adopts each accepted desired state and returns the extra
 * fields of the {"event":"applied"} line. Says {"event":"connected"} once the
 * panel acknowledged the hello.
 */
export async function connectSimDirector({ hostname, agentVersion, address, onState }) {
  const base = process.env.PANEL_URL;
  const token = process.env.ENROLL_TOKEN;
  if (!base || !token) {
    console.error("PANEL_URL and ENROLL_TOKEN are required");
    process.exit(2);
  }
  const res = await fetch(`${base}/api/agent/enroll`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token, hostname }) });
  if (!res.ok) {
    console.error(`enroll failed: HTTP ${res.status} ${await res.text()}`);
    process.exit(1);
  }
  const { hostId, credential } = await res.json();
  const director = { socket: null, hostId, applied: null };
  const socket = io(`${base}/agent`, { path: "/socket.io", auth: { hostId, credential }, transports: ["websocket"], reconnectionDelayMax: 2000 });
  director.socket = socket;
  socket.on("connect_error", (e) => console.error(`connect_error: ${e.message}`));
  socket.on("connect", () => {
    socket.emit(
      "hello",
      {
        agentVersion,
        hostname,
        kernel: { release: "6.1.0-sim", ipvs: true, ipvsVersion: "1.2.1", schedulers: ["rr", "wrr", "wlc"], interfaces: [{ name: "eth0", addresses: [address], up: true }], defaultGateways: [] },
        appliedGeneration: director.applied,
      },
      () => say({ event: "connected", hostId }),
    );
  });
  socket.on("desired", (push, ack) => {
    if (push.base !== undefined) return ack?.({ accepted: false, error: "the simulated agent takes whole documents only" });
    const extra = onState(push.state);
    director.applied = push.generation;
    ack?.({ accepted: true });
    socket.emit("report", { kind: "apply", generation: push.generation, at: new Date().toISOString(), results: [], drift: [], converged: true, durationMs: 1 }, () => {});
    say({ event: "applied", generation: push.generation, ...extra });
  });
  socket.on("plan", (_req, ack) => ack?.({ ok: true, ops: [], warnings: [] }));
  socket.on("repair", (_req, ack) => ack?.({ accepted: true }));
  return director;
}

/**
 * Every second, once a desired state was applied, sends `frame(seq)` on "stats"
 * unless the previous one is still unacknowledged (given up after 10 s).
 * `onSent(frame)` and `onAck(frame, ack)` are optional.
 */
export function statsEverySecond(director, frame, { onSent, onAck } = {}) {
  let seq = 0;
  let inFlight = false;
  setInterval(() => {
    if (!director.socket.connected || inFlight || director.applied === null) return;
    const f = frame(seq++);
    inFlight = true;
    const timer = setTimeout(() => (inFlight = false), 10_000);
    director.socket.emit("stats", f, (ack) => {
      clearTimeout(timer);
      inFlight = false;
      onAck?.(f, ack);
    });
    onSent?.(f);
  }, 1000);
}

/** Commands as JSON lines on stdin; {"cmd":"quit"} or the end of stdin closes the socket and exits. */
export function onCommands(director, handle) {
  const quit = () => {
    director.socket.close();
    process.exit(0);
  };
  createInterface({ input: process.stdin }).on("line", (line) => {
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch {
      return;
    }
    if (cmd.cmd === "quit") quit();
    else handle(cmd);
  });
  process.stdin.on("end", quit);
}
