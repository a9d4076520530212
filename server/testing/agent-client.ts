/**
 * A minimal agent for the panel's integration tests: speaks the wire protocol
 * of shared/agent-protocol over socket.io-client (hello → desired → report,
 * plan, repair) and drives the agent's REAL Reconciler against the in-memory
 * FakeKernel. Every message it sends is validated with the protocol's schemas
 * first, so a test cannot pass with a message the real agent could not send.
 *
 * It is deliberately small: the production client (reconnect backoff, state
 * directory, capabilities from the kernel) is AGENT-CORE's agent/src/panel/.
 */
import { io, type Socket } from "socket.io-client";
import { FakeKernel } from "@/agent/src/kernel/fake";
import type { Op, OpResult } from "@/agent/src/model";
import { HostMismatchError, MemoryStore, Reconciler } from "@/agent/src/reconciler";
import {
  AGENT_NAMESPACE,
  AgentEvents,
  AgentHelloSchema,
  AgentReportSchema,
  DesiredAckSchema,
  DesiredPushSchema,
  HelloAckSchema,
  PlanReplySchema,
  PlanRequestSchema,
  RepairAckSchema,
  type AgentReport,
  type DesiredAck,
  type HelloAck,
  type KernelInfo,
  type OpLine,
  type PlanReply,
  type RepairAck,
} from "@/shared/agent-protocol";
import { validateDesiredState, type ResolvedState } from "@/shared/desired-state";

export interface TestAgentOptions {
  panelUrl: string;
  hostId: string;
  credential: string;
  hostname?: string;
  kernel?: FakeKernel;
  kernelInfo?: Partial<KernelInfo>;
}

const line = (op: Op): OpLine => ({ kind: op.kind, summary: op.summary, command: op.command });
const resultLine = (r: OpResult) => ({ ...line(r.op), ok: r.ok, ...(r.error ? { error: r.error } : {}) });

export class TestAgent {
  readonly kernel: FakeKernel;
  readonly reconciler: Reconciler;
  readonly socket: Socket;
  appliedGeneration: number | null = null;
  /** every push received (validated), in order */
  readonly pushes: { generation: number; state: unknown }[] = [];
  readonly reports: AgentReport[] = [];
  helloAck: HelloAck | null = null;
  private current: { resolved: ResolvedState; document: unknown } | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: TestAgentOptions) {
    this.kernel = options.kernel ?? new FakeKernel();
    this.reconciler = new Reconciler(this.kernel, new MemoryStore());
    this.socket = io(`${options.panelUrl}${AGENT_NAMESPACE}`, {
      path: "/socket.io",
      auth: { hostId: options.hostId, credential: options.credential },
      transports: ["websocket"],
      reconnection: false,
      autoConnect: false,
    });
    this.socket.on(AgentEvents.desired, (payload: unknown, ack: (a: DesiredAck) => void) => this.onDesired(payload, ack));
    this.socket.on(AgentEvents.plan, (payload: unknown, ack: (a: PlanReply) => void) => void this.onPlan(payload, ack));
    this.socket.on(AgentEvents.repair, (payload: unknown, ack: (a: RepairAck) => void) => this.onRepair(payload, ack));
  }

  /** Connects and says hello; rejects with the panel's refusal (connect_error) if the credential is not accepted. */
  async connect(): Promise<HelloAck> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("connect_error", (error) => reject(error));
      this.socket.connect();
    });
    const interfaces = [...this.kernel.links.values()].map((l) => ({ name: l.name, addresses: l.addresses.map((a) => `${a.address}/${a.prefix}`), up: l.up }));
    const hello = AgentHelloSchema.parse({
      agentVersion: "test-agent",
      hostname: this.options.hostname ?? "test-host",
      kernel: { release: "6.1.0-test", ipvs: true, ipvsVersion: "1.2.1", schedulers: ["rr", "wrr", "wlc"], interfaces, defaultGateways: [], ...this.options.kernelInfo },
      appliedGeneration: this.appliedGeneration,
    });
    this.helloAck = HelloAckSchema.parse(await this.socket.timeout(5000).emitWithAck(AgentEvents.hello, hello));
    return this.helloAck;
  }

  private onDesired(payload: unknown, ack: (a: DesiredAck) => void) {
    const push = DesiredPushSchema.safeParse(payload);
    if (!push.success) return ack(DesiredAckSchema.parse({ accepted: false, error: "invalid push" }));
    if (this.appliedGeneration !== null && push.data.generation < this.appliedGeneration && !push.data.force) {
      return ack({ accepted: false, error: `stale generation ${push.data.generation} (applied ${this.appliedGeneration})` });
    }
    const valid = validateDesiredState(push.data.state);
    if (!valid.ok) return ack({ accepted: false, error: valid.issues.map((i) => `${i.path}: ${i.message}`).join("; ") });
    this.pushes.push({ generation: push.data.generation, state: push.data.state });
    ack({ accepted: true });
    this.current = { resolved: valid.resolved, document: push.data.state };
    this.enqueue(() => this.reconcileAndReport("apply"));
  }

  private async onPlan(payload: unknown, ack: (a: PlanReply) => void) {
    const request = PlanRequestSchema.safeParse(payload);
    const reply = async (): Promise<PlanReply> => {
      if (!request.success) return { ok: false, ops: [], warnings: [], error: "invalid plan request" };
      const valid = validateDesiredState(request.data.state);
      if (!valid.ok) return { ok: false, ops: [], warnings: [], error: valid.issues.map((i) => `${i.path}: ${i.message}`).join("; ") };
      try {
        const { ops } = await this.reconciler.plan(valid.resolved);
        return { ok: true, ops: ops.map(line), warnings: [] };
      } catch (error) {
        return { ok: false, ops: [], warnings: [], error: error instanceof HostMismatchError ? error.message : (error as Error).message };
      }
    };
    ack(PlanReplySchema.parse(await reply()));
  }

  private onRepair(_payload: unknown, ack: (a: RepairAck) => void) {
    if (!this.current) return ack(RepairAckSchema.parse({ accepted: false, error: "no desired state yet" }));
    ack({ accepted: true });
    this.enqueue(() => this.reconcileAndReport("repair"));
  }

  private enqueue(fn: () => Promise<void>) {
    this.chain = this.chain.then(fn).catch(() => undefined);
  }

  private async reconcileAndReport(kind: "apply" | "repair") {
    const { resolved, document } = this.current!;
    const started = performance.now();
    let report: AgentReport;
    try {
      const outcome = await this.reconciler.reconcile(resolved, document, kind === "repair" ? { fresh: "full" } : {});
      this.appliedGeneration = resolved.generation;
      report = {
        kind,
        generation: resolved.generation,
        at: new Date().toISOString(),
        results: outcome.results.map(resultLine),
        drift: outcome.remaining.map(line),
        converged: outcome.converged,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      this.reconciler.invalidate();
      report = { kind, generation: resolved.generation, at: new Date().toISOString(), results: [], drift: [], converged: false, durationMs: 0, error: (error as Error).message };
    }
    this.send(report);
  }

  /** The periodic drift check: a fresh full read, plan only, report kind periodic. */
  async checkDrift(): Promise<AgentReport> {
    const { resolved } = this.current!;
    this.reconciler.invalidate();
    const { ops } = await this.reconciler.plan(resolved);
    const report: AgentReport = {
      kind: "periodic",
      generation: resolved.generation,
      at: new Date().toISOString(),
      results: [],
      drift: ops.map(line),
      converged: ops.length === 0,
      durationMs: 0,
    };
    this.send(report);
    return report;
  }

  /** Sends a raw event (for tests of the panel's validation). */
  emitRaw(event: string, payload: unknown) {
    this.socket.emit(event, payload);
  }

  private send(report: AgentReport) {
    this.reports.push(AgentReportSchema.parse(report));
    this.socket.emit(AgentEvents.report, report);
  }

  /** Waits until all queued reconciles ran. */
  async idle(): Promise<void> {
    await this.chain;
  }

  close() {
    this.socket.disconnect();
  }
}

export async function connectTestAgent(options: TestAgentOptions): Promise<TestAgent> {
  const agent = new TestAgent(options);
  await agent.connect();
  return agent;
}

/** Polls `check` until it returns a truthy value (default 5 s). */
export async function eventually<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
