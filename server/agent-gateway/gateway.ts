/**
 * The panel side of the agent channel (issue #4): socket.io namespace
 * `/agent` on the panel's socket.io server.
 *
 * - Handshake: `auth` must parse as AgentAuth and the credential must be an
 *   active credential of exactly that host; otherwise the connection is
 *   refused. A socket only ever sends and receives its own host's messages.
 * - Every inbound message is validated with shared/agent-protocol; invalid
 *   ones are dropped with a log line (never containing a secret).
 * - `hello` stores kernel info and version, answers, then pushes the host's
 *   newest deployment if the agent has not applied it. `report` settles a
 *   deployment (applying → applied / failed) and stores drift.
 * - `publish` is called by apply/rollback right after their transaction
 *   commits: no polling on the panel side.
 * One connection per host: a new one replaces the old.
 */
import type { Namespace, Server, Socket } from "socket.io";
import type { Database } from "@/server/db";
import { onHealthEvent } from "@/server/health/gateway-handler";
import * as channel from "@/server/services/agent-channel";
import { authenticateAgent, type AuthenticatedAgent } from "@/server/services/agents";
import {
  AGENT_NAMESPACE,
  AgentAuthSchema,
  AgentEvents,
  AgentHelloSchema,
  AgentReportSchema,
  DesiredAckSchema,
  PlanReplySchema,
  RepairAckSchema,
  type DesiredAck,
  type DesiredDeltaPush,
  type ConnectionsReply,
  type ConnectionsRequest,
  type DesiredPush,
  type HelloAck,
  type ZeroAck,
} from "@/shared/agent-protocol";
import type { DesiredStateInput } from "@/shared/desired-state";
import { CONNECTIONS_TIMEOUT_MS, onStatsDisconnect, onStatsFrame, requestConnections, requestZero, ZERO_TIMEOUT_MS } from "./stats";
import type { ZodError } from "zod";
import { registerAgentGateway, type AgentGateway, type PlanResult } from "./registry";

export const PLAN_TIMEOUT_MS = 5000;
export const PUSH_ACK_TIMEOUT_MS = 10_000;
export const REPAIR_TIMEOUT_MS = 5000;
/**
 * Largest message the panel accepts (socket.io's default is 1 MB): an apply
 * report or a plan reply for a 10,000-service director carries one line per
 * op, several MB. Set on the socket.io server in server/main.ts.
 */
export const AGENT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface AgentGatewayOptions {
  db: Database;
  /** log sink (default console.log); lines never contain credentials or tokens */
  log?: (line: string) => void;
}

/** `writes`: the tail of this connection's queue of database writes (see inOrder). */
/** `pushed`: the last desired state this connection's agent accepted (the base of the next delta push). */
type AgentSocket = Socket & { data: { agent: AuthenticatedAgent; writes?: Promise<unknown>; pushed?: { generation: number; state: unknown } } };

function describeIssues(error: ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
    .join("; ");
}

export class LiveAgentGateway implements AgentGateway {
  readonly namespace: Namespace;
  private readonly sockets = new Map<string, AgentSocket>();
  private readonly log: (line: string) => void;
  /** database work started by agent events, awaited by close() */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    io: Server,
    private readonly options: AgentGatewayOptions,
  ) {
    this.log = options.log ?? ((line) => console.log(line));
    this.namespace = io.of(AGENT_NAMESPACE);
    this.namespace.use((socket, next) => {
      if (this.closed) return next(new Error("the panel is shutting down"));
      void this.authenticate(socket).then(
        (agent) => {
          if (!agent) return next(new Error("unauthorized: unknown, revoked or mismatched agent credential"));
          (socket as AgentSocket).data.agent = agent;
          next();
        },
        (error) => {
          this.log(`agent-gateway: authentication failed: ${(error as Error).message}`);
          next(new Error("unauthorized: the panel could not check the credential"));
        },
      );
    });
    this.namespace.on("connection", (socket) => this.onConnection(socket as AgentSocket));
  }

  /** Runs database work for an agent event unless the gateway is closing; close() waits for it. */
  private track(start: () => Promise<unknown>): void {
    if (this.closed) return;
    const p = start().catch((error) => this.log(`agent-gateway: ${(error as Error).message}`)).finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /**
   * Runs one connection's database writes (hello, push acks, reports, disconnect)
   * one after another, in the order the events arrived: a hello whose write is
   * slow (a retried serializable transaction) must never land after the report
   * that followed it and set the applied generation back.
   */
  private inOrder(socket: AgentSocket, write: () => Promise<unknown>): void {
    const previous = socket.data.writes ?? Promise.resolve();
    const next = previous.then(write, write);
    socket.data.writes = next.catch(() => undefined);
    this.track(() => next);
  }

  private async authenticate(socket: Socket): Promise<AuthenticatedAgent | null> {
    const parsed = AgentAuthSchema.safeParse(socket.handshake.auth);
    const from = socket.handshake.address;
    if (!parsed.success) {
      this.log(`agent-gateway: refused a connection from ${from}: invalid handshake auth (${describeIssues(parsed.error).replace(/lvs[he]_[A-Za-z0-9_-]+/g, "***")})`);
      return null;
    }
    const agent = await authenticateAgent(this.options.db, parsed.data.hostId, parsed.data.credential);
    if (!agent) this.log(`agent-gateway: refused a connection for host id ${parsed.data.hostId} from ${from}: unknown, revoked or mismatched credential`);
    return agent;
  }

  private onConnection(socket: AgentSocket) {
    const agent = socket.data.agent;
    const previous = this.sockets.get(agent.hostId);
    this.sockets.set(agent.hostId, socket);
    if (previous && previous !== socket) previous.disconnect(true);
    this.log(`agent-gateway: ${agent.hostName} connected from ${socket.handshake.address}`);

    socket.on(AgentEvents.hello, (payload: unknown, ack?: unknown) => {
      this.inOrder(socket, () => this.onHello(socket, payload, typeof ack === "function" ? (ack as (a: HelloAck) => void) : null));
    });
    socket.on(AgentEvents.report, (payload: unknown, ack?: unknown) => {
      this.inOrder(socket, () =>
        this.onReport(socket, payload).finally(() => {
          if (typeof ack === "function") (ack as (a: { ok: boolean }) => void)({ ok: true });
        }),
      );
    });
    socket.on(AgentEvents.health, (payload: unknown, ack?: unknown) => {
      this.track(() => onHealthEvent(this.options.db, agent, payload, typeof ack === "function" ? (ack as (a: { ok: boolean; error?: string }) => void) : null, this.log));
    });
    socket.on(AgentEvents.stats, (payload: unknown, ack?: unknown) => onStatsFrame(agent.hostId, agent.hostName, payload, ack, this.log));
    socket.on("disconnect", (reason) => {
      if (this.sockets.get(agent.hostId) === socket) this.sockets.delete(agent.hostId);
      if (!this.sockets.has(agent.hostId)) onStatsDisconnect(agent.hostId);
      this.log(`agent-gateway: ${agent.hostName} disconnected (${reason})`);
      this.inOrder(socket, () => channel.recordDisconnect(this.options.db, agent.hostId));
    });
  }

  private async onHello(socket: AgentSocket, payload: unknown, ack: ((a: HelloAck) => void) | null) {
    const agent = socket.data.agent;
    const parsed = AgentHelloSchema.safeParse(payload);
    if (!parsed.success) {
      this.log(`agent-gateway: dropped an invalid hello from ${agent.hostName}: ${describeIssues(parsed.error)}`);
      ack?.({ ok: false, hostName: agent.hostName, error: `invalid hello: ${describeIssues(parsed.error)}` });
      return;
    }
    try {
      await channel.recordHello(this.options.db, agent, parsed.data);
      ack?.({ ok: true, hostName: agent.hostName });
      const push = await channel.pushForHello(this.options.db, agent.hostId, parsed.data.appliedGeneration);
      // not awaited: the agent's ack and report are queued behind this hello
      if (push) this.track(() => this.send(socket, push));
    } catch (error) {
      this.log(`agent-gateway: hello from ${agent.hostName} failed: ${(error as Error).message}`);
      ack?.({ ok: false, hostName: agent.hostName, error: "the panel could not store the hello" });
    }
  }

  private async onReport(socket: AgentSocket, payload: unknown) {
    const agent = socket.data.agent;
    const parsed = AgentReportSchema.safeParse(payload);
    if (!parsed.success) {
      this.log(`agent-gateway: dropped an invalid report from ${agent.hostName}: ${describeIssues(parsed.error)}`);
      return;
    }
    try {
      await channel.recordReport(this.options.db, agent.hostId, parsed.data);
    } catch (error) {
      this.log(`agent-gateway: report from ${agent.hostName} failed: ${(error as Error).message}`);
    }
  }

  /**
   * Pushes a desired state and records the agent's acknowledgement. After the
   * agent accepted one on this connection, the next goes as a delta against it
   * (channel.wireFor); a refused delta is followed by the whole state.
   */
  private async send(socket: AgentSocket, push: DesiredPush): Promise<void> {
    const agent = socket.data.agent;
    const delta = channel.wireFor(push, socket.data.pushed ?? null);
    let ack = await this.emitPush(socket, delta ?? push);
    if (ack && delta && !ack.accepted) ack = await this.emitPush(socket, push);
    if (!ack) return;
    if (ack.accepted) socket.data.pushed = { generation: push.generation, state: push.state };
    const result = ack;
    this.inOrder(socket, () => channel.recordPushAck(this.options.db, agent.hostId, push.generation, result));
  }

  private async emitPush(socket: AgentSocket, push: DesiredPush | DesiredDeltaPush): Promise<DesiredAck | null> {
    const agent = socket.data.agent;
    let reply: unknown;
    try {
      reply = await socket.timeout(PUSH_ACK_TIMEOUT_MS).emitWithAck(AgentEvents.desired, push);
    } catch {
      this.log(`agent-gateway: ${agent.hostName} did not acknowledge generation ${push.generation} within ${PUSH_ACK_TIMEOUT_MS / 1000} s`);
      return null;
    }
    const ack = DesiredAckSchema.safeParse(reply);
    if (!ack.success) {
      this.log(`agent-gateway: dropped an invalid desired-state ack from ${agent.hostName}: ${describeIssues(ack.error)}`);
      return null;
    }
    return ack.data;
  }

  isOnline(hostId: string): boolean {
    return this.sockets.has(hostId);
  }

  /** Emits each online host's unfinished deployment; returns once emitted (acknowledgements are recorded in the background). */
  async publish(hostIds: string[]): Promise<void> {
    await Promise.all(
      hostIds.map(async (hostId) => {
        const socket = this.sockets.get(hostId);
        if (!socket) return;
        try {
          const push = await channel.pushForPublish(this.options.db, hostId);
          if (push) this.track(() => this.send(socket, push));
        } catch (error) {
          this.log(`agent-gateway: push to ${socket.data.agent.hostName} failed: ${(error as Error).message}`);
        }
      }),
    );
  }

  async plan(hostId: string, state: DesiredStateInput, timeoutMs = PLAN_TIMEOUT_MS): Promise<PlanResult> {
    const socket = this.sockets.get(hostId);
    if (!socket) return { status: "offline", ops: [], warnings: [], error: "the agent is not connected" };
    let reply: unknown;
    try {
      reply = await socket.timeout(timeoutMs).emitWithAck(AgentEvents.plan, { state });
    } catch {
      return { status: "error", ops: [], warnings: [], error: `the agent did not answer within ${timeoutMs / 1000} s` };
    }
    const parsed = PlanReplySchema.safeParse(reply);
    if (!parsed.success) {
      this.log(`agent-gateway: dropped an invalid plan reply from ${socket.data.agent.hostName}: ${describeIssues(parsed.error)}`);
      return { status: "error", ops: [], warnings: [], error: "the agent sent an invalid plan reply" };
    }
    const r = parsed.data;
    return { status: r.ok ? "ok" : "error", ops: r.ops, warnings: r.warnings, error: r.ok ? null : (r.error ?? "the agent could not plan this state") };
  }

  async repair(hostId: string, timeoutMs = REPAIR_TIMEOUT_MS): Promise<{ accepted: boolean; error: string | null }> {
    const socket = this.sockets.get(hostId);
    if (!socket) return { accepted: false, error: "the agent is not connected" };
    let reply: unknown;
    try {
      reply = await socket.timeout(timeoutMs).emitWithAck(AgentEvents.repair, {});
    } catch {
      return { accepted: false, error: `the agent did not answer within ${timeoutMs / 1000} s` };
    }
    const parsed = RepairAckSchema.safeParse(reply);
    if (!parsed.success) return { accepted: false, error: "the agent sent an invalid repair reply" };
    return { accepted: parsed.data.accepted, error: parsed.data.error ?? null };
  }

  /** The director's connection table through its agent (#5); {ok: false, error} when offline, late or invalid. */
  connections(hostId: string, request: ConnectionsRequest, timeoutMs = CONNECTIONS_TIMEOUT_MS): Promise<ConnectionsReply> {
    return requestConnections(this.sockets.get(hostId), request, timeoutMs, this.log);
  }

  /** `ipvsadm -Z` through the agent (#5): one service key, or every service the agent owns. */
  zeroCounters(hostId: string, service?: string, timeoutMs = ZERO_TIMEOUT_MS): Promise<ZeroAck> {
    return requestZero(this.sockets.get(hostId), service, timeoutMs, this.log);
  }

  disconnect(hostId: string): void {
    const socket = this.sockets.get(hostId);
    if (!socket) return;
    this.sockets.delete(hostId);
    socket.disconnect(true);
  }

  /** Disconnects every agent, stops accepting new ones and waits for database work in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const socket of [...this.sockets.values()]) socket.disconnect(true);
    this.sockets.clear();
    this.namespace.removeAllListeners();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}

/** Attaches the gateway to `io` and registers it for getAgentGateway() (see registry.ts). */
export function attachAgentGateway(io: Server, options: AgentGatewayOptions): LiveAgentGateway {
  const gateway = new LiveAgentGateway(io, options);
  registerAgentGateway(gateway);
  return gateway;
}
