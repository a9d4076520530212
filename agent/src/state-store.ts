/**
 * The agent's state directory: the ownership ledger and the last applied
 * desired state, each written atomically (temporary file, fsync, rename,
 * fsync of the directory) so a crash leaves either the old or the new file.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import { emptyLedger, type Ledger } from "./model";

export const LEDGER_FILE = "ledger.json";
export const DESIRED_FILE = "desired.json";

export class StateStoreError extends Error {}

export function writeFileAtomic(file: string, text: string, mode = 0o600): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

export class StateStore {
  constructor(readonly dir: string) {}

  ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  private read(name: string): string | null {
    try {
      return readFileSync(path.join(this.dir, name), "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new StateStoreError(`cannot read ${path.join(this.dir, name)}: ${(error as Error).message}`);
    }
  }

  readLedger(): Ledger {
    const text = this.read(LEDGER_FILE);
    if (text === null) return emptyLedger();
    try {
      const ledger = JSON.parse(text) as Ledger;
      if (ledger.version !== 1 || !Array.isArray(ledger.services)) throw new Error("unknown ledger format");
      return { ...emptyLedger(), ...ledger };
    } catch (error) {
      // never guess ownership: a damaged ledger stops the agent before it changes anything
      throw new StateStoreError(`ownership ledger ${path.join(this.dir, LEDGER_FILE)} is damaged (${(error as Error).message}); fix or remove it`);
    }
  }

  writeLedger(ledger: Ledger): void {
    this.ensureDir();
    writeFileAtomic(path.join(this.dir, LEDGER_FILE), JSON.stringify(ledger, null, 2) + "\n");
  }

  /** The last applied desired-state document as stored (validated again by the caller), or null. */
  readDesired(): unknown | null {
    const text = this.read(DESIRED_FILE);
    if (text === null) return null;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new StateStoreError(`cached desired state ${path.join(this.dir, DESIRED_FILE)} is not JSON: ${(error as Error).message}`);
    }
  }

  writeDesired(document: unknown, text?: string): void {
    this.ensureDir();
    // compact: at 10,000 services the pretty form is several times larger to write on every change
    writeFileAtomic(path.join(this.dir, DESIRED_FILE), (text ?? JSON.stringify(document)) + "\n");
  }
}
