/**
 * A "desired" push from the panel, whole (DesiredPush) or relative to the
 * document the daemon holds (DesiredDeltaPush), checked and validated ONCE
 * with the daemon's DesiredStateValidator (only service entries that are new
 * or changed are parsed again). Nothing is applied here: an accepted push is
 * handed to `daemon.applyLoaded` by the caller after the ack.
 */
import { DesiredDeltaPushSchema, DesiredPushEnvelopeSchema } from "../../../shared/agent-protocol";
import { formatIssues, type DesiredStateIssue } from "../../../shared/desired-state/resolve";
import type { Daemon } from "../daemon";
import type { LoadedDesiredState } from "../desired";

export type PushDecision =
  | { accepted: true; generation: number; loaded: LoadedDesiredState; delta: boolean }
  /** `baseMismatch`: a delta against a document the agent does not hold (the panel then sends the whole state) */
  | { accepted: false; generation: number; error: string; baseMismatch?: true };

function issuesOf(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join(".") || "(message)"}: ${i.message}`)
    .join("; ");
}

const invalid = (issues: DesiredStateIssue[]) => `invalid desired state: ${formatIssues(issues.slice(0, 3)).split("\n").join("; ")}`;

/** `applied`: the generation last applied cleanly (older pushes are refused unless forced). */
export function receivePush(daemon: Daemon, payload: unknown, applied: number | null): PushDecision {
  const stated = (state: unknown) => (state as { generation?: unknown } | null)?.generation;
  const stale = (generation: number, force: boolean) => applied !== null && generation < applied && !force;
  if (typeof payload === "object" && payload !== null && "base" in payload) {
    const envelope = DesiredDeltaPushSchema.safeParse(payload);
    if (!envelope.success) return { accepted: false, generation: 0, error: `invalid push: ${issuesOf(envelope.error)}` };
    const push = envelope.data;
    const { generation } = push;
    if (stale(generation, push.force)) return { accepted: false, generation, error: `stale generation ${generation}: generation ${applied} is already applied` };
    if (stated(push.state) !== generation) return { accepted: false, generation, error: `the push is generation ${generation} but its state says ${String(stated(push.state))}` };
    const result = daemon.validator.validateDelta(push.state, push.services, { generation: push.base, services: push.baseServices });
    if (!result.ok) {
      if ("baseMismatch" in result && result.baseMismatch) return { accepted: false, generation, error: `${result.issues[0].message}: send the whole state`, baseMismatch: true };
      return { accepted: false, generation, error: invalid(result.issues) };
    }
    return { accepted: true, generation, delta: true, loaded: { document: result.document, resolved: result.resolved } };
  }

  const envelope = DesiredPushEnvelopeSchema.safeParse(payload);
  if (!envelope.success) return { accepted: false, generation: 0, error: `invalid push: ${issuesOf(envelope.error)}` };
  const { generation, force } = envelope.data;
  if (stale(generation, force)) return { accepted: false, generation, error: `stale generation ${generation}: generation ${applied} is already applied` };
  const state = (payload as { state: unknown }).state; // the document as the panel sent it (the parsed one would carry filled-in defaults)
  if (stated(state) !== generation) return { accepted: false, generation, error: `the push is generation ${generation} but its state says ${String(stated(state))}` };
  const result = daemon.validator.validate(state);
  if (!result.ok) return { accepted: false, generation, error: invalid(result.issues) };
  return { accepted: true, generation, delta: false, loaded: { document: state, resolved: result.resolved } };
}
