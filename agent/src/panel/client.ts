/**
 * The agent's connection to the panel (issue #4): socket.io-client to
 * `PANEL/agent` with the host's credential, speaking shared/agent-protocol.
 *
 * - Connect / reconnect with exponential backoff and jitter (0.5 s → 30 s,
 *   randomization 0.5), also after the panel closed the connection (restart,
 *   revoke) or refused the handshake. `hello` (version, hostname, kernel
 *   capabilities, applied generation) on every (re)connect.
 * - `desired`: whole or a delta against the document the daemon holds
 *   (push.ts), validated once by the daemon's validator; a generation lower
 *   than the applied one is refused unless `force`; accepted pushes go to
 *   `daemon.applyLoaded(…, "panel")`, then a report (kind apply) with the
 *   per-op results and the drift the read-back still shows.
 * - `plan`: dry run against a fresh read of the kernel and the ownership
 *   ledger (a separate Reconciler, so the daemon's cached state is untouched),
 *   between reconciles; nothing is applied.
 * - `repair`: reconcile now with a full read; report kind repair.
 * - Periodic check while connected: fresh full read + plan only, report kind
 *   periodic with the drift; repairs only when `repairDrift` is set.
 * The panel being unreachable or restarting never changes the kernel: the
 * daemon keeps the last applied state and this client keeps retrying.
 * Log events never contain the credential.
 */
import os from "node:os";
import { io, type Socket } from "socket.io-client";
import {
  AGENT_NAMESPACE,
  AGENT_SOCKET_PATH,
  AgentEvents,
  AgentHelloSchema,
  AgentReportSchema,
  HelloAckSchema,
  PlanRequestSchema,
  type AgentReport,
  type DesiredAck,
  type HelloAck,
  type KernelInfo,
  type OpLine,
  type OpResultLine,
  type PlanReply,
  type RepairAck,
} from "../../../shared/agent-protocol";
import { checkInterfaces, formatIssues, validateDesiredState } from "../../../shared/desired-state/resolve";
import type { Daemon } from "../daemon";
import type { Op, OpResult } from "../model";
import { plan } from "../plan/plan";
import { HostMismatchError, Reconciler, type ReconcileOutcome } from "../reconciler";
import { collectKernelInfo } from "./kernel-info";
import { receivePush } from "./push";
import { reportHealth } from "../health/report";
import { ownedServices, serveStats, type StatsPanelEvent } from "../stats/panel";
import type { StatsCollector } from "../stats/stream";

export const DEFAULT_CHECK_INTERVAL_MS = 5000;
export interface Backoff {
  minMs: number;
  maxMs: number;
  /** ± this fraction of the delay */
  jitter: number;
}
export const BACKOFF: Backoff = { minMs: 500, maxMs: 30_000, jitter: 0.5 };
const ACK_TIMEOUT_MS = 10_000;

export type PanelEvent =
  | { event: "panel-connected"; panel: string }
  | { event: "panel-hello"; hostName: string; appliedGeneration: number | null; ok: boolean; error?: string }
  | { event: "panel-disconnected"; reason: string }
  | { event: "panel-unreachable"; panel: string; message: string }
  | { event: "panel-refused"; panel: string; message: string; retryInMs: number }
  | { event: "panel-push"; generation: number; accepted: boolean; delta?: boolean; error?: string }
  | { event: "panel-report"; kind: AgentReport["kind"]; generation: number | null; results: number; failed: number; drift: number; converged: boolean; error?: string }
  | { event: "panel-plan"; ops: number; error?: string }
  | { event: "panel-dropped"; message: string }
  | StatsPanelEvent;

export interface PanelClientOptions {
  panelUrl: string;
  hostId: string;
  credential: string;
  daemon: Daemon;
  /** the daemon's reconciler (its kernel and state store are used for dry runs) */
  reconciler: Reconciler;
  hostname?: string;
  agentVersion?: string;
  /** kernel capabilities for hello: a value (tests), a function, or read from this host (default) */
  kernelInfo?: KernelInfo | (() => Promise<KernelInfo>);
  /** generation last applied (default: the desired state in the state directory) */
  appliedGeneration?: number | null;
  /** periodic drift check while connected (default 5000; 0 = none) */
  checkIntervalMs?: number;
  /** repair drift found by the periodic check (default false: report only) */
  repairDrift?: boolean;
  log?: (event: PanelEvent) => void;
  backoff?: Backoff;
  /** live stats (#5): streamed to the panel while connected (agent/src/stats/panel.ts); without it only connections/zero answer */
  stats?: StatsCollector;
  /** observers (tests, the panel's integration suite) */
  onPush?: (push: { generation: number; state: unknown }) => void;
  onReport?: (report: AgentReport) => void;
}

export interface PanelConnection {
  readonly socket: Socket;
  /** the first hello's ack; rejects if the panel refuses the handshake before that (the client keeps retrying) */
  readonly ready: Promise<HelloAck>;
  readonly appliedGeneration: number | null;
  /** one periodic drift check now (what the timer runs); null without a desired state */
  checkDrift(): Promise<AgentReport | null>;
  /** resolves when every push, repair and check received so far has been reported */
  idle(): Promise<void>;
  close(): void;
}

export const opLine = (op: Op): OpLine => ({ kind: op.kind, summary: op.summary, command: op.command });
export const resultLine = (r: OpResult): OpResultLine => ({ ...opLine(r.op), ok: r.ok, ...(r.error !== undefined ? { error: r.error } : {}) });

/** Exponential backoff with jitter: attempt 0 → ~minMs, doubling up to maxMs, ± jitter. */
export function backoffDelay(attempt: number, backoff = BACKOFF, random = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(attempt, 30));
  const spread = base * backoff.jitter;
  return Math.max(0, Math.round(base - spread + random() * 2 * spread));
}

/** "websocket error" plus its cause when the transport has one (ECONNREFUSED, self-signed certificate …). */
export function transportErrorMessage(error: Error & { description?: unknown }): string {
  const d = error.description as { message?: unknown; error?: { message?: unknown } } | undefined;
  const cause = typeof d?.error?.message === "string" ? d.error.message : typeof d?.message === "string" ? d.message : null;
  return cause && cause !== error.message ? `${error.message}: ${cause}` : error.message;
}

function storedGeneration(reconciler: Reconciler): number | null {
  try {
    const doc = reconciler.store.readDesired() as { generation?: unknown } | null;
    return typeof doc?.generation === "number" && Number.isInteger(doc.generation) && doc.generation > 0 ? doc.generation : null;
  } catch {
    return null;
  }
}

function issuesOf(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "(message)"}: ${i.message}`)
    .join("; ");
}

export function connectToPanel(options: PanelClientOptions): PanelConnection {
  const { daemon, reconciler } = options;
  const log = options.log ?? (() => undefined);
  const backoff = options.backoff ?? BACKOFF;
  const checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  const panelUrl = options.panelUrl.replace(/\/+$/, "");
  const hostname = options.hostname ?? os.hostname();
  let applied = options.appliedGeneration !== undefined ? options.appliedGeneration : storedGeneration(reconciler);
  let closed = false;
  let everHello = false;
  let retryAttempt = 0;
  let retryTimer: NodeJS.Timeout | null = null;
  let checkTimer: NodeJS.Timeout | null = null;
  let checking: Promise<AgentReport | null> | null = null;
  const pending = new Set<Promise<unknown>>();

  let resolveReady!: (ack: HelloAck) => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<HelloAck>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  ready.catch(() => undefined);

  // a reconcile that ran cleanly (every op ok, read-back matches) is "applied"; hello reports it
  daemon.onReconcile((outcome) => {
    if (outcome.converged && outcome.results.every((r) => r.ok)) applied = outcome.generation;
  });

  const socket = io(`${panelUrl}${AGENT_NAMESPACE}`, {
    path: AGENT_SOCKET_PATH,
    auth: { hostId: options.hostId, credential: options.credential },
    transports: ["websocket"],
    reconnection: true,
    reconnectionDelay: backoff.minMs,
    reconnectionDelayMax: backoff.maxMs,
    randomizationFactor: backoff.jitter,
    autoConnect: false,
  });

  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.finally(() => pending.delete(p)).catch(() => undefined);
    return p;
  };

  /** socket.io does not reconnect by itself after the server closed the socket or its middleware refused it. */
  const retryLater = () => {
    if (closed || retryTimer) return 0;
    const delay = backoffDelay(retryAttempt++, backoff);
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (!closed && !socket.connected) socket.connect();
    }, delay);
    return delay;
  };

  const send = (report: AgentReport) => {
    const parsed = AgentReportSchema.safeParse(report);
    if (!parsed.success) {
      log({ event: "panel-dropped", message: `not sending an invalid report: ${issuesOf(parsed.error)}` });
      return;
    }
    log({
      event: "panel-report",
      kind: report.kind,
      generation: report.generation,
      results: report.results.length,
      failed: report.results.filter((r) => !r.ok).length,
      drift: report.drift.length,
      converged: report.converged,
      ...(report.error ? { error: report.error } : {}),
    });
    options.onReport?.(parsed.data);
    socket.emit(AgentEvents.report, parsed.data);
  };

  const reportOutcome = (kind: "apply" | "repair", generation: number, outcome: ReconcileOutcome | null, started: number) => {
    const at = new Date().toISOString();
    const durationMs = Math.max(0, performance.now() - started);
    if (outcome === null) {
      const failure = daemon.lastError;
      const error =
        failure instanceof HostMismatchError
          ? `the desired state does not fit this host: ${failure.message.replace(/\n/g, "; ")}`
          : (failure?.message ?? "the agent did not reconcile (stopping)");
      send({ kind, generation, at, results: [], drift: [], converged: false, durationMs, error });
      return;
    }
    send({ kind, generation: outcome.generation, at, results: outcome.results.map(resultLine), drift: outcome.remaining.map(opLine), converged: outcome.converged, durationMs });
  };

  const hello = async () => {
    let kernel: KernelInfo;
    try {
      kernel = typeof options.kernelInfo === "function" ? await options.kernelInfo() : (options.kernelInfo ?? (await collectKernelInfo()));
    } catch (error) {
      kernel = { release: os.release(), ipvs: false, ipvsVersion: null, schedulers: [], interfaces: [], defaultGateways: [] };
      log({ event: "panel-dropped", message: `could not read the kernel's capabilities: ${(error as Error).message}` });
    }
    const message = AgentHelloSchema.safeParse({ agentVersion: options.agentVersion ?? "unknown", hostname, kernel, appliedGeneration: applied });
    if (!message.success) {
      log({ event: "panel-dropped", message: `not sending an invalid hello: ${issuesOf(message.error)}` });
      return;
    }
    let reply: unknown;
    try {
      reply = await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(AgentEvents.hello, message.data);
    } catch {
      log({ event: "panel-hello", hostName: hostname, appliedGeneration: applied, ok: false, error: `no answer within ${ACK_TIMEOUT_MS / 1000} s` });
      return;
    }
    const ack = HelloAckSchema.safeParse(reply);
    if (!ack.success) {
      log({ event: "panel-dropped", message: `invalid hello answer: ${issuesOf(ack.error)}` });
      return;
    }
    log({ event: "panel-hello", hostName: ack.data.hostName, appliedGeneration: applied, ok: ack.data.ok, ...(ack.data.error ? { error: ack.data.error } : {}) });
    everHello = true;
    resolveReady(ack.data);
  };

  const onDesired = (payload: unknown, ack: (a: DesiredAck) => void) => {
    // whole or delta (panel/push.ts): checked and validated once, with the daemon's validator
    const decision = receivePush(daemon, payload, applied);
    const { generation } = decision;
    if (!decision.accepted) {
      log({ event: "panel-push", generation, accepted: false, error: decision.error });
      return ack({ accepted: false, error: decision.error });
    }
    log({ event: "panel-push", generation, accepted: true, ...(decision.delta ? { delta: true } : {}) });
    ack({ accepted: true });
    options.onPush?.({ generation, state: decision.loaded.document });
    const started = performance.now();
    track(daemon.applyLoaded(decision.loaded, "panel").then((outcome) => reportOutcome("apply", generation, outcome, started)));
  };

  /** A dry run against a fresh read (own Reconciler: the daemon's cache and coverage stay as they are). */
  const dryRun = <T>(run: (probe: Reconciler) => Promise<T>) => daemon.exclusive(() => run(new Reconciler(reconciler.kernel, reconciler.store)));

  const onPlan = async (payload: unknown, ack: (a: PlanReply) => void) => {
    const request = PlanRequestSchema.safeParse(payload);
    const fail = (error: string) => {
      log({ event: "panel-plan", ops: 0, error });
      ack({ ok: false, ops: [], warnings: [], error });
    };
    if (!request.success) return fail(`invalid plan request: ${issuesOf(request.error)}`);
    const valid = validateDesiredState(request.data.state);
    if (!valid.ok) return fail(`invalid desired state: ${formatIssues(valid.issues).split("\n").slice(0, 3).join("; ")}`);
    // planned against the effective state (desired + the current health overlay): a quiesced server is no change
    const desired = daemon.health.preview(request.data.state, valid.resolved);
    const warnings: string[] = [];
    try {
      const ops = await dryRun(async (probe) => {
        const actual = await probe.readActual(desired);
        const issues = checkInterfaces(desired, [...actual.interfaces.keys()]);
        if (issues.length > 0) throw new Error(`the desired state does not fit this host: ${formatIssues(issues).replace(/\n/g, "; ")}`);
        if (!actual.ipvs.available && desired.ipvs.services.length > 0) warnings.push(`${actual.ipvs.reason}: planned against an empty IPVS table; apply would fail`);
        return plan(desired, actual);
      });
      log({ event: "panel-plan", ops: ops.length });
      ack({ ok: true, ops: ops.map(opLine), warnings });
    } catch (error) {
      fail((error as Error).message);
    }
  };

  const repairNow = (): Promise<void> => {
    const current = daemon.current;
    const generation = current?.resolved.generation ?? 0;
    const started = performance.now();
    return track(daemon.repair().then((outcome) => reportOutcome("repair", generation, outcome, started)));
  };

  const onRepair = (_payload: unknown, ack: (a: RepairAck) => void) => {
    if (!daemon.current) return ack({ accepted: false, error: "the agent has no desired state yet" });
    ack({ accepted: true });
    void repairNow();
  };

  const checkDrift = (): Promise<AgentReport | null> => {
    if (checking) return checking;
    if (!daemon.current) return Promise.resolve(null);
    const started = performance.now();
    const periodic = (generation: number, drift: Op[], error?: string): AgentReport => ({
      kind: "periodic",
      generation,
      at: new Date().toISOString(),
      results: [],
      drift: drift.map(opLine),
      converged: drift.length === 0 && error === undefined,
      durationMs: Math.max(0, performance.now() - started),
      ...(error !== undefined ? { error } : {}),
    });
    // the desired state is read between reconciles: a push queued before this check is already applied
    const run = dryRun(async (probe) => {
      const current = daemon.current!;
      const generation = current.resolved.generation;
      try {
        // the effective state (desired + health overlay): a quiesced or removed server is not drift
        const effective = daemon.effectiveDesired() ?? current.resolved;
        const ops = plan(effective, await probe.readActual(effective, "full"));
        // the daemon's cached view is stale now: the next apply plans against the kernel as it is
        if (ops.length > 0) reconciler.invalidate();
        return periodic(generation, ops);
      } catch (error) {
        return periodic(generation, [], `drift check failed: ${(error as Error).message}`);
      }
    }).then(async (report) => {
      send(report);
      if (report.drift.length > 0 && options.repairDrift) await repairNow();
      return report;
    });
    checking = track(run).finally(() => (checking = null));
    return checking;
  };

  const startChecks = () => {
    if (checkTimer || checkIntervalMs <= 0) return;
    checkTimer = setInterval(() => {
      if (socket.connected) void checkDrift();
    }, checkIntervalMs);
    checkTimer.unref?.();
  };
  const stopChecks = () => {
    if (checkTimer) clearInterval(checkTimer);
    checkTimer = null;
  };

  socket.on("connect", () => {
    retryAttempt = 0;
    log({ event: "panel-connected", panel: panelUrl });
    void hello();
    startChecks();
  });
  socket.on("disconnect", (reason) => {
    stopChecks();
    if (closed) return;
    log({ event: "panel-disconnected", reason });
    // the panel closed the socket (restart, revoke, another connection of this host): socket.io leaves it to us
    if (reason === "io server disconnect") retryLater();
  });
  socket.on("connect_error", (error) => {
    if (closed) return;
    if (socket.active) {
      // transport failure: socket.io retries by itself with the same backoff
      log({ event: "panel-unreachable", panel: panelUrl, message: transportErrorMessage(error) });
      return;
    }
    // the panel refused the handshake (unknown or revoked credential, panel shutting down …)
    const retryInMs = retryLater();
    log({ event: "panel-refused", panel: panelUrl, message: error.message, retryInMs });
    if (!everHello) rejectReady(new Error(`the panel refused the connection: ${error.message}`));
  });
  socket.on(AgentEvents.desired, (payload: unknown, ack?: unknown) => onDesired(payload, typeof ack === "function" ? (ack as (a: DesiredAck) => void) : () => undefined));
  socket.on(AgentEvents.plan, (payload: unknown, ack?: unknown) => void onPlan(payload, typeof ack === "function" ? (ack as (a: PlanReply) => void) : () => undefined));
  socket.on(AgentEvents.repair, (payload: unknown, ack?: unknown) => onRepair(payload, typeof ack === "function" ? (ack as (a: RepairAck) => void) : () => undefined));

  const healthReports = reportHealth(socket, daemon.health, log);
  const liveStats = serveStats(socket, { collector: options.stats ?? null, kernel: reconciler.kernel.stats, owned: ownedServices(reconciler.store, daemon), log });
  socket.connect();

  return {
    socket,
    ready,
    get appliedGeneration() {
      return applied;
    },
    checkDrift,
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close() {
      closed = true;
      stopChecks();
      healthReports.close();
      liveStats.close();
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      socket.disconnect();
    },
  };
}
