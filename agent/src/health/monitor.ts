/**
 * Runs the health checks of the current desired state and owns their state.
 *
 * - One loop per checked destination: a check starts every intervalMs (start
 *   to start); a check that takes longer delays the next one — runs of one
 *   destination's check never overlap. The first checks are spread over one
 *   interval so many destinations do not fire at once.
 * - A desired-state change keeps the state of every check whose id (service
 *   key + destination key + check definition) it still contains; new ones
 *   start unknown, dropped ones stop.
 * - A status transition is logged at once (ldirectord-like message) and calls
 *   `onChange` (the daemon reconciles the effective state right away);
 *   listeners get every result (the panel report batches them).
 */
import type { ResolvedState } from "../../../shared/desired-state/resolve";
import type { Checker } from "./checkers";
import { checkedServices, EffectiveStateBuilder, type CheckedService, type CheckTarget, type HealthAction, slowStartWeight } from "./overlay";
import { initialState, step, type HealthState, type Transition } from "./state";

export interface HealthLogEvent {
  event: "health";
  service: string;
  destination: string;
  status: "up" | "down";
  from: "up" | "down" | "unknown";
  reason: string;
  /** "rs 10.0.0.12:80 of tcp 10.0.0.100:80 down: HTTP 503 (fall 2/2)" */
  message: string;
}

export interface HealthEntryView {
  service: string;
  destination: string;
  state: HealthState;
  action: HealthAction;
}

export interface HealthMonitorOptions {
  log?: (event: HealthLogEvent) => void;
  /** a status changed (or a slow start moves on): the effective state differs now */
  onChange?: () => void;
  checker?: Checker;
  /** wall clock, ms since the epoch */
  now?: () => number;
  /** spread the first checks over one interval (default true) */
  stagger?: boolean;
}

interface Slot {
  target: CheckTarget;
  service: CheckedService;
  state: HealthState;
  timer: NodeJS.Timeout | null;
  running: boolean;
  stopped: boolean;
}

export class HealthMonitor {
  private slots = new Map<string, Slot>();
  private checked: CheckedService[] = [];
  private readonly builder = new EffectiveStateBuilder();
  private rampTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private targetListeners: Array<() => void> = [];
  private resultListeners: Array<(entry: HealthEntryView, transition: Transition | null) => void> = [];
  private readonly now: () => number;
  private readonly checker: Checker;

  constructor(private readonly options: HealthMonitorOptions = {}) {
    this.now = options.now ?? Date.now;
    // loaded on first use: node:https, dgram and child_process would cost every one-shot command start-up time
    this.checker = options.checker ?? (async (target) => (await import("./checkers")).runCheck(target));
  }

  /** Listens to every check result (transition set when the status changed). */
  onResult(listener: (entry: HealthEntryView, transition: Transition | null) => void): void {
    this.resultListeners.push(listener);
  }

  /** The checks of a new desired state (null: none). Keeps the state of unchanged checks. */
  update(desired: { document: unknown; resolved: ResolvedState } | null): void {
    this.checked = desired ? checkedServices(desired.document, desired.resolved) : [];
    const wanted = new Map<string, CheckTarget>();
    const serviceOf = new Map<string, CheckedService>();
    for (const c of this.checked) {
      for (const t of c.targets) {
        wanted.set(t.id, t);
        serviceOf.set(t.id, c);
      }
    }
    let changed = false;
    for (const [id, slot] of this.slots) {
      if (wanted.has(id)) continue;
      changed = true;
      slot.stopped = true;
      if (slot.timer) clearTimeout(slot.timer);
      this.slots.delete(id);
    }
    for (const [id, target] of wanted) {
      const kept = this.slots.get(id);
      if (kept) {
        kept.service = serviceOf.get(id)!; // onFailure, slow start or the sorry server may have changed
        continue;
      }
      changed = true;
      const slot: Slot = { target, service: serviceOf.get(id)!, state: initialState(this.now()), timer: null, running: false, stopped: false };
      this.slots.set(id, slot);
      if (!this.stopped) this.schedule(slot, this.options.stagger === false ? 0 : Math.floor(Math.random() * Math.min(target.check.intervalMs, 1000)));
    }
    if (changed) for (const listener of this.targetListeners) listener();
  }

  /** Listens to changes of the set of checked destinations. */
  onTargets(listener: () => void): void {
    this.targetListeners.push(listener);
  }

  /** The effective state for the current desired state (remembered for the report's actions and slow-start timing). */
  effective(resolved: ResolvedState): ResolvedState {
    const built = this.builder.build(this.checked, resolved, (id) => this.slots.get(id)?.state, this.now());
    this.scheduleRamp(built.nextChangeAt);
    return built.resolved;
  }

  /** The effective state of ANOTHER desired state (the panel's dry run) under the current health states; remembers nothing. */
  preview(document: unknown, resolved: ResolvedState): ResolvedState {
    return new EffectiveStateBuilder().build(checkedServices(document, resolved), resolved, (id) => this.slots.get(id)?.state, this.now()).resolved;
  }

  /** Every checked destination with its state and what the overlay does for it. */
  entries(): HealthEntryView[] {
    return [...this.slots.values()].map((slot) => this.view(slot));
  }

  /** Service keys whose sorry server is in the effective state. */
  sorryActive(): string[] {
    return this.checked
      .filter((c) => c.sorry !== null && c.targets.length > 0 && c.targets.every((t) => this.slots.get(t.id)?.state.status === "down") && !c.service.destinations.some((d) => d.key === c.sorry!.key))
      .map((c) => c.service.key);
  }

  stop(): void {
    this.stopped = true;
    for (const slot of this.slots.values()) {
      slot.stopped = true;
      if (slot.timer) clearTimeout(slot.timer);
    }
    if (this.rampTimer) clearTimeout(this.rampTimer);
  }

  private view(slot: Slot): HealthEntryView {
    const action = actionFor(slot.state, slot.service, this.now());
    return { service: slot.target.service, destination: slot.target.destination, state: slot.state, action };
  }

  private schedule(slot: Slot, delayMs: number): void {
    slot.timer = setTimeout(() => void this.run(slot), Math.max(0, delayMs));
    slot.timer.unref?.();
  }

  private async run(slot: Slot): Promise<void> {
    slot.timer = null;
    if (slot.stopped || slot.running) return;
    slot.running = true;
    const at = this.now();
    const started = performance.now();
    let outcome;
    try {
      outcome = await this.checker(slot.target);
    } catch (error) {
      outcome = { ok: false, reason: `check failed: ${(error as Error).message}` };
    }
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    slot.running = false;
    if (slot.stopped) return;
    const { rise, fall, intervalMs } = slot.target.check;
    const { state, transition } = step(slot.state, { ok: outcome.ok, reason: outcome.reason, latencyMs, at }, rise, fall);
    slot.state = state;
    // start to start: the next check is due intervalMs after this one started (at once if this one took longer)
    this.schedule(slot, intervalMs - (performance.now() - started));
    if (transition && transition.to !== "unknown") {
      const { service, destination } = slot.target;
      this.options.log?.({
        event: "health",
        service,
        destination,
        status: transition.to,
        from: transition.from,
        reason: transition.reason,
        message: `rs ${destination} of ${service} ${transition.to}: ${transition.reason}`,
      });
      this.options.onChange?.();
    }
    const view = this.view(slot);
    for (const listener of this.resultListeners) listener(view, transition);
  }

  private scheduleRamp(at: number | null): void {
    if (this.rampTimer) clearTimeout(this.rampTimer);
    this.rampTimer = null;
    if (at === null || this.stopped) return;
    this.rampTimer = setTimeout(() => {
      this.rampTimer = null;
      this.options.onChange?.();
    }, Math.max(0, at - this.now()) + 5);
    this.rampTimer.unref?.();
  }
}

/** What the overlay does for a destination in this state (the same rules as overlayService). */
export function actionFor(state: HealthState, service: CheckedService, now: number): HealthAction {
  if (state.status === "down") return service.onFailure === "remove" ? "removed" : "quiesced";
  if (state.status === "up" && state.recovered && service.slowStartSeconds > 0) {
    if (slowStartWeight(1, now - state.since, service.slowStartSeconds).nextChangeAt !== null) return "slow-start";
  }
  return "none";
}
