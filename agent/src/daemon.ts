/**
 * `lvs-agent run`: applies the desired state at start (from --desired or the
 * state directory's cache), then reconciles periodically with a full read to
 * repair drift of what it owns. One reconcile at a time. Stopping never
 * touches the kernel.
 *
 * Seam for the panel connection (issue #4): a panel client calls
 * `setDesired(document, "panel")` when it receives a state and subscribes to
 * `onReconcile` to report results; nothing else changes.
 */
import { DesiredStateValidator } from "../../shared/desired-state/resolve";
import { loadDesiredFile, parseDesiredDocument, type LoadedDesiredState } from "./desired";
import { HostMismatchError, type ReconcileOutcome, type Reconciler } from "./reconciler";
import type { ResolvedState } from "../../shared/desired-state/resolve";
import type { Checker } from "./health/checkers";
import { HealthMonitor, type HealthLogEvent } from "./health/monitor";

export type ReconcileSource = "file" | "cache" | "periodic" | "panel" | "repair" | "health";

export type DaemonEvent =
  | { event: "reconcile"; generation: number; source: ReconcileSource; ops: number; failed: number; converged: boolean; ms: number }
  | { event: "ready"; generation: number | null }
  | { event: "waiting"; reason: string }
  | { event: "rejected"; source: string; message: string }
  | { event: "error"; source: ReconcileSource; message: string }
  | { event: "stopping"; signal: string }
  | HealthLogEvent;

export interface DaemonOptions {
  desiredFile?: string;
  intervalMs: number;
  /** false: no periodic repairing reconcile (panel mode: the panel client checks drift and repairs only when asked) */
  periodic?: boolean;
  log: (event: DaemonEvent) => void;
  now?: () => number;
  /** health checks (agent/src/health/): the checker to use (tests) */
  healthChecker?: Checker;
}

export class Daemon {
  private desired: LoadedDesiredState | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** the error of the last reconcile (null when it ran), e.g. a HostMismatchError */
  lastError: Error | null = null;
  private listeners: Array<(outcome: ReconcileOutcome, source: ReconcileSource) => void> = [];
  /** remembers the last accepted document's services: a push that changes one service validates one service (and a delta push is relative to it) */
  readonly validator = new DesiredStateValidator();

  /** health checks of the current desired state; the kernel gets the effective state = desired + their overlay */
  readonly health: HealthMonitor;
  private healthFor: LoadedDesiredState | null = null;
  private healthQueued = false;

  constructor(
    private readonly reconciler: Reconciler,
    private readonly options: DaemonOptions,
  ) {
    // a health transition reconciles at once (coalesced: one queued health reconcile at a time)
    const onChange = () => {
      if (this.healthQueued || this.stopped || !this.desired) return;
      this.healthQueued = true;
      void this.enqueue("health", undefined);
    };
    this.health = new HealthMonitor({ log: options.log, onChange, checker: options.healthChecker });
  }

  /** What the kernel should hold now: the current desired state with the health overlay (null before any). */
  effectiveDesired(): ResolvedState | null {
    return this.desired ? this.health.effective(this.syncHealth(this.desired).resolved) : null;
  }

  private syncHealth(desired: LoadedDesiredState): LoadedDesiredState {
    if (this.healthFor !== desired) {
      this.health.update(desired);
      this.healthFor = desired;
    }
    return desired;
  }

  /** Loads and applies the initial desired state. Throws InvalidDesiredStateError when it is invalid (nothing touched). */
  async start(): Promise<void> {
    let source: ReconcileSource;
    if (this.options.desiredFile) {
      this.desired = loadDesiredFile(this.options.desiredFile, this.validator);
      source = "file";
    } else {
      const cached = this.reconciler.store.readDesired();
      if (cached !== null) this.desired = parseDesiredDocument(cached, "the cached desired state", this.validator);
      source = "cache";
    }
    if (this.desired) {
      await this.enqueue(source, undefined);
      // a desired state that does not fit this host (unknown interface) is bad input: refuse to run with it
      if (this.lastError instanceof HostMismatchError) throw this.lastError;
    } else this.options.log({ event: "waiting", reason: "no desired state yet (no --desired and nothing cached)" });
    this.options.log({ event: "ready", generation: this.desired?.resolved.generation ?? null });
    this.schedule();
  }

  onReconcile(listener: (outcome: ReconcileOutcome, source: ReconcileSource) => void): void {
    this.listeners.push(listener);
  }

  /** A new desired state from the panel or a re-read file; invalid ones are rejected and the current one stays. */
  async setDesired(document: unknown, source: ReconcileSource): Promise<ReconcileOutcome | null> {
    try {
      this.desired = parseDesiredDocument(document, source, this.validator);
    } catch (error) {
      this.options.log({ event: "rejected", source, message: (error as Error).message });
      return null;
    }
    return this.enqueue(source, undefined);
  }

  /** A desired state already validated with `this.validator` (the panel client's pushes, see panel/push.ts). */
  applyLoaded(loaded: LoadedDesiredState, source: ReconcileSource): Promise<ReconcileOutcome | null> {
    this.desired = loaded;
    return this.enqueue(source, undefined);
  }

  /** The desired state the daemon reconciles towards (null before any). */
  get current(): LoadedDesiredState | null {
    return this.desired;
  }

  /** Reconciles the current desired state now, with a full read (the panel's "repair"). */
  repair(): Promise<ReconcileOutcome | null> {
    return this.enqueue("repair", "full");
  }

  /** Runs `fn` between reconciles, never during one (the panel's dry runs and drift checks). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** SIGHUP: re-read --desired (or the cache when there is no file). */
  async reload(): Promise<void> {
    try {
      this.desired = this.options.desiredFile ? loadDesiredFile(this.options.desiredFile, this.validator) : parseDesiredDocument(this.reconciler.store.readDesired(), "the cached desired state", this.validator);
    } catch (error) {
      this.options.log({ event: "rejected", source: this.options.desiredFile ?? "cache", message: (error as Error).message });
      return;
    }
    await this.enqueue("file", undefined);
  }

  /** Stops timers and waits for a reconcile in flight; never changes the kernel. */
  async stop(signal: string): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.health.stop();
    this.options.log({ event: "stopping", signal });
    await this.chain.catch(() => undefined);
    this.reconciler.kernel.ipvs.close?.();
  }

  private schedule() {
    if (this.stopped || this.options.periodic === false) return;
    this.timer = setTimeout(async () => {
      if (this.desired) await this.enqueue("periodic", "full");
      this.schedule();
    }, this.options.intervalMs);
  }

  private enqueue(source: ReconcileSource, fresh: "full" | undefined): Promise<ReconcileOutcome | null> {
    const run = this.chain.then(() => this.reconcileOnce(source, fresh));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async reconcileOnce(source: ReconcileSource, fresh: "full" | undefined): Promise<ReconcileOutcome | null> {
    if (this.stopped || !this.desired) return null;
    const now = this.options.now ?? (() => performance.now());
    const started = now();
    if (source === "health") this.healthQueued = false;
    const { document, resolved, text } = this.syncHealth(this.desired);
    this.lastError = null;
    try {
      const outcome = await this.reconciler.reconcile(this.health.effective(resolved), document, { fresh, documentText: text });
      this.options.log({
        event: "reconcile",
        generation: resolved.generation,
        source,
        ops: outcome.ops.length,
        failed: outcome.results.filter((r) => !r.ok).length,
        converged: outcome.converged,
        ms: Math.round(now() - started),
      });
      for (const listener of this.listeners) listener(outcome, source);
      return outcome;
    } catch (error) {
      this.reconciler.invalidate();
      this.lastError = error as Error;
      const message = error instanceof HostMismatchError ? `desired state does not fit this host, nothing changed:\n${error.message}` : (error as Error).message;
      this.options.log({ event: "error", source, message });
      return null;
    }
  }
}

