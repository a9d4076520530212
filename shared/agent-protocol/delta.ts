/**
 * Delta pushes (see DesiredDeltaPushSchema): the panel sends a host's new
 * desired state relative to the one the agent accepted last on the same
 * connection, so one changed service costs one service on the wire and in the
 * agent's validation, not the whole document. Pure, no Node-only imports.
 */
import type { DesiredDeltaPush, DesiredPush } from "./index";

/** `[from, count]`: copy `count` entries of the base's services from index `from`; an object: a new entry. */
export type ServicesDeltaItem = [number, number] | Record<string, unknown>;

/** A delta with more new entries than this fraction of the services is sent as the whole document instead. */
export const DELTA_MAX_NEW_FRACTION = 0.5;

/**
 * `next` expressed against `base`: runs of entries equal (as JSON text) to a
 * base entry, in order, and the other entries as they are. Entries are
 * matched by their JSON text, first at the position following the previous
 * match (the common case: an edit in place, an insertion or removal shifts
 * the rest), otherwise anywhere in the base.
 */
export function computeServicesDelta(base: readonly unknown[], next: readonly unknown[]): ServicesDeltaItem[] {
  // (not remembered between calls: a caller may change a list in place, and a stale text would make a wrong delta)
  const baseTexts = base.map((entry) => JSON.stringify(entry));
  const nextTexts = next.map((entry) => JSON.stringify(entry));
  let index: Map<string, number> | null = null;
  const find = (text: string): number | undefined => {
    if (!index) {
      index = new Map();
      // the first occurrence wins (a valid document has no two equal entries)
      baseTexts.forEach((t, i) => {
        if (!index!.has(t)) index!.set(t, i);
      });
    }
    return index.get(text);
  };
  const out: ServicesDeltaItem[] = [];
  let run: [number, number] | null = null;
  for (let i = 0; i < next.length; i++) {
    const text = nextTexts[i];
    const follow: number = run ? run[0] + run[1] : i;
    const at: number | undefined = follow < baseTexts.length && baseTexts[follow] === text ? follow : find(text);
    if (at === undefined) {
      run = null;
      out.push(next[i] as Record<string, unknown>);
    } else if (run && at === run[0] + run[1]) {
      run[1]++;
    } else {
      run = [at, 1];
      out.push(run);
    }
  }
  return out;
}

/** The base's services with `delta` applied (what the agent assembles); throws on a run outside the base. */
export function applyServicesDelta<T>(base: readonly T[], delta: readonly ServicesDeltaItem[]): Array<T | Record<string, unknown>> {
  const out: Array<T | Record<string, unknown>> = [];
  for (const item of delta) {
    if (Array.isArray(item)) {
      const [from, count] = item;
      if (from < 0 || count < 1 || from + count > base.length) throw new Error(`run [${from}, ${count}] is outside the base's ${base.length} services`);
      for (let j = from; j < from + count; j++) out.push(base[j]);
    } else out.push(item);
  }
  return out;
}

function servicesOf(state: unknown): unknown[] | null {
  const ipvs = (state as { ipvs?: { services?: unknown } } | null)?.ipvs;
  return Array.isArray(ipvs?.services) ? ipvs.services : null;
}

/**
 * The push to send for `push` when the agent holds `base` (the last push it
 * accepted on this connection): a delta when that is clearly smaller, the
 * whole push otherwise (no base, a forced push, most services new).
 */
export function deltaPushFor(push: DesiredPush, base: { generation: number; state: unknown } | null): DesiredDeltaPush | null {
  if (!base || push.force) return null;
  const before = servicesOf(base.state);
  const after = servicesOf(push.state);
  if (!before || !after || after.length === 0) return null;
  const services = computeServicesDelta(before, after);
  const fresh = services.filter((item) => !Array.isArray(item)).length;
  if (fresh > after.length * DELTA_MAX_NEW_FRACTION) return null;
  const { services: _omitted, ...ipvs } = (push.state as { ipvs: Record<string, unknown> }).ipvs;
  return {
    generation: push.generation,
    revisionId: push.revisionId,
    force: false,
    base: base.generation,
    baseServices: before.length,
    state: { ...(push.state as Record<string, unknown>), ipvs },
    services,
  };
}
