/**
 * The agent for the panel's integration tests: the REAL agent panel client
 * (agent/src/panel/client.ts: connectToPanel, with its validation, stale
 * generation check, dry runs, repair and drift check) on a real Daemon and
 * Reconciler driving the in-memory FakeKernel. This wrapper only records what
 * the agent received and reported, and turns a refused handshake into a
 * rejected connect() (the production client would keep retrying).
 */
import type { Socket } from "socket.io-client";
import { Daemon } from "@/agent/src/daemon";
import { FakeKernel } from "@/agent/src/kernel/fake";
import { connectToPanel, type PanelConnection } from "@/agent/src/panel/client";
import { MemoryStore, Reconciler } from "@/agent/src/reconciler";
import type { AgentReport, HelloAck, KernelInfo } from "@/shared/agent-protocol";

export interface TestAgentOptions {
  panelUrl: string;
  hostId: string;
  credential: string;
  hostname?: string;
  kernel?: FakeKernel;
  kernelInfo?: Partial<KernelInfo>;
}

export class TestAgent {
  readonly kernel: FakeKernel;
  readonly reconciler: Reconciler;
  readonly daemon: Daemon;
  /** every push accepted, in order (the document as the panel sent it) */
  readonly pushes: { generation: number; state: unknown }[] = [];
  readonly reports: AgentReport[] = [];
  helloAck: HelloAck | null = null;
  private connection: PanelConnection | null = null;

  constructor(private readonly options: TestAgentOptions) {
    this.kernel = options.kernel ?? new FakeKernel();
    this.reconciler = new Reconciler(this.kernel, new MemoryStore());
    this.daemon = new Daemon(this.reconciler, { intervalMs: 3_600_000, periodic: false, log: () => undefined });
  }

  get socket(): Socket {
    if (!this.connection) throw new Error("not connected yet");
    return this.connection.socket;
  }

  get appliedGeneration(): number | null {
    return this.connection?.appliedGeneration ?? null;
  }

  /** Connects and says hello; rejects with the panel's refusal (connect_error) if the credential is not accepted. */
  async connect(): Promise<HelloAck> {
    await this.daemon.start();
    const interfaces = [...this.kernel.links.values()].map((l) => ({ name: l.name, addresses: l.addresses.map((a) => `${a.address}/${a.prefix}`), up: l.up }));
    this.connection = connectToPanel({
      panelUrl: this.options.panelUrl,
      hostId: this.options.hostId,
      credential: this.options.credential,
      daemon: this.daemon,
      reconciler: this.reconciler,
      hostname: this.options.hostname ?? "test-host",
      agentVersion: "test-agent",
      kernelInfo: { release: "6.1.0-test", ipvs: true, ipvsVersion: "1.2.1", schedulers: ["rr", "wrr", "wlc"], interfaces, defaultGateways: [], ...this.options.kernelInfo },
      checkIntervalMs: 0,
      onPush: (push) => this.pushes.push(push),
      onReport: (report) => this.reports.push(report),
    });
    try {
      this.helloAck = await this.connection.ready;
    } catch (error) {
      this.close();
      throw error;
    }
    return this.helloAck;
  }

  /** The periodic drift check, now: a fresh full read, plan only, report kind periodic. */
  async checkDrift(): Promise<AgentReport> {
    const report = await this.connection!.checkDrift();
    if (!report) throw new Error("no desired state yet");
    return report;
  }

  /** Sends a raw event (for tests of the panel's validation). */
  emitRaw(event: string, payload: unknown) {
    this.socket.emit(event, payload);
  }

  /** Waits until every push, repair and check received so far has been reported. */
  async idle(): Promise<void> {
    await this.connection?.idle();
  }

  close() {
    this.connection?.close();
    void this.daemon.stop("test");
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
