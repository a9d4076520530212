/** Loading a desired-state document: read, parse, validate whole (all-or-nothing). */
import { readFileSync } from "node:fs";
import { validateDesiredState, type DesiredStateIssue, type DesiredStateValidator, type ResolvedState } from "../../shared/desired-state/resolve";

export class InvalidDesiredStateError extends Error {
  constructor(
    readonly source: string,
    readonly issues: DesiredStateIssue[],
  ) {
    super(`invalid desired state in ${source}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}`);
  }
}

export interface LoadedDesiredState {
  document: unknown;
  resolved: ResolvedState;
  /** the document's JSON text (as read from a file, or as JSON.stringify writes it), written to the state dir as is */
  text?: string;
}

/**
 * Validates a document whole. With a `validator` (the daemon keeps one),
 * service entries unchanged since its last accepted document are not
 * validated again (see DesiredStateValidator).
 */
export function parseDesiredDocument(document: unknown, source: string, validator?: DesiredStateValidator): LoadedDesiredState {
  if (validator) {
    const result = validator.validate(document);
    if (!result.ok) throw new InvalidDesiredStateError(source, result.issues);
    // the JSON text comes as parts (documentPartsOf(document)): the state file writes only what changed
    return { document, resolved: result.resolved };
  }
  const result = validateDesiredState(document);
  if (!result.ok) throw new InvalidDesiredStateError(source, result.issues);
  return { document, resolved: result.resolved };
}

export function loadDesiredFile(file: string, validator?: DesiredStateValidator): LoadedDesiredState {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidDesiredStateError(file, [{ path: "(file)", message: `cannot read: ${(error as Error).message}` }]);
  }
  if (text.trim() === "") throw new InvalidDesiredStateError(file, [{ path: "(file)", message: "the file is empty" }]);
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InvalidDesiredStateError(file, [{ path: "(file)", message: `not valid JSON (truncated?): ${(error as Error).message}` }]);
  }
  return { ...parseDesiredDocument(document, file, validator), text: text.trimEnd() };
}
