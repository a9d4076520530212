/** Loading a desired-state document: read, parse, validate whole (all-or-nothing). */
import { readFileSync } from "node:fs";
import { validateDesiredState, type DesiredStateIssue, type ResolvedState } from "../../shared/desired-state/resolve";

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
  /** the document's JSON text when it came from a file (written to the state dir as is) */
  text?: string;
}

export function parseDesiredDocument(document: unknown, source: string): LoadedDesiredState {
  const result = validateDesiredState(document);
  if (!result.ok) throw new InvalidDesiredStateError(source, result.issues);
  return { document, resolved: result.resolved };
}

export function loadDesiredFile(file: string): LoadedDesiredState {
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
  return { ...parseDesiredDocument(document, file), text: text.trimEnd() };
}
