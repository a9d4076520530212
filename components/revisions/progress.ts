/**
 * Pure rules behind the revision pages (unit-tested in progress.test.ts):
 * how a plan line is marked, how a host's deployment reads, when the page
 * polls, and how an apply's progress is summarised.
 */

import type { DeploymentStatus } from "@/shared/revisions";

export type { DeploymentStatus };

/** What a plan line does to the kernel, from the agent's op kind ("ipvs-add-dest", "sysctl-restore", …). */
export type OpTone = "add" | "change" | "remove" | "conflict";

export function opTone(kind: string): OpTone {
  if (kind.endsWith("-conflict")) return "conflict";
  if (/-(delete|down|restore)\b/.test(kind) || kind.endsWith("-restore-timeouts")) return "remove";
  if (/-(edit|set-timeouts)\b/.test(kind)) return "change";
  return "add";
}

/** A diff-style marker in front of a plan line, so the tone does not rely on colour alone. */
export const OP_MARKER: Record<OpTone, string> = { add: "+", change: "~", remove: "-", conflict: "!" };

/** The parts of a host's state the progress rules need. */
export interface ProgressHost {
  online: boolean;
  /** Status of the host's latest deployment; null when the panel never published anything to it. */
  status: DeploymentStatus | null;
}

export const FAST_POLL_MS = 500;
/** Offline hosts get their state when they connect; nothing to watch closely until then. */
export const SLOW_POLL_MS = 5_000;

/**
 * How often to re-read revisions.status: every 0.5 s while an online host is
 * still pending or applying, every 5 s while only offline hosts wait, not at
 * all once everything has settled.
 */
export function pollInterval(hosts: ReadonlyArray<ProgressHost>): number | false {
  let waitingOffline = false;
  for (const h of hosts) {
    if (h.status !== "pending" && h.status !== "applying") continue;
    if (h.online) return FAST_POLL_MS;
    waitingOffline = true;
  }
  return waitingOffline ? SLOW_POLL_MS : false;
}

export interface ProgressSummary {
  applied: number;
  failed: number;
  inFlight: number;
  /** pending on a host that is not connected: it gets the state when its agent connects */
  waitingOffline: number;
  /** nothing is pending or applying on a connected host */
  settled: boolean;
  text: string;
}

export function summariseProgress(hosts: ReadonlyArray<ProgressHost>): ProgressSummary {
  let applied = 0;
  let failed = 0;
  let inFlight = 0;
  let waitingOffline = 0;
  let superseded = 0;
  for (const h of hosts) {
    if (h.status === "applied") applied++;
    else if (h.status === "superseded") superseded++;
    else if (h.status === "failed") failed++;
    else if (h.status === "pending" || h.status === "applying") {
      if (h.online) inFlight++;
      else waitingOffline++;
    }
  }
  const parts: string[] = [];
  if (applied) parts.push(`${applied} applied`);
  if (failed) parts.push(`${failed} failed`);
  if (inFlight) parts.push(`${inFlight} in progress`);
  if (superseded) parts.push(`${superseded} superseded`);
  if (waitingOffline) parts.push(`${waitingOffline} waiting for ${waitingOffline === 1 ? "its agent" : "their agents"} to connect`);
  return { applied, failed, inFlight, waitingOffline, settled: inFlight === 0, text: parts.join(" · ") || "no host to update" };
}

export type Tone = "neutral" | "accent" | "ok" | "warn" | "danger";

/** Status word and colour of one host's deployment (the word is what tests read). */
export function deploymentLabel(host: ProgressHost): { label: string; tone: Tone; detail: string | null } {
  switch (host.status) {
    case "pending":
      return { label: "pending", tone: host.online ? "accent" : "neutral", detail: host.online ? "sent to the agent" : "host offline: applied when its agent connects" };
    case "applying":
      return { label: "applying", tone: "accent", detail: null };
    case "applied":
      return { label: "applied", tone: "ok", detail: null };
    case "failed":
      return { label: "failed", tone: "danger", detail: null };
    case "superseded":
      return { label: "superseded", tone: "neutral", detail: "replaced by a newer revision before it finished" };
    default:
      return { label: "nothing published", tone: "neutral", detail: null };
  }
}

export interface ChipHost {
  online: boolean;
  /** generation the panel published last (0 = never) */
  generation: number;
  appliedGeneration: number | null;
  driftCount: number;
  status: DeploymentStatus | null;
}

/** A host chip on the cluster page: the worst thing about the host decides its colour. */
export function hostChipTone(h: ChipHost): Tone {
  if (h.status === "failed") return "danger";
  if (h.driftCount > 0) return "warn";
  if (!h.online) return "neutral";
  if (h.generation > 0 && h.appliedGeneration !== h.generation) return "accent";
  return "ok";
}

/** "gen 4/5": applied vs published; "gen 5" when they agree; "no state yet" before the first publish. */
export function generationText(h: Pick<ChipHost, "generation" | "appliedGeneration">): string {
  if (h.generation === 0 && h.appliedGeneration === null) return "no state yet";
  if (h.appliedGeneration === h.generation) return `gen ${h.generation}`;
  return `gen ${h.appliedGeneration ?? "–"}/${h.generation}`;
}

function errorData(error: unknown): { code?: string } {
  return ((error as { data?: { code?: string } } | null)?.data ?? {}) as { code?: string };
}

/** Someone applied (or the draft changed) since this review: the server answers CONFLICT. */
export function isConflict(error: unknown): boolean {
  return errorData(error).code === "CONFLICT";
}

/** "director", "real server", "director + real server". */
export function rolesText(roles: ReadonlyArray<"director" | "realServer">): string {
  return roles.map((r) => (r === "realServer" ? "real server" : "director")).join(" + ");
}
