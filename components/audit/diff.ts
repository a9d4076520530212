/**
 * Field-by-field diff of an audit event's before/after JSON snapshots.
 *
 * Nested objects are flattened to dotted paths ("labels.site");
 * arrays are compared as whole values (a list of interfaces is one field to
 * a reader), objects inside them written as "key=value" pairs, one object per
 * line (render with `white-space: pre-line`). Record ids, references to other
 * records by id (`clusterId`, `hostId`, `virtualServiceId`: the snapshot names
 * them, e.g. `host`) and bookkeeping timestamps are left out: they say nothing
 * to a reader. An empty string reads "(empty)".
 */

export type DiffKind = "added" | "removed" | "changed" | "unchanged";

export interface DiffRow {
  path: string;
  kind: DiffKind;
  before: string | null;
  after: string | null;
}

export type ChangeShape = "create" | "delete" | "update";

export interface AuditDiff {
  shape: ChangeShape;
  rows: DiffRow[];
  changedCount: number;
}

const IGNORED_KEYS = new Set(["id", "createdAt", "updatedAt"]);

/** Record ids, ids of referenced records ("clusterId", "virtualServiceId", "hostId") and timestamps. */
function isIgnoredKey(key: string): boolean {
  return IGNORED_KEYS.has(key) || /^[a-z][A-Za-z]*Id$/.test(key);
}

export const EMPTY_TEXT = "(empty)";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Human-readable text of one leaf value. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "—";
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return value === "" ? EMPTY_TEXT : value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    if (value.every((v) => v === null || ["string", "number", "boolean"].includes(typeof v))) {
      return value.map((v) => formatValue(v)).join(", ");
    }
    return value.map((v) => (isPlainObject(v) ? formatObjectInline(v) : formatValue(v))).join("\n");
  }
  return JSON.stringify(value as Json);
}

/** One object on one line: "address=192.0.2.31 weight=1", without ids, timestamps and empty values. */
function formatObjectInline(value: Record<string, unknown>): string {
  return Object.entries(value)
    .filter(([k, v]) => !isIgnoredKey(k) && v !== null && v !== undefined && v !== "")
    .map(([k, v]) => `${k}=${isPlainObject(v) ? formatObjectInline(v) : formatValue(v)}`)
    .join(" ");
}

/** Flattens nested objects into dotted paths; leaves are formatted text. */
export function flatten(value: unknown, prefix = "", out: Map<string, string> = new Map()): Map<string, string> {
  if (isPlainObject(value)) {
    const keys = Object.keys(value).filter((k) => !isIgnoredKey(k));
    if (keys.length === 0 && prefix) out.set(prefix, "{}");
    for (const key of keys) flatten(value[key], prefix ? `${prefix}.${key}` : key, out);
    return out;
  }
  if (prefix) out.set(prefix, formatValue(value));
  else if (value !== null && value !== undefined) out.set("value", formatValue(value));
  return out;
}

export function diffSnapshots(before: unknown, after: unknown): AuditDiff {
  const hasBefore = before !== null && before !== undefined;
  const hasAfter = after !== null && after !== undefined;
  const shape: ChangeShape = !hasBefore ? "create" : !hasAfter ? "delete" : "update";
  const left = hasBefore ? flatten(before) : new Map<string, string>();
  const right = hasAfter ? flatten(after) : new Map<string, string>();

  // Keep the order of the snapshot that exists (after for create/update, before for delete),
  // then paths only the other side has.
  const order: string[] = [];
  const seen = new Set<string>();
  for (const path of [...(hasAfter ? right.keys() : left.keys()), ...left.keys(), ...right.keys()]) {
    if (!seen.has(path)) {
      seen.add(path);
      order.push(path);
    }
  }

  const rows: DiffRow[] = order.map((path) => {
    const b = left.has(path) ? left.get(path)! : null;
    const a = right.has(path) ? right.get(path)! : null;
    let kind: DiffKind;
    if (b === null) kind = "added";
    else if (a === null) kind = "removed";
    else kind = a === b ? "unchanged" : "changed";
    return { path, kind, before: b, after: a };
  });
  return { shape, rows, changedCount: rows.filter((r) => r.kind !== "unchanged").length };
}

/** One-line summary of what changed, e.g. "weight 100 → 50, enabled true → false". */
export function summariseDiff(diff: AuditDiff, max = 3): string {
  if (diff.shape === "create") return "created";
  if (diff.shape === "delete") return "deleted";
  const changed = diff.rows.filter((r) => r.kind !== "unchanged");
  if (changed.length === 0) return "no field changed";
  const oneLine = (text: string | null) => (text ?? "—").replaceAll("\n", "; ");
  const parts = changed.slice(0, max).map((r) => `${r.path} ${oneLine(r.before)} → ${oneLine(r.after)}`);
  if (changed.length > max) parts.push(`+${changed.length - max} more`);
  return parts.join(", ");
}
