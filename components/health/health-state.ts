/**
 * Pure helpers of the health UI (unit-tested in health-state.test.ts): merging
 * live frames, one badge per real server from the directors' views, the drain
 * phase, and the texts a person reads.
 */
import type { Drain, RealServerHealthView } from "@/shared/cluster";
import type { HealthLiveFrame } from "@/shared/live";

/** Replaces the (real server, director) entries a frame carries; the rest stay. */
export function mergeHealthFrame(prev: RealServerHealthView[], frame: HealthLiveFrame): RealServerHealthView[] {
  if (frame.entries.length === 0) return prev;
  const key = (e: { realServerId: string; hostName: string }) => `${e.realServerId}|${e.hostName}`;
  const incoming = new Map(frame.entries.map((e) => [key(e), e]));
  const out = prev.filter((e) => !incoming.has(key(e)));
  for (const e of frame.entries) {
    const old = prev.find((p) => key(p) === key(e));
    out.push({ ...e, hostId: old?.hostId ?? e.hostName });
  }
  return out;
}

export type BadgeKind = "up" | "down" | "unknown" | "draining" | "mixed" | "unchecked";

export interface RealServerBadge {
  kind: BadgeKind;
  label: string;
  tone: "ok" | "danger" | "warn" | "neutral";
  /** tooltip: per director status, reason, latency, since */
  title: string;
}

function fmtLatency(ms: number | null): string {
  if (ms === null) return "";
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

/**
 * One badge for a real server: draining wins (an operator's action), then the
 * directors' views — all up → up, all down → down, disagreeing → mixed;
 * without a check (or before any report) → unchecked / unknown.
 */
export function realServerBadge(views: RealServerHealthView[], drain: Drain | null, checked: boolean): RealServerBadge {
  const lines = views
    .slice()
    .sort((a, b) => a.hostName.localeCompare(b.hostName))
    .map((v) => `${v.hostName}: ${v.status}${v.reason ? ` — ${v.reason}` : ""}${v.latencyMs !== null ? ` (${fmtLatency(v.latencyMs)})` : ""}${v.action !== "none" ? `, ${v.action}` : ""}, since ${new Date(v.since).toLocaleTimeString("en-GB")}`);
  if (drain) {
    return { kind: "draining", label: "draining", tone: "warn", title: [`Draining since ${new Date(drain.startedAt).toLocaleString("en-GB")} (by ${drain.startedByName}): weight 0 on the directors`, ...lines].join("\n") };
  }
  if (!checked) return { kind: "unchecked", label: "no check", tone: "neutral", title: "This service has no health check: the real server keeps its weight whatever happens" };
  if (views.length === 0) return { kind: "unknown", label: "unknown", tone: "neutral", title: "No director has reported a result for this real server yet (agent offline, or the check has not run)" };
  const statuses = new Set(views.map((v) => v.status));
  const title = lines.join("\n");
  if (statuses.size > 1) return { kind: "mixed", label: "mixed", tone: "warn", title: `The directors disagree:\n${title}` };
  const [only] = [...statuses];
  if (only === "up") {
    const latency = views.map((v) => v.latencyMs).filter((x): x is number => x !== null);
    return { kind: "up", label: latency.length ? `up ${fmtLatency(Math.max(...latency))}` : "up", tone: "ok", title };
  }
  if (only === "down") return { kind: "down", label: "down", tone: "danger", title };
  return { kind: "unknown", label: "unknown", tone: "neutral", title };
}

export type DrainPhase = "draining" | "drained" | "timed-out";

/**
 * Where a drain stands: "drained" when the live counts say no connection is
 * left, "timed-out" when the timeout passed with some left (or counts are
 * unknown), else "draining". Remove is offered in the first two.
 */
export function drainPhase(drain: Drain, now: number, connections: { active: number; inactive: number } | null): DrainPhase {
  if (connections && connections.active === 0 && connections.inactive === 0) return "drained";
  const elapsed = (now - new Date(drain.startedAt).getTime()) / 1000;
  return elapsed >= drain.timeoutSeconds ? "timed-out" : "draining";
}

/** "2m 05s" */
export function elapsedText(fromIso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - new Date(fromIso).getTime()) / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}
