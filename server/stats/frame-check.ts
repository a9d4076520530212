/**
 * A hand-written structural check of StatsFrame (shared/agent-protocol), for
 * the gateway's hot path: every agent sends one frame per second with a few
 * hundred entries, and StatsFrameSchema.safeParse cost ~8 % of a core at 500
 * agents (it also copies the whole frame). isStatsFrame accepts exactly what
 * the schema accepts — frame-check.test.ts compares both on a table of valid
 * and invalid frames — and returns the payload itself (every object of the
 * schema is strict, so a valid payload IS the parsed value). The gateway runs
 * the zod schema only when this check fails, for its error message: bad input
 * is still rejected whole.
 */
import type { StatsFrame } from "@/shared/agent-protocol";

const own = Object.prototype.hasOwnProperty;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  return true;
}

/** Only the listed keys (strictObject); `required` must be present. */
function onlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>, required: readonly string[]): boolean {
  for (const k in o) if (own.call(o, k) && !allowed.has(k)) return false;
  for (const k of required) if (!own.call(o, k)) return false;
  return true;
}

const nonNegativeNumber = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
const nonNegativeInt = (v: unknown) => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

function isCounters5(v: unknown): boolean {
  if (!Array.isArray(v) || v.length !== 5) return false;
  for (let k = 0; k < 5; k++) if (!nonNegativeNumber(v[k])) return false;
  return true;
}

function isKeyList(v: unknown, max: number): boolean {
  if (v === undefined) return true;
  if (!Array.isArray(v) || v.length > max) return false;
  for (let n = 0; n < v.length; n++) if (typeof v[n] !== "string") return false;
  return true;
}

const ENTRY_KEYS = new Set(["k", "c", "r", "a", "i"]);
const ENTRY_REQUIRED = ["k", "c", "r", "a", "i"];
const SERVICE_KEYS = new Set(["k", "c", "r", "a", "i", "d", "gone"]);
const SERVICE_REQUIRED = ["k", "c", "r", "a", "i", "d"];
const FRAME_KEYS = new Set(["seq", "at", "intervalMs", "full", "services", "gone", "totals"]);
const FRAME_REQUIRED = ["seq", "at", "intervalMs", "full", "services", "totals"];
const TOTALS_KEYS = new Set(["c", "r"]);
const TOTALS_REQUIRED = ["c", "r"];

function isEntryFields(e: Record<string, unknown>): boolean {
  const k = e.k;
  if (typeof k !== "string" || k.length < 1 || k.length > 80) return false;
  if (!isCounters5(e.c)) return false;
  if (e.r !== null && !isCounters5(e.r)) return false;
  return nonNegativeInt(e.a) && nonNegativeInt(e.i);
}

function isEntry(v: unknown): boolean {
  return isPlainObject(v) && onlyKeys(v, ENTRY_KEYS, ENTRY_REQUIRED) && isEntryFields(v);
}

function isServiceEntry(v: unknown): boolean {
  if (!isPlainObject(v) || !onlyKeys(v, SERVICE_KEYS, SERVICE_REQUIRED) || !isEntryFields(v)) return false;
  const d = v.d;
  if (!Array.isArray(d) || d.length > 10_000) return false;
  for (let n = 0; n < d.length; n++) if (!isEntry(d[n])) return false;
  return isKeyList(v.gone, 10_000);
}

/** Does `v` pass StatsFrameSchema? (Same answer, no copy.) */
export function isStatsFrame(v: unknown): v is StatsFrame {
  if (!isPlainObject(v) || !onlyKeys(v, FRAME_KEYS, FRAME_REQUIRED)) return false;
  if (!nonNegativeInt(v.seq)) return false;
  if (!(typeof v.at === "number" && Number.isSafeInteger(v.at) && v.at > 0)) return false;
  const interval = v.intervalMs;
  if (!(typeof interval === "number" && Number.isSafeInteger(interval) && interval >= 100 && interval <= 3_600_000)) return false;
  if (typeof v.full !== "boolean") return false;
  const services = v.services;
  if (!Array.isArray(services) || services.length > 100_000) return false;
  for (let n = 0; n < services.length; n++) if (!isServiceEntry(services[n])) return false;
  if (!isKeyList(v.gone, 100_000)) return false;
  const totals = v.totals;
  if (totals !== null) {
    if (!isPlainObject(totals) || !onlyKeys(totals, TOTALS_KEYS, TOTALS_REQUIRED)) return false;
    if (!isCounters5(totals.c)) return false;
    if (totals.r !== null && !isCounters5(totals.r)) return false;
  }
  return true;
}
