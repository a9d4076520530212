/**
 * Live stats on the panel connection (issue #5), plugged into the panel
 * client (agent/src/panel/client.ts) with one call:
 *  - agent → "stats": a StatsStream per connection, fed by the collector,
 *    started on connect and stopped on disconnect (frames are paced by the
 *    panel's acks: socket.timeout(STATS_ACK_TIMEOUT_MS).emitWithAck);
 *  - panel → "connections" (ConnectionsRequest → ConnectionsReply) and
 *    panel → "zero" (ZeroCountersRequest → ZeroAck): validated with the shared
 *    schemas, answered in the ack; an invalid request gets {ok: false, error}
 *    and touches nothing.
 * Only services in the ownership ledger are streamed, listed or zeroed.
 */
import {
  AgentEvents,
  ConnectionsRequestSchema,
  StatsAckSchema,
  ZeroCountersRequestSchema,
  type ConnectionsReply,
  type StatsAck,
  type StatsFrame,
  type ZeroAck,
} from "../../../shared/agent-protocol";
import type { StatsKernel } from "../kernel/types";
import { readConnectionTable, zeroOwnedCounters } from "./connections";
import { STATS_ACK_TIMEOUT_MS, StatsStream, type StatsCollector, type StatsLogEvent } from "./stream";

export type StatsPanelEvent =
  | StatsLogEvent
  | { event: "panel-connections"; total: number; error?: string }
  | { event: "panel-zero"; service: string | null; ok: boolean; error?: string };

/** The part of a socket.io client socket used here. */
export interface StatsSocket {
  readonly connected: boolean;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
}

export interface ServeStatsOptions {
  /** null: no stream (connections and zero still answer) */
  collector: StatsCollector | null;
  kernel: StatsKernel;
  /** the ledger's service keys, read when a request comes */
  owned: () => ReadonlySet<string>;
  log?: (event: StatsPanelEvent) => void;
  ackTimeoutMs?: number;
}

const issues = (error: { issues: Array<{ path: PropertyKey[]; message: string }> }) =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "(request)"}: ${i.message}`)
    .join("; ");

export function serveStats(socket: StatsSocket, options: ServeStatsOptions): { readonly stream: StatsStream | null; close(): void } {
  const log = options.log ?? (() => undefined);
  const ackTimeoutMs = options.ackTimeoutMs ?? STATS_ACK_TIMEOUT_MS;
  let stream: StatsStream | null = null;
  let unsubscribe: (() => void) | null = null;
  let closed = false;

  const send = async (frame: StatsFrame): Promise<StatsAck> => {
    const reply = await socket.timeout(ackTimeoutMs).emitWithAck(AgentEvents.stats, frame);
    const ack = StatsAckSchema.safeParse(reply);
    return ack.success ? ack.data : { ok: false, error: "invalid stats ack from the panel" };
  };

  const start = () => {
    stop();
    if (closed || !options.collector) return;
    const current = new StatsStream({ send, intervalMs: options.collector.intervalMs, log });
    stream = current;
    unsubscribe = options.collector.subscribe((snapshot) => {
      if (socket.connected) current.push(snapshot);
    });
  };
  const stop = () => {
    stream?.stop();
    stream = null;
    unsubscribe?.();
    unsubscribe = null;
  };

  const onConnections = async (payload: unknown, ack: (reply: ConnectionsReply) => void) => {
    const request = ConnectionsRequestSchema.safeParse(payload ?? {});
    let reply: ConnectionsReply;
    if (!request.success) reply = { ok: false, total: 0, rows: [], error: `invalid connections request: ${issues(request.error)}` };
    else {
      try {
        reply = await readConnectionTable(options.kernel, options.owned(), request.data);
      } catch (error) {
        reply = { ok: false, total: 0, rows: [], error: (error as Error).message };
      }
    }
    log({ event: "panel-connections", total: reply.total, ...(reply.error ? { error: reply.error } : {}) });
    ack(reply);
  };

  const onZero = async (payload: unknown, ack: (reply: ZeroAck) => void) => {
    const request = ZeroCountersRequestSchema.safeParse(payload ?? {});
    let reply: ZeroAck;
    if (!request.success) reply = { ok: false, error: `invalid zero request: ${issues(request.error)}` };
    else {
      try {
        reply = await zeroOwnedCounters(options.kernel, options.owned(), request.data.service);
      } catch (error) {
        reply = { ok: false, error: (error as Error).message };
      }
    }
    log({ event: "panel-zero", service: request.success ? (request.data.service ?? null) : null, ok: reply.ok, ...(reply.error ? { error: reply.error } : {}) });
    ack(reply);
  };

  const ackOf = <T>(ack: unknown) => (typeof ack === "function" ? (ack as (reply: T) => void) : () => undefined);
  const connectionsListener = (payload: unknown, ack?: unknown) => void onConnections(payload, ackOf<ConnectionsReply>(ack));
  const zeroListener = (payload: unknown, ack?: unknown) => void onZero(payload, ackOf<ZeroAck>(ack));
  socket.on("connect", start);
  socket.on("disconnect", stop);
  socket.on(AgentEvents.connections, connectionsListener);
  socket.on(AgentEvents.zero, zeroListener);
  if (socket.connected) start();

  return {
    get stream() {
      return stream;
    },
    close() {
      closed = true;
      stop();
      socket.off("connect", start);
      socket.off("disconnect", stop);
      socket.off(AgentEvents.connections, connectionsListener);
      socket.off(AgentEvents.zero, zeroListener);
    },
  };
}

/**
 * The ledger's service keys, re-read only after a reconcile (the only time
 * the agent changes its ledger) — not on every sample.
 */
export function ownedServices(store: { readLedger(): { services: readonly string[] } }, daemon: { onReconcile(listener: () => void): void }): () => ReadonlySet<string> {
  let cached: ReadonlySet<string> | null = null;
  daemon.onReconcile(() => (cached = null));
  return () => (cached ??= new Set(store.readLedger().services));
}
