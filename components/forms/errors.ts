/**
 * Turns validation failures into messages shown under the right fields.
 *
 * Client side: the shared zod schemas (shared/cluster) produce issues with
 * paths. Server side: tRPC errors carry the same kind of field errors in
 * their `data` (zod's flattened `fieldErrors`, or the service's own field
 * paths). Both end up as { fields: { "port": "…" }, form: "…" }.
 */

export type FieldErrors = Record<string, string>;

export interface FormErrors {
  fields: FieldErrors;
  form: string | null;
}

export interface IssueLike {
  path: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
}

function pathKey(path: IssueLike["path"]): string {
  return path.map((p) => (typeof p === "object" && p !== null ? String(p.key) : String(p))).join(".");
}

/** First message per field path; issues without a path become the form-level message. */
export function issuesToFormErrors(issues: ReadonlyArray<IssueLike>): FormErrors {
  const fields: FieldErrors = {};
  let form: string | null = null;
  for (const issue of issues) {
    const key = pathKey(issue.path);
    if (!key) form ??= issue.message;
    else fields[key] ??= issue.message;
  }
  return { fields, form };
}

function firstMessage(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    const first = value.find((v) => typeof v === "string");
    return typeof first === "string" ? first : null;
  }
  return null;
}

/** Copies `{ path: message | messages }` into `into`; the "_form" key is the form-level message. */
function recordToFields(record: unknown, into: FieldErrors): string | null {
  if (!record || typeof record !== "object") return null;
  let form: string | null = null;
  for (const [key, value] of Object.entries(record as Record<string, unknown>)) {
    const message = firstMessage(value);
    if (!message) continue;
    if (key === "_form" || key === "") form ??= message;
    else if (!(key in into)) into[key] = message;
  }
  return form;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * Reads field errors out of a tRPC client error. Accepts the shapes a server
 * error formatter commonly adds to `data`:
 *   data.fieldErrors: { path: string | string[] }
 *   data.zodError: { fieldErrors: {...}, formErrors: string[] }   (z.flattenError)
 *   data.issues: [{ path, message }]
 */
export function serverErrorToFormErrors(error: unknown): FormErrors {
  const fields: FieldErrors = {};
  let form: string | null = null;
  if (!isRecord(error)) return { fields, form: "Something went wrong. Try again." };
  const data = isRecord(error.data) ? error.data : {};

  form = recordToFields(data.fieldErrors, fields);
  if (isRecord(data.zodError)) {
    form ??= recordToFields(data.zodError.fieldErrors, fields);
    form ??= firstMessage(data.zodError.formErrors);
  }
  if (Array.isArray(data.issues)) {
    const fromIssues = issuesToFormErrors(data.issues.filter((i): i is IssueLike => isRecord(i) && Array.isArray(i.path) && typeof i.message === "string"));
    for (const [k, v] of Object.entries(fromIssues.fields)) fields[k] ??= v;
    form ??= fromIssues.form;
  }
  form ??= firstMessage(data.formErrors);

  // Without field errors the error's message is the reason; with them, the fields say it.
  const message = typeof error.message === "string" ? error.message : null;
  if (Object.keys(fields).length === 0) form ??= readableMessage(message);
  return { fields, form };
}

function looksLikeJson(text: string): boolean {
  const t = text.trim();
  return t.startsWith("[") || t.startsWith("{");
}

function readableMessage(message: string | null): string {
  if (!message || looksLikeJson(message)) return "The request was rejected. Check the fields and try again.";
  if (message === "Failed to fetch") return "The panel server could not be reached. Check your connection and try again.";
  return message;
}

/**
 * Keeps only field errors that a form actually shows (a known key, or a path
 * under one, e.g. "interfaces.0.name" under "interfaces"); the rest join the
 * form-level message so nothing the server said is lost.
 */
export function splitKnownFields(errors: FormErrors, known: ReadonlyArray<string>): FormErrors {
  const fields: FieldErrors = {};
  const extra: string[] = [];
  for (const [key, message] of Object.entries(errors.fields)) {
    if (known.some((k) => key === k || key.startsWith(`${k}.`))) fields[key] = message;
    else extra.push(key ? `${key}: ${message}` : message);
  }
  const form = [errors.form, ...extra].filter(Boolean).join(" ") || null;
  return { fields, form };
}
