/**
 * Health state of one checked destination: a pure state machine over check
 * results with rise/fall flap damping.
 *
 *   unknown --1 success--------> up        (a new destination keeps its weight meanwhile)
 *   unknown --fall failures----> down
 *   up      --fall failures----> down      (failures in a row; one success resets the count)
 *   down    --rise successes---> up        (successes in a row; one failure resets the count)
 */
export type HealthStatus = "up" | "down" | "unknown";

export interface CheckResult {
  ok: boolean;
  /** why it failed ("HTTP 503", "connect ECONNREFUSED", "timeout after 500 ms") or what passed ("HTTP 200") */
  reason: string;
  latencyMs: number;
  /** ms since the epoch when the check started */
  at: number;
}

export interface HealthState {
  status: HealthStatus;
  /** ms since the epoch of the last status change (creation for unknown) */
  since: number;
  /** consecutive successes / failures, the current run */
  okStreak: number;
  failStreak: number;
  last: CheckResult | null;
  /** reason of the last status change ("HTTP 503 (fall 2/2)"), or of the last result while unknown */
  reason: string;
  /** up after having been down (a recovery: slow start applies from `since`) */
  recovered: boolean;
}

export interface Transition {
  from: HealthStatus;
  to: HealthStatus;
  /** "HTTP 503 (fall 2/2)", "HTTP 200 (rise 2/2)" */
  reason: string;
}

export function initialState(now: number): HealthState {
  return { status: "unknown", since: now, okStreak: 0, failStreak: 0, last: null, reason: "no result yet", recovered: false };
}

/** The state after one result; `transition` is set when the status changed. */
export function step(state: HealthState, result: CheckResult, rise: number, fall: number): { state: HealthState; transition: Transition | null } {
  const okStreak = result.ok ? state.okStreak + 1 : 0;
  const failStreak = result.ok ? 0 : state.failStreak + 1;
  let to: HealthStatus = state.status;
  let reason = state.reason;
  if (result.ok) {
    if (state.status === "unknown") {
      to = "up";
      reason = `${result.reason} (first check)`;
    } else if (state.status === "down" && okStreak >= rise) {
      to = "up";
      reason = `${result.reason} (rise ${okStreak}/${rise})`;
    }
  } else if (state.status !== "down" && failStreak >= fall) {
    to = "down";
    reason = `${result.reason} (fall ${failStreak}/${fall})`;
  }
  if (to === state.status) {
    if (state.status === "unknown") reason = `${result.reason} (fall ${failStreak}/${fall})`;
    return { state: { ...state, okStreak, failStreak, last: result, reason }, transition: null };
  }
  return {
    state: { status: to, since: result.at + result.latencyMs, okStreak, failStreak, last: result, reason, recovered: to === "up" && state.status === "down" },
    transition: { from: state.status, to, reason },
  };
}
