/**
 * How panel services reach the agents: ONE accessor, `getAgentGateway()`.
 *
 * server/main.ts runs under tsx while tRPC procedures and the agent HTTP
 * routes run inside Next's bundle, so a module-level singleton would exist
 * twice. The live gateway is therefore registered on `globalThis`
 * (`__lvsAgentGateway`) by whoever owns the socket.io server (main.ts, or a
 * test), and services always look it up through this accessor. Without one
 * (unit tests, a panel started without sockets) every host is offline.
 */
import type { ConnectionsReply, ConnectionsRequest, OpLine, ZeroAck } from "@/shared/agent-protocol";
import type { DesiredStateInput } from "@/shared/desired-state";

export interface PlanResult {
  status: "ok" | "offline" | "error";
  ops: OpLine[];
  warnings: string[];
  error: string | null;
}

export interface AgentGateway {
  /** Is an agent of this host connected right now? */
  isOnline(hostId: string): boolean;
  /** Push each host's latest unfinished deployment to its agent, if connected (after the creating transaction committed). */
  publish(hostIds: string[]): Promise<void>;
  /** The agent's dry run of `state` against its kernel; nothing is applied. */
  plan(hostId: string, state: DesiredStateInput, timeoutMs?: number): Promise<PlanResult>;
  /** Ask the agent to reconcile its current desired state now. */
  repair(hostId: string, timeoutMs?: number): Promise<{ accepted: boolean; error: string | null }>;
  /** The director's connection table (`ipvsadm -Lcn`), filtered and paginated by its agent (#5). */
  connections(hostId: string, request: ConnectionsRequest, timeoutMs?: number): Promise<ConnectionsReply>;
  /** `ipvsadm -Z` through the agent: one service key, or every service the agent owns (#5). */
  zeroCounters(hostId: string, service?: string, timeoutMs?: number): Promise<ZeroAck>;
  /** Drop the host's connection (its credential was revoked or replaced). */
  disconnect(hostId: string): void;
}

/** Every host offline; nothing is sent. */
export const offlineGateway: AgentGateway = {
  isOnline: () => false,
  publish: async () => undefined,
  plan: async () => ({ status: "offline", ops: [], warnings: [], error: "the agent is not connected" }),
  repair: async () => ({ accepted: false, error: "the agent is not connected" }),
  connections: async () => ({ ok: false, total: 0, rows: [], error: "the agent is not connected" }),
  zeroCounters: async () => ({ ok: false, error: "the agent is not connected" }),
  disconnect: () => undefined,
};

const registry = globalThis as unknown as { __lvsAgentGateway?: AgentGateway };

export function getAgentGateway(): AgentGateway {
  return registry.__lvsAgentGateway ?? offlineGateway;
}

/** Installs (or with null removes) the process's gateway. */
export function registerAgentGateway(gateway: AgentGateway | null): void {
  if (gateway) registry.__lvsAgentGateway = gateway;
  else delete registry.__lvsAgentGateway;
}
