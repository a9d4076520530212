/**
 * Health reports to the panel on the "health" event (shared/agent-protocol
 * HealthReport): a full report on every connect, every 60 s and after the set
 * of checked destinations changed; in between the entries with a new result,
 * batched for at most 1 s — a status transition is sent at once. While
 * disconnected nothing is queued (the full report on reconnect covers it).
 */
import { AgentEvents, HealthReportSchema, type HealthEntry, type HealthReport } from "../../../shared/agent-protocol";
import type { HealthEntryView, HealthMonitor } from "./monitor";

export const HEALTH_FULL_INTERVAL_MS = 60_000;
export const HEALTH_BATCH_MS = 1_000;

/** The part of a socket.io client socket the reporter uses. */
export interface HealthSocket {
  readonly connected: boolean;
  on(event: "connect", listener: () => void): unknown;
  emit(event: string, payload: unknown): unknown;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function healthEntry(view: HealthEntryView): HealthEntry {
  const { state } = view;
  return {
    service: view.service,
    destination: view.destination,
    status: state.status,
    since: iso(state.since),
    lastCheckAt: state.last ? iso(state.last.at) : null,
    lastOk: state.last ? state.last.ok : null,
    latencyMs: state.last ? state.last.latencyMs : null,
    reason: (state.last && state.status !== "unknown" && state.last.ok !== (state.status === "up") ? `${state.last.reason}; ${state.reason}` : state.reason).slice(0, 500),
    action: view.action,
  };
}

export function healthReport(monitor: HealthMonitor, views: HealthEntryView[], full: boolean, now = Date.now()): HealthReport {
  return { at: iso(now), full, entries: views.map(healthEntry), sorryActive: monitor.sorryActive() };
}

export interface HealthReporter {
  /** sends what is pending now (tests) */
  flush(): void;
  close(): void;
}

export function reportHealth(socket: HealthSocket, monitor: HealthMonitor, log: (event: { event: "panel-dropped"; message: string }) => void = () => undefined): HealthReporter {
  const pending = new Map<string, HealthEntryView>();
  let fullPending = false;
  let batchTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const send = (report: HealthReport) => {
    const parsed = HealthReportSchema.safeParse(report);
    if (!parsed.success) {
      log({ event: "panel-dropped", message: `not sending an invalid health report: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` });
      return;
    }
    socket.emit(AgentEvents.health, parsed.data);
  };

  const flush = () => {
    if (batchTimer) clearTimeout(batchTimer);
    batchTimer = null;
    if (closed) return;
    if (!socket.connected) {
      pending.clear();
      fullPending = false;
      return;
    }
    if (fullPending) {
      fullPending = false;
      pending.clear();
      send(healthReport(monitor, monitor.entries(), true));
      return;
    }
    if (pending.size === 0) return;
    const views = [...pending.values()];
    pending.clear();
    send(healthReport(monitor, views, false));
  };

  const later = () => {
    if (!batchTimer && !closed) {
      batchTimer = setTimeout(flush, HEALTH_BATCH_MS);
      batchTimer.unref?.();
    }
  };

  socket.on("connect", () => {
    fullPending = true;
    flush();
  });
  monitor.onTargets(() => {
    fullPending = true;
    later();
  });
  monitor.onResult((view, transition) => {
    if (closed) return;
    pending.set(`${view.service} ${view.destination}`, view);
    if (transition) flush();
    else later();
  });
  const fullTimer = setInterval(() => {
    fullPending = true;
    flush();
  }, HEALTH_FULL_INTERVAL_MS);
  fullTimer.unref?.();

  return {
    flush,
    close() {
      closed = true;
      clearInterval(fullTimer);
      if (batchTimer) clearTimeout(batchTimer);
    },
  };
}
