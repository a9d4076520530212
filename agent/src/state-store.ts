/**
 * The agent's state directory: the ownership ledger and the last applied
 * desired state, each written atomically (temporary file, fsync, rename,
 * fsync of the directory) so a crash leaves either the old or the new file.
 *
 * The daemon's desired state is written as `desired.json` (the whole
 * document) plus, for the changes that follow, `desired.journal.json`: the
 * current document relative to desired.json (its SHA-1 names the base; runs
 * of its services and the entries that differ), so one changed service does
 * not rewrite megabytes. Reading assembles both; a journal whose base is not
 * the desired.json on disk is stale (a crash after a new desired.json was
 * written, before the journal was removed) and ignored.
 */
import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { documentTextOf, type DocumentParts } from "../../shared/desired-state/resolve";
import { emptyLedger, type Ledger } from "./model";

export const LEDGER_FILE = "ledger.json";
export const DESIRED_FILE = "desired.json";
export const JOURNAL_FILE = "desired.journal.json";

/** The journal is replaced by a whole desired.json once it holds more entries than this, or than 1/8 of the services. */
export const JOURNAL_MAX_ENTRIES = 256;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

function fsyncDir(dir: string): void {
  const dirFd = openSync(dir, "r");
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

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
  fsyncDir(dir);
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

  /** what desired.json holds when this process wrote it from parts: the base a journal refers to */
  private base: { hash: string; list: readonly object[]; index: Map<object, number> } | null = null;

  /** The last applied desired-state document as stored (desired.json + its journal; validated again by the caller), or null. */
  readDesired(): unknown | null {
    const text = this.read(DESIRED_FILE);
    if (text === null) return null;
    let document: { ipvs?: { services?: unknown[] } };
    try {
      document = JSON.parse(text);
    } catch (error) {
      throw new StateStoreError(`cached desired state ${path.join(this.dir, DESIRED_FILE)} is not JSON: ${(error as Error).message}`);
    }
    const journalText = this.read(JOURNAL_FILE);
    if (journalText === null) return document;
    const where = path.join(this.dir, JOURNAL_FILE);
    let journal: { version?: unknown; base?: unknown; head?: unknown; tail?: unknown; services?: unknown };
    try {
      journal = JSON.parse(journalText);
    } catch (error) {
      throw new StateStoreError(`desired-state journal ${where} is not JSON: ${(error as Error).message}`);
    }
    if (journal.base !== sha1(text)) return document; // stale: written against an earlier desired.json
    const baseServices = document.ipvs?.services;
    if (journal.version !== 1 || typeof journal.head !== "string" || typeof journal.tail !== "string" || !Array.isArray(journal.services) || !Array.isArray(baseServices)) {
      throw new StateStoreError(`desired-state journal ${where} is damaged (unknown format); remove it to fall back to ${DESIRED_FILE}`);
    }
    const services: unknown[] = [];
    for (const item of journal.services as unknown[]) {
      if (!Array.isArray(item)) {
        services.push(item);
        continue;
      }
      const [from, count] = item as number[];
      if (!Number.isInteger(from) || !Number.isInteger(count) || from < 0 || count < 1 || from + count > baseServices.length) {
        throw new StateStoreError(`desired-state journal ${where} is damaged (run ${JSON.stringify(item)} outside ${DESIRED_FILE}'s ${baseServices.length} services); remove it to fall back to ${DESIRED_FILE}`);
      }
      for (let j = from; j < from + count; j++) services.push(baseServices[j]);
    }
    try {
      const assembled = JSON.parse(`${journal.head}[]${journal.tail}`) as { ipvs: { services: unknown[] } };
      assembled.ipvs.services = services;
      return assembled;
    } catch (error) {
      throw new StateStoreError(`desired-state journal ${where} is damaged (${(error as Error).message}); remove it to fall back to ${DESIRED_FILE}`);
    }
  }

  writeDesired(document: unknown, text?: string): void {
    this.ensureDir();
    // compact: at 10,000 services the pretty form is several times larger to write on every change
    const content = (text ?? JSON.stringify(document)) + "\n";
    writeFileAtomic(path.join(this.dir, DESIRED_FILE), content);
    this.base = null;
    this.removeJournal();
  }

  /**
   * The document's text in parts (see DocumentParts): a small journal against
   * the desired.json this process wrote when that is possible, otherwise a
   * whole desired.json (which also starts a new base).
   */
  writeDesiredParts(_document: unknown, parts: DocumentParts): void {
    if (this.base && this.writeJournal(parts, this.base)) return;
    const content = documentTextOf(parts) + "\n";
    this.ensureDir();
    writeFileAtomic(path.join(this.dir, DESIRED_FILE), content);
    this.removeJournal();
    const index = new Map<object, number>();
    parts.services.forEach((service, i) => index.set(service, i));
    this.base = { hash: sha1(content), list: parts.services, index };
  }

  private writeJournal(parts: DocumentParts, base: { hash: string; list: readonly object[]; index: Map<object, number> }): boolean {
    const limit = Math.min(JOURNAL_MAX_ENTRIES, Math.max(16, parts.services.length >> 3));
    const items: string[] = [];
    let entries = 0;
    // the current run of base entries: [from, from + count)
    let from = -1;
    let count = 0;
    const flush = () => {
      if (count > 0) items.push(`[${from},${count}]`);
      count = 0;
    };
    for (const service of parts.services) {
      // where the run goes on (the common case) no lookup is needed
      const next = count > 0 ? from + count : -1;
      const at = next >= 0 && base.list[next] === service ? next : base.index.get(service);
      if (at === undefined) {
        if (++entries > limit) return false;
        flush();
        items.push(service.text);
      } else if (count > 0 && at === from + count) count++;
      else {
        flush();
        from = at;
        count = 1;
      }
    }
    flush();
    const text = `{"version":1,"base":"${base.hash}","head":${JSON.stringify(parts.head)},"tail":${JSON.stringify(parts.tail)},"services":[${items.join(",")}]}\n`;
    writeFileAtomic(path.join(this.dir, JOURNAL_FILE), text);
    return true;
  }

  private removeJournal(): void {
    try {
      unlinkSync(path.join(this.dir, JOURNAL_FILE));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    fsyncDir(this.dir);
  }
}
