/**
 * The gateway's live-stats messages (issue #5), kept out of gateway.ts:
 *  - agent → "stats": validated (server/stats/frame-check.ts, the same answer
 *    as StatsFrameSchema without its cost; zod for the error message), acknowledged at once — the
 *    agent paces its frames on this ack, so it never waits for the pipeline —
 *    and handed to getStatsIngest() (server/stats/registry.ts). An invalid
 *    frame is dropped with a log line and acked {ok: false}; without a stats
 *    pipeline the frame is acked and dropped.
 *  - panel → "connections" / "zero": the agent's connection table and
 *    `ipvsadm -Z`, request validated before it leaves, reply validated when
 *    it comes back, with timeouts.
 */
import type { Socket } from "socket.io";
import {
  AgentEvents,
  ConnectionsReplySchema,
  ConnectionsRequestSchema,
  StatsFrameSchema,
  ZeroAckSchema,
  ZeroCountersRequestSchema,
  type ConnectionsReply,
  type ConnectionsRequest,
  type StatsAck,
  type StatsFrame,
  type ZeroAck,
} from "@/shared/agent-protocol";
import { isStatsFrame } from "@/server/stats/frame-check";
import { getStatsIngest } from "@/server/stats/registry";
import type { ZodError } from "zod";

export const CONNECTIONS_TIMEOUT_MS = 5000;
export const ZERO_TIMEOUT_MS = 5000;

const describe = (error: ZodError) =>
  error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
    .join("; ");

/** One "stats" message from the agent of `hostId`. */
export function onStatsFrame(hostId: string, hostName: string, payload: unknown, ack: unknown, log: (line: string) => void): void {
  const reply = typeof ack === "function" ? (ack as (a: StatsAck) => void) : () => undefined;
  // the hand-written check accepts exactly what StatsFrameSchema accepts (frame-check.test.ts) at a fraction of the cost;
  // zod runs only for a frame it refuses, for the message (and decides, should they ever disagree)
  let frame: StatsFrame;
  if (isStatsFrame(payload)) frame = payload;
  else {
    const parsed = StatsFrameSchema.safeParse(payload);
    if (!parsed.success) {
      log(`agent-gateway: dropped an invalid stats frame from ${hostName}: ${describe(parsed.error)}`);
      reply({ ok: false, error: `invalid stats frame: ${describe(parsed.error)}` });
      return;
    }
    frame = parsed.data;
  }
  reply({ ok: true });
  try {
    getStatsIngest()?.ingest(hostId, frame);
  } catch (error) {
    log(`agent-gateway: stats frame from ${hostName} failed: ${(error as Error).message}`);
  }
}

/** The agent of `hostId` went away: its rates stop counting. */
export function onStatsDisconnect(hostId: string): void {
  getStatsIngest()?.hostDisconnected?.(hostId);
}

async function ask<T extends { ok: boolean; error?: string }>(
  socket: Socket | undefined,
  event: string,
  payload: unknown,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: ZodError } },
  timeoutMs: number,
  failure: (error: string) => T,
  log: (line: string) => void,
): Promise<T> {
  if (!socket) return failure("the agent is not connected");
  let reply: unknown;
  try {
    reply = await socket.timeout(timeoutMs).emitWithAck(event, payload);
  } catch {
    return failure(`the agent did not answer within ${timeoutMs / 1000} s`);
  }
  const parsed = schema.safeParse(reply);
  if (!parsed.success) {
    log(`agent-gateway: dropped an invalid ${event} reply: ${describe(parsed.error)}`);
    return failure(`the agent sent an invalid ${event} reply`);
  }
  return parsed.data;
}

/** The connection table of one director (like `ipvsadm -Lcn`), filtered and paginated by its agent. */
export async function requestConnections(socket: Socket | undefined, request: ConnectionsRequest, timeoutMs: number, log: (line: string) => void): Promise<ConnectionsReply> {
  const failure = (error: string): ConnectionsReply => ({ ok: false, total: 0, rows: [], error });
  const valid = ConnectionsRequestSchema.safeParse(request);
  if (!valid.success) return failure(`invalid connections request: ${describe(valid.error)}`);
  return ask(socket, AgentEvents.connections, valid.data, ConnectionsReplySchema, timeoutMs, failure, log);
}

/** `ipvsadm -Z` on one director: one service (key) or every service its agent owns. */
export async function requestZero(socket: Socket | undefined, service: string | undefined, timeoutMs: number, log: (line: string) => void): Promise<ZeroAck> {
  const failure = (error: string): ZeroAck => ({ ok: false, error });
  const valid = ZeroCountersRequestSchema.safeParse(service === undefined ? {} : { service });
  if (!valid.success) return failure(`invalid zero request: ${describe(valid.error)}`);
  return ask(socket, AgentEvents.zero, valid.data, ZeroAckSchema, timeoutMs, failure, log);
}
