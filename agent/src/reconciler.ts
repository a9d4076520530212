/**
 * The reconcile loop as a library (used by the CLI, the daemon and the lab's
 * bench): read actual → plan (pure) → apply → read back → verify.
 *
 * Cost model (every process is expensive under emulation and listing the
 * table is ~0.7 ms per service): the cheap /proc read is used for the whole
 * table; full detail (flags, engine, thresholds) is read only for services that
 * may need an edit; all IPVS changes go through ONE `ipvsadm -R`; read-back
 * covers only what was touched. The daemon keeps the state reached in memory
 * and plans the next change against it.
 */
import type { IpvsService, ResolvedState } from "../../shared/desired-state/resolve";
import { checkInterfaces, documentPartsOf, documentTextOf, formatIssues, sysctlInterface, type DesiredStateIssue, type DocumentParts } from "../../shared/desired-state/resolve";
import type { Kernel, RestoreResult, ServiceHandle } from "./kernel/types";
import { emptyLedger, isIpvsOp, type ActualService, type ActualState, type InterfaceState, type IpvsOp, type Ledger, type Op, type OpResult } from "./model";
import { plan, planIpvs, servicesFor } from "./plan/plan";

/** Above this many services, one whole-table listing is cheaper than per-service listings. */
export const TARGETED_READ_LIMIT = 8;

/** After a failed batch, identical individual failures in a row before the rest are not retried one by one. */
export const SAME_ERROR_LIMIT = 10;

export interface AgentStore {
  readLedger(): Ledger;
  writeLedger(ledger: Ledger): void;
  readDesired(): unknown | null;
  /** `text` is the document's JSON text when the caller has it */
  writeDesired(document: unknown, text?: string): void;
  /** the document's text in parts from a DesiredStateValidator (a store may then write only what changed) */
  writeDesiredParts?(document: unknown, parts: DocumentParts): void;
}

export class MemoryStore implements AgentStore {
  ledger: Ledger = emptyLedger();
  desired: unknown | null = null;
  readLedger() {
    return structuredClone(this.ledger);
  }
  writeLedger(ledger: Ledger) {
    this.ledger = structuredClone(ledger);
  }
  readDesired() {
    return this.desired === null ? null : structuredClone(this.desired);
  }
  writeDesired(document: unknown) {
    this.desired = structuredClone(document);
  }
}

/** The desired state does not fit this host (e.g. an unknown interface); nothing was changed. */
export class HostMismatchError extends Error {
  constructor(readonly issues: DesiredStateIssue[]) {
    super(formatIssues(issues));
  }
}

export interface ReconcileOutcome {
  generation: number;
  /** the ops planned, in execution order */
  ops: Op[];
  /** one result per planned op, same order */
  results: OpResult[];
  /** read-back matches the desired state (a second plan would be empty) */
  converged: boolean;
  /** ops a plan against the read-back still finds (empty when converged) */
  remaining: Op[];
  /** the state reached */
  actual: ActualState;
}

/** What an op changes, to match ops across plans. */
export function opTarget(op: Op): string {
  switch (op.kind) {
    case "ipvs-add-service":
    case "ipvs-edit-service":
    case "ipvs-delete-service":
    case "ipvs-conflict":
      return `service ${op.service}`;
    case "ipvs-add-dest":
    case "ipvs-edit-dest":
    case "ipvs-delete-dest":
      return `dest ${op.service} ${op.destination}`;
    case "ipvs-set-timeouts":
    case "ipvs-restore-timeouts":
      return "timeouts";
    case "link-up":
      return `link ${op.link.name}`;
    case "link-down":
      return `link ${op.name}`;
    case "address-add":
    case "address-delete":
      return `address ${op.address.key}`;
    case "sysctl-set":
    case "sysctl-restore":
      return `sysctl ${op.key}`;
    case "nft-replace":
    case "nft-delete":
    case "nft-conflict":
      return "nft";
  }
}

function handleOf(service: IpvsService | ActualService): ServiceHandle {
  return { key: service.key, protocol: service.protocol, family: service.family, address: service.address, port: service.port, fwmark: service.fwmark };
}

function cloneLedger(ledger: Ledger): Ledger {
  return {
    version: 1,
    services: [...ledger.services],
    addresses: [...ledger.addresses],
    links: [...ledger.links],
    sysctls: { ...ledger.sysctls },
    timeouts: ledger.timeouts ? { ...ledger.timeouts } : null,
    nft: ledger.nft ? { ...ledger.nft } : null,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Ledger equality without serialising it (it holds every owned service key). */
function sameLedger(a: Ledger, b: Ledger): boolean {
  return (
    sameList(a.services, b.services) &&
    sameList(a.addresses, b.addresses) &&
    sameList(a.links, b.links) &&
    JSON.stringify(a.sysctls) === JSON.stringify(b.sysctls) &&
    JSON.stringify(a.timeouts) === JSON.stringify(b.timeouts) &&
    JSON.stringify(a.nft) === JSON.stringify(b.nft)
  );
}

/** A copy whose maps and ledger can be changed; services themselves are shared (they are replaced, never mutated). */
function cloneActual(actual: ActualState): ActualState {
  return {
    ipvs: { ...actual.ipvs, services: new Map(actual.ipvs.services) },
    timeouts: actual.timeouts,
    interfaces: new Map(actual.interfaces),
    sysctls: { ...actual.sysctls },
    nft: { ...actual.nft },
    ledger: cloneLedger(actual.ledger),
  };
}

/** Fills what a listing could not show from the desired service, when everything it could show matches. */
function trustHiddenFields(read: ActualService, want: IpvsService | undefined): ActualService {
  if (!want || (read.flagsKnown && read.thresholdsKnown)) return read;
  const visibleMatch =
    read.scheduler === want.scheduler &&
    read.destinations.length === want.destinations.length &&
    want.destinations.every((d) => read.destinations.some((r) => r.key === d.key && r.forwarding === d.forwarding && r.weight === d.weight));
  if (!visibleMatch) return read;
  const wanted = (key: string) => want.destinations.find((d) => d.key === key)!;
  return {
    ...read,
    flags: read.flagsKnown ? read.flags : want.flags,
    pe: read.flagsKnown ? read.pe : want.pe,
    persistence: read.persistence && want.persistence && read.persistence.timeout < 0 ? { ...read.persistence, timeout: want.persistence.timeout } : read.persistence,
    destinations: read.thresholdsKnown
      ? read.destinations
      : read.destinations.map((d) => ({ ...d, upperThreshold: wanted(d.key).upperThreshold, lowerThreshold: wanted(d.key).lowerThreshold })),
    flagsKnown: true,
    thresholdsKnown: true,
  };
}

/**
 * The service keys whose plan can differ between `previous` and `desired`:
 * services added, removed, or resolved to a different object. Resolved
 * services are immutable and a DesiredStateValidator hands out the same
 * object for an unchanged entry, so identity means "unchanged".
 */
function changedServices(previous: ResolvedState, desired: ResolvedState): Set<string> {
  // by identity (no map of every key per push): an object not in the other list was added, replaced or removed
  const before = previous.ipvs.services;
  const now = desired.ipvs.services;
  const changed = new Set<string>();
  let i = 0;
  // the common case: the same objects in the same order up to the first difference
  while (i < before.length && i < now.length && before[i] === now[i]) i++;
  if (i === before.length && i === now.length) return changed;
  // … and from the end
  let a = before.length;
  let b = now.length;
  while (a > i && b > i && before[a - 1] === now[b - 1]) {
    a--;
    b--;
  }
  const had = new Set(before.slice(i, a));
  const has = new Set(now.slice(i, b));
  for (const service of has) if (!had.has(service)) changed.add(service.key);
  for (const service of had) if (!has.has(service)) changed.add(service.key);
  return changed;
}

export class Reconciler {
  private cache: ActualState | null = null;
  /** the desired state the cache is known to match (a plan of it against the cache is empty), null when unknown */
  private cacheDesired: ResolvedState | null = null;
  /** what each actual state has read beyond the IPVS table (a state and its copies, never the reconciler, know it) */
  private coverage = new WeakMap<ActualState, Coverage>();
  /** what was last written, to skip rewriting (and fsyncing) unchanged files */
  private written: { desired: string; parts: DocumentParts | null } = { desired: "", parts: null };
  private writtenLedger: Ledger | null = null;

  constructor(
    readonly kernel: Kernel,
    readonly store: AgentStore,
  ) {}

  /** Forget the cached actual state: the next reconcile reads the kernel again. */
  invalidate(): void {
    this.cache = null;
    this.cacheDesired = null;
  }

  get cachedActual(): ActualState | null {
    return this.cache;
  }

  /**
   * Reads the actual state a plan for `desired` needs. The IPVS table comes
   * from the cheap read (or "full" for drift checks); services that exist in
   * both the kernel and the desired state and belong to the agent are then
   * read in full, since only they can need an in-place edit.
   */
  async readActual(desired: ResolvedState | null, detail: "basic" | "full" = "basic"): Promise<ActualState> {
    // (detail may be raised to "full" below)
    const ledger = this.store.readLedger();
    this.writtenLedger = cloneLedger(ledger);
    const probe = await this.kernel.ipvs.probe();
    const services = new Map<string, ActualService>();
    if (probe.available) {
      for (const s of await this.kernel.ipvs.read(detail)) services.set(s.key, s);
      // the cheap read can only under-report (see LinuxIpvs.read): an owned service missing from it is confirmed in full
      if (detail === "basic" && ledger.services.some((key) => !services.has(key))) {
        services.clear();
        for (const s of await this.kernel.ipvs.read("full")) services.set(s.key, s);
        detail = "full";
      }
      // a full read is authoritative: forget owned services that are gone (deleted by hand)
      if (detail === "full") ledger.services = ledger.services.filter((key) => services.has(key));
    }
    // interfaces only when something names one (an `ip` process, ~50-120 ms under emulation, on every cold apply otherwise)
    const withInterfaces = needsInterfaces(desired, ledger);
    const actual: ActualState = {
      ipvs: { available: probe.available, reason: probe.reason, services },
      timeouts: null,
      interfaces: withInterfaces ? await this.readInterfaces() : new Map(),
      sysctls: {},
      nft: { exists: false, managed: false, listingHash: null },
      ledger,
    };
    this.coverage.set(actual, { timeouts: false, nft: false, interfaces: withInterfaces });
    if (desired) await this.refineForEdits(actual, desired);
    await this.cover(actual, desired);
    return actual;
  }

  /** Reads what `desired` needs that `actual` does not have yet (new sysctl keys, timeouts, the nft table). */
  private async cover(actual: ActualState, desired: ResolvedState | null): Promise<void> {
    let coverage = this.coverage.get(actual);
    if (!coverage) this.coverage.set(actual, (coverage = { timeouts: false, nft: false, interfaces: false }));
    const keys = new Set([...Object.keys(desired?.sysctls ?? {}), ...Object.keys(actual.ledger.sysctls)]);
    for (const key of keys) if (!(key in actual.sysctls)) actual.sysctls[key] = await this.kernel.sysctl.read(key);
    if (!coverage.interfaces && needsInterfaces(desired, actual.ledger)) {
      actual.interfaces = await this.readInterfaces();
      coverage.interfaces = true;
    }
    if (!coverage.timeouts && actual.ipvs.available && (desired?.ipvs.timeouts || actual.ledger.timeouts)) {
      actual.timeouts = await this.kernel.ipvs.readTimeouts();
      coverage.timeouts = true;
    }
    if (!coverage.nft && ((desired?.fwmarks.length ?? 0) > 0 || actual.ledger.nft)) {
      actual.nft = await this.kernel.nft.read();
      coverage.nft = true;
    }
  }

  private async readInterfaces(): Promise<Map<string, InterfaceState>> {
    return new Map((await this.kernel.net.interfaces()).map((i) => [i.name, i]));
  }

  private async refineForEdits(actual: ActualState, desired: ResolvedState): Promise<void> {
    if (!actual.ipvs.available) return;
    const owned = new Set(actual.ledger.services);
    const needFull = desired.ipvs.services.filter((s) => {
      const have = actual.ipvs.services.get(s.key);
      return have && owned.has(s.key) && (!have.flagsKnown || !have.thresholdsKnown);
    });
    if (needFull.length === 0) return;
    if (needFull.length <= TARGETED_READ_LIMIT) {
      const read = await this.kernel.ipvs.readServices(needFull.map(handleOf), true);
      for (const [key, service] of read) {
        if (service) actual.ipvs.services.set(key, service);
        else actual.ipvs.services.delete(key);
      }
      return;
    }
    actual.ipvs.services = new Map((await this.kernel.ipvs.read("full")).map((s) => [s.key, s]));
  }

  /** Checks the desired state against this host's interfaces; re-reads them once when a cached view lacks one. */
  private async checkHost(desired: ResolvedState, actual: ActualState): Promise<void> {
    let issues = checkInterfaces(desired, actual.interfaces.keys());
    if (issues.length > 0) {
      actual.interfaces = await this.readInterfaces();
      issues = checkInterfaces(desired, actual.interfaces.keys());
    }
    if (issues.length > 0) throw new HostMismatchError(issues);
  }

  /** Plans without changing anything (and without touching the cache). */
  async plan(desired: ResolvedState): Promise<{ ops: Op[]; actual: ActualState }> {
    let actual: ActualState;
    if (this.cache) {
      // the copy gets what the cache has read; what it reads itself stays with the copy
      actual = cloneActual(this.cache);
      const had = this.coverage.get(this.cache);
      if (had) this.coverage.set(actual, { ...had });
      await this.cover(actual, desired);
    } else actual = await this.readActual(desired);
    await this.checkHost(desired, actual);
    return { ops: plan(desired, actual), actual };
  }

  /**
   * One reconcile: plan against the cached state (or a fresh read), apply,
   * read back what was touched, verify, record ownership and the desired
   * state. `fresh` forces a new read ("full" detail for drift checks).
   */
  async reconcile(desired: ResolvedState, document: unknown, options: { fresh?: "basic" | "full"; documentText?: string } = {}): Promise<ReconcileOutcome> {
    let actual: ActualState;
    // the cache matches cacheDesired: only services that changed since can need IPVS ops (the rest of the plan is always complete)
    let scope: Set<string> | undefined;
    if (this.cache && !options.fresh) {
      // the cache holds the ledger as last committed by this process (one agent per state directory).
      // It is used in place, not copied (a copy of its maps is O(services) per change): it is
      // dropped below before anything can change, and set again only to the state reached
      actual = this.cache;
      if (this.cacheDesired) scope = changedServices(this.cacheDesired, desired);
      await this.cover(actual, desired);
    } else {
      actual = await this.readActual(desired, options.fresh ?? "basic");
    }
    await this.checkHost(desired, actual);
    // from here on the kernel may change: the cache is set again only once the state reached is known
    this.cache = null;
    this.cacheDesired = null;
    const ops = plan(desired, actual, scope);
    // the desired state is stored before the kernel changes: after a crash mid-apply, a restart finishes this one
    this.saveDesired(document, options.documentText);
    if (ops.length === 0) {
      this.cache = actual;
      this.cacheDesired = desired;
      return { generation: desired.generation, ops, results: [], converged: true, remaining: [], actual };
    }

    this.writeIntent(actual.ledger, ops);
    const { results, listed } = await this.execute(ops, desired, actual);
    const after = await this.readBack(ops, desired, actual, listed);
    after.ledger = this.commitLedger(actual.ledger, results, desired, after);
    this.saveLedger(after.ledger);

    // untouched services matched before and were not changed: only the touched ones need re-planning
    const touched = new Set(ops.flatMap((op) => (isIpvsOp(op) || op.kind === "ipvs-conflict" ? [op.service] : [])));
    const remaining = plan(desired, after, touched);
    const stillNeeded = new Set(remaining.map(opTarget));
    for (const result of results) {
      if (result.ok && stillNeeded.has(opTarget(result.op))) {
        result.ok = false;
        result.error = "applied, but the kernel read back differs from the desired state";
      }
    }
    const allOk = results.every((r) => r.ok);
    this.cache = allOk && remaining.length === 0 ? after : null;
    this.cacheDesired = this.cache ? desired : null;
    return { generation: desired.generation, ops, results, converged: remaining.length === 0, remaining, actual: after };
  }

  /** Records ownership BEFORE changing anything, so a crash mid-apply never leaves the agent's objects unowned. */
  private writeIntent(ledger: Ledger, ops: Op[]): void {
    const present = new Map<string[], Set<string>>();
    const add = (list: string[], item: string) => {
      let set = present.get(list);
      if (!set) present.set(list, (set = new Set(list)));
      if (!set.has(item)) {
        set.add(item);
        list.push(item);
      }
    };
    for (const op of ops) {
      if (op.kind === "ipvs-add-service") add(ledger.services, op.service);
      else if (op.kind === "address-add") add(ledger.addresses, op.address.key);
      else if (op.kind === "link-up") add(ledger.links, op.link.name);
      else if (op.kind === "sysctl-set" && !(op.key in ledger.sysctls) && op.original !== null) ledger.sysctls[op.key] = op.original;
      else if (op.kind === "ipvs-set-timeouts" && !ledger.timeouts && op.original) ledger.timeouts = op.original;
    }
    this.saveLedger(ledger);
  }

  private saveLedger(ledger: Ledger): void {
    if (this.writtenLedger && sameLedger(ledger, this.writtenLedger)) return;
    this.store.writeLedger(ledger);
    this.writtenLedger = cloneLedger(ledger);
  }

  /**
   * `text` (the document as received) spares a JSON.stringify of a large
   * document; a document a DesiredStateValidator accepted has its text in
   * parts, and a store that can writes only what changed (StateStore's journal).
   */
  private saveDesired(document: unknown, text?: string): void {
    const parts = text === undefined ? documentPartsOf(document) : undefined;
    if (parts && this.store.writeDesiredParts) {
      if (this.written.parts && sameParts(parts, this.written.parts)) return;
      this.store.writeDesiredParts(document, parts);
      this.written = { desired: "", parts };
      return;
    }
    text ??= parts ? documentTextOf(parts) : JSON.stringify(document);
    if (text === this.written.desired) return;
    this.store.writeDesired(document, text);
    this.written = { desired: text, parts: null };
  }

  /** Runs the ops; `listed` is the touched services as listed with the IPVS batch, when it went through whole (see executeIpvs). */
  private async execute(ops: Op[], desired: ResolvedState, actual: ActualState): Promise<{ results: OpResult[]; listed: Listed | null }> {
    const results = new Map<Op, OpResult>();
    const ipvsOps = ops.filter(isIpvsOp);
    let ipvsDone = false;
    let listed: Listed | null = null;
    for (const op of ops) {
      if (isIpvsOp(op)) {
        if (!ipvsDone) {
          ipvsDone = true;
          const ipvs = await this.executeIpvs(ipvsOps, desired, actual);
          listed = ipvs.listed;
          for (const r of ipvs.results) results.set(r.op, r);
        }
        continue;
      }
      results.set(op, await this.executeOne(op, actual));
    }
    return { results: ops.map((op) => results.get(op)!), listed };
  }

  private async executeOne(op: Exclude<Op, IpvsOp>, actual: ActualState): Promise<OpResult> {
    const k = this.kernel;
    try {
      switch (op.kind) {
        case "ipvs-conflict":
        case "nft-conflict":
          return { op, ok: false, error: op.summary };
        case "ipvs-set-timeouts":
        case "ipvs-restore-timeouts":
          if (!actual.ipvs.available) return { op, ok: false, error: actual.ipvs.reason ?? "IPVS is not available" };
          await k.ipvs.setTimeouts(op.timeouts);
          break;
        case "link-up":
          await k.net.linkUp(op.link, op.load);
          break;
        case "link-down":
          await k.net.linkDown(op.name);
          break;
        case "address-add":
          await k.net.addAddress(op.address);
          break;
        case "address-delete":
          await k.net.deleteAddress(op.address);
          break;
        case "sysctl-set":
        case "sysctl-restore":
          await k.sysctl.write(op.key, op.value);
          break;
        case "nft-replace":
          await k.nft.apply(op.script);
          break;
        case "nft-delete":
          await k.nft.deleteTable();
          break;
      }
      return { op, ok: true };
    } catch (error) {
      return { op, ok: false, error: (error as Error).message };
    }
  }

  /**
   * All IPVS ops in one `ipvsadm -R` batch; a small one comes back with the
   * touched services listed (`listed`, only when the batch went through whole).
   * On failure see recoverFailedBatch.
   */
  private async executeIpvs(ops: IpvsOp[], desired: ResolvedState, actual: ActualState): Promise<{ results: OpResult[]; listed: Listed | null }> {
    if (ops.length === 0) return { results: [], listed: null };
    if (!actual.ipvs.available) return { results: ops.map((op) => ({ op, ok: false, error: `${actual.ipvs.reason ?? "IPVS is not available"}; nothing applied` })), listed: null };
    const lines = ops.map((op) => op.line);
    // a small change and its read-back go down together where the kernel can (one ipvsadm session round trip)
    const touched = touchedServices(ops, desired, actual);
    let batch: RestoreResult;
    let listed: Listed | null = null;
    if (touched.length <= TARGETED_READ_LIMIT && this.kernel.ipvs.restoreAndList) {
      const both = await this.kernel.ipvs.restoreAndList(lines, touched, needsThresholds(touched, desired, actual));
      batch = both.restore;
      listed = both.listed;
    } else batch = await this.kernel.ipvs.restore(lines);
    if (batch.ok) return { results: ops.map((op) => ({ op, ok: true })), listed };

    return { results: await this.recoverFailedBatch(ops, batch, touched, desired, actual), listed: null };
  }

  /**
   * A batch that failed: the touched services are read back and re-planned; ops whose
   * target the kernel already matches count as done. The others fail with their own
   * line's error when the batch says which (the session); otherwise each is run on its
   * own to get its own result.
   */
  private async recoverFailedBatch(ops: IpvsOp[], batch: RestoreResult, touched: ServiceHandle[], desired: ResolvedState, actual: ActualState): Promise<OpResult[]> {
    const probe = cloneActual(actual);
    await this.readServicesInto(probe, touched, desired, null);
    const stillNeeded = new Set(planIpvs(desired.ipvs.services, probe, new Set(ops.map((op) => op.service))).map(opTarget));
    // the batch said which lines failed: a failed op whose target the kernel already matches is fine, the others failed
    const lineErrors = batch.lineErrors;
    if (lineErrors) {
      return ops.map((op, i) => {
        const error = lineErrors[i];
        return error === null || !stillNeeded.has(opTarget(op)) ? { op, ok: true } : { op, ok: false, error: `ipvsadm ${op.line}: ${error}` };
      });
    }
    const results: OpResult[] = [];
    // a kernel that rejects everything the same way would cost one process per op: after
    // SAME_ERROR_LIMIT identical failures in a row, the remaining needed ops share that error
    let streak = { message: "", count: 0 };
    for (const op of ops) {
      if (!stillNeeded.has(opTarget(op))) {
        results.push({ op, ok: true });
        continue;
      }
      if (streak.count >= SAME_ERROR_LIMIT) {
        results.push({ op, ok: false, error: `${streak.message} (not retried on its own: the ${SAME_ERROR_LIMIT} ops before it failed the same way)` });
        continue;
      }
      try {
        await this.kernel.ipvs.run(op.line);
        results.push({ op, ok: true });
        streak = { message: "", count: 0 };
      } catch (error) {
        const message = (error as Error).message.replace(/^ipvsadm .*?: /, "");
        results.push({ op, ok: false, error: (error as Error).message });
        streak = message === streak.message ? { message, count: streak.count + 1 } : { message, count: 1 };
      }
    }
    return results;
  }

  /** Replaces the given services in `actual` with what the kernel has now (targeted listings, or one table read). */
  private async readServicesInto(actual: ActualState, services: ServiceHandle[], desired: ResolvedState, listed: Listed | null): Promise<void> {
    if (services.length === 0) return;
    const wanted = servicesFor(desired.ipvs.services, new Set(services.map((h) => h.key)));
    if (services.length <= TARGETED_READ_LIMIT) {
      const read = listed && services.every((h) => listed.has(h.key)) ? listed : await this.kernel.ipvs.readServices(services, needsThresholds(services, desired, actual));
      for (const [key, service] of read) {
        if (service) actual.ipvs.services.set(key, trustHiddenFields(service, wanted.get(key)));
        else actual.ipvs.services.delete(key);
      }
      return;
    }
    const touched = new Set(services.map((s) => s.key));
    let table = await this.kernel.ipvs.read("basic");
    // the cheap read can only under-report: when a touched service looks missing or different, read in full
    const seen = new Map(table.map((s) => [s.key, s]));
    // what the cheap read shows, completed from the desired service (kept for the table below when nothing is suspicious)
    const trusted = new Map<string, ActualService>();
    const suspicious = services.some((h) => {
      const want = wanted.get(h.key);
      const got = seen.get(h.key);
      if (!want) return got !== undefined;
      if (!got) return true;
      const completed = trustHiddenFields(got, want);
      trusted.set(h.key, completed);
      return completed === got;
    });
    if (suspicious) {
      table = await this.kernel.ipvs.read("full");
      trusted.clear();
    }
    const next = new Map<string, ActualService>();
    for (const service of table) {
      const cached = actual.ipvs.services.get(service.key);
      next.set(service.key, touched.has(service.key) || !cached ? (trusted.get(service.key) ?? trustHiddenFields(service, wanted.get(service.key))) : cached);
    }
    actual.ipvs.services = next;
  }

  /** Updates `after` (the reconcile's own copy of the state before the apply) with what the kernel shows now for what `ops` touched. */
  private async readBack(ops: Op[], desired: ResolvedState, after: ActualState, listed: Listed | null): Promise<ActualState> {
    const ipvsOps = ops.filter(isIpvsOp);
    if (ipvsOps.length > 0 && after.ipvs.available) await this.readServicesInto(after, touchedServices(ipvsOps, desired, after), desired, listed);
    if (ops.some((op) => op.kind === "address-add" || op.kind === "address-delete" || op.kind === "link-up" || op.kind === "link-down")) {
      after.interfaces = await this.readInterfaces();
    }
    for (const op of ops) {
      if (op.kind === "sysctl-set" || op.kind === "sysctl-restore") after.sysctls[op.key] = await this.kernel.sysctl.read(op.key);
    }
    if (ops.some((op) => op.kind === "ipvs-set-timeouts" || op.kind === "ipvs-restore-timeouts") && after.ipvs.available) {
      after.timeouts = await this.kernel.ipvs.readTimeouts();
    }
    if (ops.some((op) => op.kind === "nft-replace" || op.kind === "nft-delete")) after.nft = await this.kernel.nft.read();
    return after;
  }

  private commitLedger(intent: Ledger, results: OpResult[], desired: ResolvedState, after: ActualState): Ledger {
    const ledger = cloneLedger(intent);
    const ok = (kind: Op["kind"]) => results.filter((r) => r.ok && r.op.kind === kind).map((r) => r.op);
    const deletedServices = new Set(ok("ipvs-delete-service").map((op) => (op as { service: string }).service));
    // forget a service when its delete succeeded, or when a service it tried to add is not there after all
    const addedButAbsent = new Set(
      results.filter((r) => r.op.kind === "ipvs-add-service" && (!after.ipvs.available || !after.ipvs.services.has((r.op as { service: string }).service))).map((r) => (r.op as { service: string }).service),
    );
    ledger.services = ledger.services.filter((k) => !deletedServices.has(k) && !addedButAbsent.has(k));
    const present = (key: string) => {
      const [iface, cidr] = key.split(" ");
      return after.interfaces.get(iface)?.addresses.some((a) => `${a.address}/${a.prefix}` === cidr) ?? false;
    };
    ledger.addresses = ledger.addresses.filter(present);
    const downed = new Set(ok("link-down").map((op) => (op as { name: string }).name));
    ledger.links = ledger.links.filter((name) => !downed.has(name) && after.interfaces.get(name)?.up);
    for (const op of ok("sysctl-restore")) delete ledger.sysctls[(op as { key: string }).key];
    for (const [key, original] of Object.entries(ledger.sysctls)) {
      if (!(key in desired.sysctls) && after.sysctls[key] === original) delete ledger.sysctls[key];
    }
    if (ok("ipvs-restore-timeouts").length > 0) ledger.timeouts = null;
    for (const op of ok("nft-replace")) {
      if (op.kind === "nft-replace" && after.nft.listingHash) ledger.nft = { specHash: op.specHash, listingHash: after.nft.listingHash };
    }
    if (ok("nft-delete").length > 0) ledger.nft = null;
    return ledger;
  }
}

/** Services as listed by the kernel (null: not there), by key. */
type Listed = ReadonlyMap<string, ActualService | null>;

interface Coverage {
  timeouts: boolean;
  nft: boolean;
  interfaces: boolean;
}

/** Whether planning needs the host's interfaces: something desired or owned names one (no desired state: a view of everything). */
function needsInterfaces(desired: ResolvedState | null, ledger: Ledger): boolean {
  if (!desired || ledger.addresses.length > 0 || ledger.links.length > 0) return true;
  return desired.addresses.length > 0 || desired.links.length > 0 || Object.keys(desired.sysctls).some((key) => sysctlInterface(key) !== null);
}

function sameParts(a: DocumentParts, b: DocumentParts): boolean {
  if (a.head !== b.head || a.tail !== b.tail || a.services.length !== b.services.length) return false;
  for (let i = 0; i < a.services.length; i++) if (a.services[i] !== b.services[i]) return false;
  return true;
}

/** Whether listing these services must show thresholds (the desired or the current state has some). */
function needsThresholds(services: readonly ServiceHandle[], desired: ResolvedState, actual: ActualState): boolean {
  const wanted = servicesFor(desired.ipvs.services, new Set(services.map((h) => h.key)));
  return services.some((h) => {
    const want = wanted.get(h.key);
    const had = actual.ipvs.services.get(h.key);
    return [...(want?.destinations ?? []), ...(had?.destinations ?? [])].some((d) => d.upperThreshold > 0 || d.lowerThreshold > 0);
  });
}

function touchedServices(ops: IpvsOp[], desired: ResolvedState, actual: ActualState): ServiceHandle[] {
  const wanted = servicesFor(desired.ipvs.services, new Set(ops.map((op) => op.service)));
  const handles = new Map<string, ServiceHandle>();
  for (const op of ops) {
    if (handles.has(op.service)) continue;
    const service = wanted.get(op.service) ?? actual.ipvs.services.get(op.service);
    if (service) handles.set(op.service, handleOf(service));
  }
  return [...handles.values()];
}
