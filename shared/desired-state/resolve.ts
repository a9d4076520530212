/**
 * Cross-field validation and normalisation of a desired state into the
 * canonical, fully expanded form the agent plans against (ResolvedState):
 * canonical address text, defaults filled in, real-server setup expanded into
 * addresses, links and sysctls, keys computed. Pure; shared with the panel so
 * it can show exactly what a host will get.
 */
import { formatEndpoint, ipFamily, netmaskToPrefix, normalizeIp, parseCidr, prefixToNetmask, type IpFamily } from "../net";
import { parseCommonService } from "./fast-service";
import { DesiredStateSchema, type DesiredState, type ForwardingMethod, type IpvsTimeouts, type VirtualService } from "./schema";

export type IpvsProtocol = "tcp" | "udp" | "fwmark";

/** An IPVS virtual service in canonical form: the same shape for desired and actual state. */
export interface IpvsService {
  /** "tcp 192.0.2.10:80", "udp [2001:db8::10]:53", "fwmark 1 ipv4" */
  key: string;
  protocol: IpvsProtocol;
  family: IpFamily;
  /** null for fwmark services */
  address: string | null;
  /** 0 for fwmark services */
  port: number;
  /** 0 unless protocol is fwmark */
  fwmark: number;
  scheduler: string;
  /** canonical flag names (as `ipvsadm -Sn` prints them), in bit order */
  flags: string[];
  /** netmask: dotted for IPv4, prefix length for IPv6 (as ipvsadm -M takes it) */
  persistence: { timeout: number; netmask: string } | null;
  pe: string | null;
  destinations: IpvsDestination[];
}

export interface IpvsDestination {
  /** "10.0.0.11:80" / "[2001:db8::11]:80" */
  key: string;
  address: string;
  port: number;
  forwarding: ForwardingMethod;
  weight: number;
  upperThreshold: number;
  lowerThreshold: number;
}

export interface ResolvedAddress {
  /** "eth0 192.0.2.10/32" */
  key: string;
  interface: string;
  address: string;
  prefix: number;
  family: IpFamily;
  /** IPv4 label marking the address as the agent's ("eth0:lvs"), null for IPv6 or when the name would exceed 15 characters */
  label: string | null;
}

/** A tunnel device the agent brings up (the fallback device a module creates). */
export interface ResolvedLink {
  name: "tunl0" | "ip6tnl0";
  module: "ipip" | "ip6_tunnel";
}

export interface ResolvedFwmarkRule {
  mark: number;
  family: IpFamily;
  protocol: "tcp" | "udp";
  destination: string;
  ports: number[];
}

export interface ResolvedState {
  generation: number;
  ipvs: { services: IpvsService[]; timeouts: IpvsTimeouts | null };
  addresses: ResolvedAddress[];
  links: ResolvedLink[];
  /** key → value text */
  sysctls: Record<string, string>;
  fwmarks: ResolvedFwmarkRule[];
}

export interface DesiredStateIssue {
  /** "ipvs.services[2].destinations[0].port" */
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; state: DesiredState; resolved: ResolvedState }
  | { ok: false; issues: DesiredStateIssue[] };

export const AGENT_LABEL_SUFFIX = ":lvs";

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else if (typeof part === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) text += text ? `.${part}` : part;
    else text += `[${JSON.stringify(String(part))}]`;
  }
  return text || "(document)";
}

export function formatIssues(issues: DesiredStateIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("\n");
}

export function serviceKey(s: Pick<IpvsService, "protocol" | "address" | "port" | "fwmark" | "family">): string {
  if (s.protocol === "fwmark") return `fwmark ${s.fwmark} ${s.family === 6 ? "ipv6" : "ipv4"}`;
  return `${s.protocol} ${formatEndpoint(s.address!, s.port)}`;
}

export function addressKey(iface: string, address: string, prefix: number): string {
  return `${iface} ${address}/${prefix}`;
}

export function addressLabel(iface: string, family: IpFamily): string | null {
  if (family !== 4) return null;
  const label = iface + AGENT_LABEL_SUFFIX;
  return label.length <= 15 ? label : null;
}

/** Canonical scheduler flag names for a scheduler, by bit (1..3). */
export function flagName(scheduler: string, bit: 1 | 2 | 3): string {
  if (bit === 3) return "flag-3";
  if (scheduler === "sh") return bit === 1 ? "sh-fallback" : "sh-port";
  if (scheduler === "mh") return bit === 1 ? "mh-fallback" : "mh-port";
  return `flag-${bit}`;
}

/** Bit of a flag name, or null when the name is unknown or belongs to another scheduler. */
export function flagBit(scheduler: string, name: string): 1 | 2 | 3 | null {
  switch (name) {
    case "flag-1":
      return 1;
    case "flag-2":
      return 2;
    case "flag-3":
      // ipvsadm lists only the named flags of sh and mh, so flag-3 could not be verified there
      return scheduler === "sh" || scheduler === "mh" ? null : 3;
    case "sh-fallback":
      return scheduler === "sh" ? 1 : null;
    case "sh-port":
      return scheduler === "sh" ? 2 : null;
    case "mh-fallback":
      return scheduler === "mh" ? 1 : null;
    case "mh-port":
      return scheduler === "mh" ? 2 : null;
    default:
      return null;
  }
}

/** Canonical flag list for a scheduler from any accepted spelling; null entries are invalid. */
export function canonicalFlags(scheduler: string, names: readonly string[]): string[] {
  const bits = new Set<1 | 2 | 3>();
  for (const name of names) {
    const bit = flagBit(scheduler, name);
    if (bit) bits.add(bit);
  }
  return ([1, 2, 3] as const).filter((b) => bits.has(b)).map((b) => flagName(scheduler, b));
}

/** Sysctl key → /proc/sys path segment ("net.ipv4.conf.eth0/100.rp_filter" → "net/ipv4/conf/eth0.100/rp_filter"). */
export function sysctlPath(key: string): string {
  return key
    .split(".")
    .map((segment) => segment.replace(/\//g, "."))
    .join("/");
}

/** The interface a per-interface sysctl key refers to ("net.ipv4.conf.eth0.rp_filter" → "eth0"), null for all/default and global keys. */
export function sysctlInterface(key: string): string | null {
  const match = /^net\.ipv[46]\.(?:conf|neigh)\.([^.]+)\./.exec(key);
  if (!match) return null;
  const name = match[1].replace(/\//g, ".");
  return name === "all" || name === "default" ? null : name;
}

/** Parses, checks and resolves a desired state document. All issues are reported at once; nothing is partially accepted. */
type SchemaIssue = { path: PropertyKey[]; code: string; message: string; issues?: Array<{ message: string }> };

/**
 * `DesiredStateSchema.safeParse(input)` with the common service entries taken
 * by the fast path (fast-service.ts, held to zod's output by its tests): zod
 * sees the document with only the other entries, and its issue paths are
 * mapped back to the entries' own indexes. Same result, same issues.
 */
function parseWithSchema(input: unknown): { success: true; data: DesiredState } | { success: false; issues: SchemaIssue[] } {
  const ipvs = (input as { ipvs?: unknown } | null)?.ipvs;
  const entries = (ipvs as { services?: unknown } | null | undefined)?.services;
  if (typeof input !== "object" || input === null || typeof ipvs !== "object" || ipvs === null || !Array.isArray(entries)) {
    const parsed = DesiredStateSchema.safeParse(input);
    return parsed.success ? { success: true, data: parsed.data } : { success: false, issues: parsed.error.issues as SchemaIssue[] };
  }
  const fast = entries.map((entry, i) => (i in entries ? parseCommonService(entry) : null));
  const rest: number[] = [];
  for (let i = 0; i < fast.length; i++) if (fast[i] === null) rest.push(i);
  const parsed = DesiredStateSchema.safeParse({ ...input, ipvs: { ...ipvs, services: rest.map((i) => entries[i]) } });
  if (!parsed.success) {
    const issues = (parsed.error.issues as SchemaIssue[]).map((issue) => {
      const path = [...issue.path];
      if (path[0] === "ipvs" && path[1] === "services" && typeof path[2] === "number") path[2] = rest[path[2]];
      return { ...issue, path };
    });
    return { success: false, issues };
  }
  let next = 0;
  const services = fast.map((service) => service ?? parsed.data.ipvs.services[next++]);
  return { success: true, data: { ...parsed.data, ipvs: { ...parsed.data.ipvs, services } } };
}

function issueOf(i: SchemaIssue): DesiredStateIssue {
  // a record key's own message is nested (zod reports "Invalid key in record")
  return { path: formatPath(i.path), message: i.code === "invalid_key" && i.issues?.[0] ? i.issues[0].message : i.message };
}

export function validateDesiredState(input: unknown): ValidationResult {
  const parsed = parseWithSchema(input);
  if (!parsed.success) return { ok: false, issues: parsed.issues.map(issueOf) };
  const issues: DesiredStateIssue[] = [];
  const resolved = resolve(parsed.data, issues);
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, state: parsed.data, resolved };
}

/** JSON-value equality of two plain values (key order aside); anything unusual (undefined values, class instances) counts as different. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    keys++;
    const value = x[key];
    if (value === undefined || !Object.hasOwn(y, key) || !sameJson(value, y[key])) return false;
  }
  for (const _ in y) keys--;
  return keys === 0;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

interface ValidatedService {
  /** a private copy of the entry as it was validated (the caller's object may change later) */
  snapshot: unknown;
  /** JSON.stringify(snapshot) */
  text: string;
  parsed: VirtualService;
  resolved: IpvsService;
  /** the validation that last used it (DesiredStateValidator's duplicate check) */
  stamp: number;
}

export type IncrementalValidationResult = (ValidationResult & { ok: false }) | (ValidationResult & { ok: true; parts: DocumentParts; reused: number });

/** Fewer entries than this that differ from the same position are simply validated again; more, and they are looked up by text (entries moved). */
const MOVED_LOOKUP_THRESHOLD = 16;

/**
 * A desired state's `ipvs.services` given relative to the previous document
 * (a delta push): each element is either a new entry or a run `[from, count]`
 * that copies `count` entries of the previous document's services starting at
 * index `from`.
 */
export type ServicesDelta = ReadonlyArray<readonly [number, number] | unknown>;

export function isServicesRun(item: unknown): item is readonly [number, number] {
  return Array.isArray(item) && item.length === 2 && Number.isSafeInteger(item[0]) && Number.isSafeInteger(item[1]);
}

/**
 * Validation for a stream of documents that mostly repeat the previous one
 * (the agent's daemon: every push carries the whole state of the host). A
 * service entry equal (as JSON, same key order) to an entry of the last
 * accepted document is not parsed and resolved again: its earlier result is
 * reused (per-service validation depends on the entry alone). Everything else
 * — the other sections, cross-service checks such as duplicates — runs as in
 * validateDesiredState, so the result and the issues are the same. Reused
 * `resolved` services are the same (frozen) objects as before, so a consumer
 * can find what changed by identity. Also returns the document's JSON text in
 * parts (DocumentParts, also found later with documentPartsOf(document)).
 * validateDelta takes a document whose services are given relative to the
 * last accepted one (a delta push) and validates only the new entries.
 */
export class DesiredStateValidator {
  private previous: ValidatedService[] = [];
  private byText: Map<string, ValidatedService> | null = null;
  /** the generation of the last accepted document (null before any) */
  private previousGeneration: number | null = null;
  /** the last accepted document's services by key (kept up to date with what changed, not rebuilt) */
  private keys = new Map<string, ValidatedService>();
  private stamps = 0;

  /** Generation and service count of the last accepted document: what a delta is relative to. */
  get base(): { generation: number; services: number } | null {
    return this.previousGeneration === null ? null : { generation: this.previousGeneration, services: this.previous.length };
  }

  validate(input: unknown): IncrementalValidationResult {
    const ipvs = isPlainObject(input) && isPlainObject(input.ipvs) ? input.ipvs : null;
    const entries = ipvs && Array.isArray(ipvs.services) ? (ipvs.services as unknown[]) : null;
    if (!entries) {
      const full = validateDesiredState(input);
      // a valid document always has ipvs.services
      if (full.ok) throw new Error("unreachable: a valid desired state without ipvs.services");
      return full;
    }
    const reused: Array<ValidatedService | null> = new Array(entries.length).fill(null);
    const mismatched: number[] = [];
    for (let i = 0; i < entries.length; i++) {
      const same = this.previous[i];
      if (same && sameJson(entries[i], same.snapshot)) reused[i] = same;
      else mismatched.push(i);
    }
    let changed = mismatched;
    if (mismatched.length > MOVED_LOOKUP_THRESHOLD && this.previous.length > 0) {
      // many entries moved (one inserted or removed before them): find them by their text
      changed = [];
      for (const i of mismatched) {
        const text = safeStringify(entries[i]);
        const match = text === null ? undefined : this.textIndex().get(text);
        if (match && sameJson(entries[i], match.snapshot)) reused[i] = match;
        else changed.push(i);
      }
    }
    return this.finish(input as Record<string, unknown>, ipvs!, entries, reused, changed);
  }

  /**
   * Validates a document given as `shell` (the whole document except
   * `ipvs.services`) and `services` relative to the last accepted document
   * (see ServicesDelta). Only the new entries are parsed and resolved; copied
   * entries reuse their earlier result. All or nothing, like validate(): the
   * result and issue paths are those of validateDesiredState on the
   * assembled document, which comes back as `document`. A delta needs the
   * previous document to be generation `base.generation` with
   * `base.services` services; otherwise `baseMismatch` is set and nothing
   * was validated (the sender should send the whole document).
   */
  validateDelta(
    shell: unknown,
    services: ServicesDelta,
    base: { generation: number; services: number },
  ): (IncrementalValidationResult & { ok: true; document: Record<string, unknown> }) | { ok: false; issues: DesiredStateIssue[]; baseMismatch?: true } {
    const mine = this.base;
    if (!mine || mine.generation !== base.generation || mine.services !== base.services) {
      const have = mine ? `generation ${mine.generation} with ${mine.services} services` : "no desired state";
      return {
        ok: false,
        baseMismatch: true,
        issues: [{ path: "(delta)", message: `the delta is relative to generation ${base.generation} with ${base.services} services, but the agent holds ${have}` }],
      };
    }
    if (!isPlainObject(shell)) return { ok: false, issues: [{ path: "(document)", message: "expected an object" }] };
    if (shell.ipvs !== undefined && !isPlainObject(shell.ipvs)) return { ok: false, issues: [{ path: "ipvs", message: "expected an object" }] };
    if (isPlainObject(shell.ipvs) && "services" in shell.ipvs) {
      return { ok: false, issues: [{ path: "ipvs.services", message: "a delta carries the services separately; the document shell must not have them" }] };
    }
    const entries: unknown[] = [];
    const reused: Array<ValidatedService | null> = [];
    const changed: number[] = [];
    for (let i = 0; i < services.length; i++) {
      const item = services[i];
      if (Array.isArray(item)) {
        if (!isServicesRun(item) || item[0] < 0 || item[1] < 1 || item[0] + item[1] > this.previous.length) {
          return { ok: false, issues: [{ path: `(delta).services[${i}]`, message: `${safeStringify(item)} is not a run [from, count] within the ${this.previous.length} services of generation ${base.generation}` }] };
        }
        for (let j = item[0]; j < item[0] + item[1]; j++) {
          entries.push(this.previous[j].snapshot);
          reused.push(this.previous[j]);
        }
      } else {
        changed.push(entries.length);
        entries.push(item);
        reused.push(null);
      }
    }
    const ipvs = { ...((shell.ipvs as Record<string, unknown> | undefined) ?? {}), services: entries };
    const document = { ...shell, ipvs };
    const result = this.finish(document, ipvs, entries, reused, changed);
    return result.ok ? { ...result, document } : result;
  }

  private finish(
    input: Record<string, unknown>,
    ipvs: Record<string, unknown>,
    entries: readonly unknown[],
    reused: ReadonlyArray<ValidatedService | null>,
    changed: number[],
  ): IncrementalValidationResult {
    const partial = { ...input, ipvs: { ...ipvs, services: changed.map((i) => entries[i]) } };
    const parsed = parseWithSchema(partial);
    if (!parsed.success) {
      return {
        ok: false,
        issues: parsed.issues.map((issue) => {
          const path = [...issue.path];
          if (path[0] === "ipvs" && path[1] === "services" && typeof path[2] === "number") path[2] = changed[path[2]];
          return issueOf({ ...issue, path });
        }),
      };
    }
    const fresh = parsed.data.ipvs.services;
    const services: VirtualService[] = new Array(entries.length);
    const known: Array<IpvsService | null> = new Array(entries.length).fill(null);
    let next = 0;
    for (let i = 0; i < entries.length; i++) {
      const again = reused[i];
      if (again) {
        services[i] = again.parsed;
        known[i] = again.resolved;
      } else services[i] = fresh[next++];
    }
    const state: DesiredState = { ...parsed.data, ipvs: { ...parsed.data.ipvs, services } };
    const issues: DesiredStateIssue[] = [];
    // the new entries first; when they resolve cleanly and no key repeats, the cross-service
    // duplicate check costs O(changed) instead of a map of every key (see distinctKeys)
    const stamp = ++this.stamps;
    let unique = true;
    for (const i of changed) {
      const service = resolveService(services[i], `ipvs.services[${i}]`, () => (unique = false));
      if (service) known[i] = service;
    }
    unique = unique && this.distinctKeys(reused, changed, known, stamp);
    const resolved = resolve(state, issues, known, unique);
    if (issues.length > 0) return { ok: false, issues };

    const validated: ValidatedService[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const again = reused[i];
      if (again) validated[i] = again;
      else {
        // with no issues, resolved.ipvs.services has exactly one service per entry, in order
        const snapshot = structuredClone(entries[i]);
        validated[i] = { snapshot, text: JSON.stringify(snapshot), parsed: deepFreeze(services[i]), resolved: deepFreeze(resolved.ipvs.services[i]), stamp };
      }
    }
    // the key index follows: entries of the previous document not used now are gone, the new ones come in
    for (const entry of this.previous) if (entry.stamp !== stamp && this.keys.get(entry.resolved.key) === entry) this.keys.delete(entry.resolved.key);
    for (const i of changed) this.keys.set(validated[i].resolved.key, validated[i]);
    this.previous = validated;
    this.previousGeneration = state.generation;
    this.byText = null;
    const reusedCount = entries.length - changed.length;
    const parts = documentParts(input, ipvs, validated);
    partsOfDocument.set(input, parts);
    return { ok: true, state, resolved, parts, reused: reusedCount };
  }

  /**
   * No two services share a key: reused entries come from the last accepted
   * document, whose keys were distinct, so only an entry used twice or a new
   * key that repeats (among the new ones, or one of a reused entry) can clash.
   * Marks the reused entries with `stamp`. False also when in doubt (a new
   * entry that did not resolve): resolve() then checks every key itself.
   */
  private distinctKeys(reused: ReadonlyArray<ValidatedService | null>, changed: readonly number[], known: ReadonlyArray<IpvsService | null>, stamp: number): boolean {
    for (const entry of reused) {
      if (!entry) continue;
      if (entry.stamp === stamp) return false;
      entry.stamp = stamp;
    }
    const fresh = new Set<string>();
    for (const i of changed) {
      const key = known[i]?.key;
      if (key === undefined || fresh.has(key) || this.keys.get(key)?.stamp === stamp) return false;
      fresh.add(key);
    }
    return true;
  }

  private textIndex(): Map<string, ValidatedService> {
    if (!this.byText) this.byText = new Map(this.previous.map((v) => [v.text, v]));
    return this.byText;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function safeStringify(value: unknown): string | null {
  try {
    return JSON.stringify(value) ?? null;
  } catch {
    return null;
  }
}

/**
 * A validated document's JSON text in pieces: `head` + "[" + the entries'
 * texts joined by "," + "]" + `tail` is JSON.stringify of the document (the
 * keys of an unchanged entry keep the order they had when first seen). The
 * entries are the validator's own objects: the same object for an entry that
 * did not change, so a consumer (the agent's state file) can write only what
 * changed since it last wrote the whole text.
 */
export interface DocumentParts {
  head: string;
  tail: string;
  services: ReadonlyArray<{ readonly text: string }>;
}

export function documentTextOf(parts: DocumentParts): string {
  return `${parts.head}[${parts.services.map((s) => s.text).join(",")}]${parts.tail}`;
}

const partsOfDocument = new WeakMap<object, DocumentParts>();

/** The parts of a document a DesiredStateValidator accepted (the object it validated or assembled), if any. */
export function documentPartsOf(document: unknown): DocumentParts | undefined {
  return typeof document === "object" && document !== null ? partsOfDocument.get(document) : undefined;
}

function documentParts(document: Record<string, unknown>, ipvs: Record<string, unknown>, services: ValidatedService[]): DocumentParts {
  for (;;) {
    // a marker the document cannot contain elsewhere (retried in the unlikely case it does)
    const marker = JSON.stringify(`lvs-services-${Math.random().toString(36).slice(2)}`);
    const shell = JSON.stringify({ ...document, ipvs: { ...ipvs, services: JSON.parse(marker) } });
    const at = shell.indexOf(marker);
    if (at >= 0 && shell.indexOf(marker, at + 1) < 0) return { head: shell.slice(0, at), tail: shell.slice(at + marker.length), services };
  }
}

/** `unique`: every service is in `known` and their keys are known to be distinct (DesiredStateValidator). */
function resolve(state: DesiredState, issues: DesiredStateIssue[], known?: ReadonlyArray<IpvsService | null>, unique = false): ResolvedState {
  const problem = (path: string, message: string) => issues.push({ path, message });

  const services: IpvsService[] = [];
  const serviceIndex = new Map<string, number>();
  if (unique && known) for (const service of known) services.push(service!);
  else state.ipvs.services.forEach((service, i) => {
    const resolvedService = known?.[i] ?? resolveService(service, `ipvs.services[${i}]`, problem);
    if (!resolvedService) return;
    const previous = serviceIndex.get(resolvedService.key);
    if (previous !== undefined) {
      problem(`ipvs.services[${i}]`, `duplicate service ${resolvedService.key} (also ipvs.services[${previous}])`);
      return;
    }
    serviceIndex.set(resolvedService.key, i);
    services.push(resolvedService);
  });

  const addresses: ResolvedAddress[] = [];
  const addressIndex = new Map<string, string>();
  const addAddress = (iface: string, text: string, path: string) => {
    const cidr = parseCidr(text);
    if (!cidr) return problem(path, `${JSON.stringify(text)} is not an IP address`);
    if (cidr.prefix !== (cidr.family === 4 ? 32 : 128)) {
      return problem(path, `a VIP is a single address: use /${cidr.family === 4 ? 32 : 128}, not /${cidr.prefix}`);
    }
    const key = addressKey(iface, cidr.address, cidr.prefix);
    const previous = addressIndex.get(key);
    if (previous) return problem(path, `duplicate address ${key} (also ${previous})`);
    addressIndex.set(key, path);
    addresses.push({ key, interface: iface, address: cidr.address, prefix: cidr.prefix, family: cidr.family, label: addressLabel(iface, cidr.family) });
  };
  state.addresses.forEach((a, i) => addAddress(a.interface, a.address, `addresses[${i}].address`));

  const links: ResolvedLink[] = [];
  const derivedSysctls = new Map<string, string>();
  if (state.realServer) {
    const rs = state.realServer;
    let hasV4 = false;
    let hasV6 = false;
    rs.vips.forEach((vip, i) => {
      const family = ipFamily(vip);
      if (!family) return problem(`realServer.vips[${i}]`, `${JSON.stringify(vip)} is not an IP address`);
      if (family === 4) hasV4 = true;
      else hasV6 = true;
      const iface = rs.forwarding === "dr" ? "lo" : family === 4 ? "tunl0" : "ip6tnl0";
      addAddress(iface, vip, `realServer.vips[${i}]`);
    });
    if (hasV4) {
      for (const scope of ["lo", "all"]) {
        derivedSysctls.set(`net.ipv4.conf.${scope}.arp_ignore`, "1");
        derivedSysctls.set(`net.ipv4.conf.${scope}.arp_announce`, "2");
      }
    }
    if (rs.forwarding === "tun") {
      if (hasV4) {
        links.push({ name: "tunl0", module: "ipip" });
        derivedSysctls.set("net.ipv4.conf.tunl0.rp_filter", "0");
        derivedSysctls.set("net.ipv4.conf.all.rp_filter", "0");
      }
      if (hasV6) links.push({ name: "ip6tnl0", module: "ip6_tunnel" });
    }
  }

  const sysctls: Record<string, string> = {};
  for (const [key, value] of Object.entries(state.sysctls)) {
    const text = String(value);
    const derived = derivedSysctls.get(key);
    if (derived !== undefined && derived !== text) {
      problem(`sysctls[${JSON.stringify(key)}]`, `conflicts with realServer, which needs ${key}=${derived}`);
      continue;
    }
    sysctls[key] = text;
  }
  for (const [key, value] of derivedSysctls) sysctls[key] = value;

  const fwmarks: ResolvedFwmarkRule[] = [];
  state.fwmarks.forEach((rule, i) => {
    const path = `fwmarks[${i}]`;
    const cidr = parseCidr(rule.destination);
    if (!cidr) return problem(`${path}.destination`, `${JSON.stringify(rule.destination)} is not an address or CIDR`);
    const family = rule.family === "ipv6" ? 6 : 4;
    if (cidr.family !== family) return problem(`${path}.destination`, `${rule.destination} is not an ${rule.family} address`);
    const ports = [...(rule.ports ?? [])].sort((a, b) => a - b);
    const duplicatePort = ports.find((p, j) => j > 0 && ports[j - 1] === p);
    if (duplicatePort !== undefined) return problem(`${path}.ports`, `port ${duplicatePort} is listed twice`);
    fwmarks.push({ mark: rule.mark, family, protocol: rule.protocol, destination: `${cidr.address}/${cidr.prefix}`, ports });
  });

  return {
    generation: state.generation,
    ipvs: { services, timeouts: state.ipvs.timeouts ?? null },
    addresses,
    links,
    sysctls,
    fwmarks,
  };
}

function resolveService(
  service: VirtualService,
  path: string,
  problem: (path: string, message: string) => void,
): IpvsService | null {
  const before = { count: 0 };
  const report = (p: string, m: string) => {
    before.count++;
    problem(p, m);
  };
  let family: IpFamily;
  let address: string | null = null;
  let port = 0;
  let fwmark = 0;
  if (service.protocol === "fwmark") {
    family = service.family === "ipv6" ? 6 : 4;
    fwmark = service.fwmark;
  } else {
    const normalized = normalizeIp(service.address);
    if (!normalized) {
      report(`${path}.address`, `${JSON.stringify(service.address)} is not an IP address`);
      return null;
    }
    address = normalized;
    family = normalized.includes(":") ? 6 : 4;
    port = service.port;
    if (port === 0 && !service.persistence) {
      report(`${path}.port`, "port 0 (every port) is only allowed for persistent services: add persistence");
    }
  }

  for (const name of service.schedulerFlags) {
    if (!flagBit(service.scheduler, name)) {
      report(
        `${path}.schedulerFlags`,
        name === "flag-3"
          ? `flag-3 is not supported with the ${service.scheduler} scheduler (ipvsadm cannot list it, so it could not be verified)`
          : `flag ${name} belongs to the ${name.slice(0, 2)} scheduler, not ${service.scheduler}`,
      );
    }
  }
  if (new Set(service.schedulerFlags.map((n) => flagBit(service.scheduler, n))).size !== service.schedulerFlags.length) {
    report(`${path}.schedulerFlags`, "a flag is listed twice (flag-1 is the same bit as sh-fallback/mh-fallback, flag-2 as sh-port/mh-port)");
  }

  let persistence: IpvsService["persistence"] = null;
  if (service.persistence) {
    const { timeout, netmask } = service.persistence;
    let mask: string | null = null;
    if (family === 4) {
      if (netmask === undefined) mask = "255.255.255.255";
      else if (typeof netmask === "number") mask = netmask >= 1 && netmask <= 32 ? prefixToNetmask(netmask) : null;
      else mask = netmaskToPrefix(netmask) !== null && netmaskToPrefix(netmask)! >= 1 ? prefixToNetmask(netmaskToPrefix(netmask)!) : null;
      if (!mask) {
        report(`${path}.persistence.netmask`, `${JSON.stringify(netmask)} is not a valid IPv4 netmask: use a contiguous mask like "255.255.255.0" or a prefix length 1–32`);
      }
    } else {
      if (netmask === undefined) mask = "128";
      else if (typeof netmask === "number" && netmask >= 1 && netmask <= 128) mask = String(netmask);
      if (!mask) {
        report(`${path}.persistence.netmask`, `${JSON.stringify(netmask)} is not valid for an IPv6 service: use a prefix length 1–128`);
      }
    }
    persistence = { timeout, netmask: mask ?? "" };
  }
  if (service.persistenceEngine && !service.persistence) {
    report(`${path}.persistenceEngine`, "a persistence engine needs persistence: add persistence");
  }

  const destinations: IpvsDestination[] = [];
  const seen = new Map<string, number>();
  service.destinations.forEach((d, j) => {
    const dpath = `${path}.destinations[${j}]`;
    const normalized = normalizeIp(d.address);
    if (!normalized) return report(`${dpath}.address`, `${JSON.stringify(d.address)} is not an IP address`);
    const dfamily = normalized.includes(":") ? 6 : 4;
    if (dfamily !== family) {
      return report(`${dpath}.address`, `${normalized} is IPv${dfamily} but the service is IPv${family}`);
    }
    const dport = d.port ?? port;
    if (d.forwarding !== "nat") {
      if (service.protocol === "fwmark" && dport !== 0) {
        return report(`${dpath}.port`, `${d.forwarding.toUpperCase()} forwarding keeps the packet's port: a fwmark service's ${d.forwarding} destination takes no port`);
      }
      if (service.protocol !== "fwmark" && dport !== port) {
        return report(
          `${dpath}.port`,
          `${d.forwarding.toUpperCase()} forwarding cannot change the port (service port ${port}, destination port ${dport}): IPVS remaps ports only with NAT ("forwarding": "nat")`,
        );
      }
    }
    if (d.upperThreshold > 0 && d.lowerThreshold > d.upperThreshold) {
      return report(`${dpath}.lowerThreshold`, `lowerThreshold ${d.lowerThreshold} is above upperThreshold ${d.upperThreshold}`);
    }
    const key = formatEndpoint(normalized, dport);
    const previous = seen.get(key);
    if (previous !== undefined) return report(dpath, `duplicate destination ${key} (also ${path}.destinations[${previous}])`);
    seen.set(key, j);
    destinations.push({
      key,
      address: normalized,
      port: dport,
      forwarding: d.forwarding,
      weight: d.weight,
      upperThreshold: d.upperThreshold,
      lowerThreshold: d.lowerThreshold,
    });
  });
  checkHealth(service, family, port, destinations, path, report);
  if (before.count > 0) return null;

  const resolved: IpvsService = {
    key: "",
    protocol: service.protocol,
    family,
    address,
    port,
    fwmark,
    scheduler: service.scheduler,
    flags: canonicalFlags(service.scheduler, service.schedulerFlags),
    persistence,
    pe: service.persistenceEngine ?? null,
    destinations,
  };
  resolved.key = serviceKey(resolved);
  return resolved;
}

/** Health check, failure action and sorry server of one service (issue #6): what the schema alone cannot see. */
function checkHealth(
  service: VirtualService,
  family: IpFamily,
  port: number,
  destinations: IpvsDestination[],
  path: string,
  report: (path: string, message: string) => void,
): void {
  const check = service.healthCheck;
  if (check) {
    if (service.protocol === "fwmark" && check.type !== "exec" && check.port === undefined && destinations.some((d) => d.port === 0)) {
      report(`${path}.healthCheck.port`, "a fwmark service's destinations have no port: give the health check a port");
    }
    if ((check.type === "http" || check.type === "https") && check.expectBody && check.bodyIsRegex) {
      try {
        new RegExp(check.expectBody);
      } catch (error) {
        report(`${path}.healthCheck.expectBody`, `not a valid regular expression: ${(error as Error).message}`);
      }
    }
  }
  const sorry = service.sorryServer;
  if (!sorry) return;
  const spath = `${path}.sorryServer`;
  const normalized = normalizeIp(sorry.address);
  if (!normalized) return report(`${spath}.address`, `${JSON.stringify(sorry.address)} is not an IP address`);
  const sfamily = normalized.includes(":") ? 6 : 4;
  if (sfamily !== family) return report(`${spath}.address`, `${normalized} is IPv${sfamily} but the service is IPv${family}`);
  const sport = sorry.port ?? port;
  if (sorry.forwarding !== "nat" && sport !== port) {
    return report(`${spath}.port`, `${sorry.forwarding.toUpperCase()} forwarding cannot change the port (service port ${port}, sorry server port ${sport}): use "forwarding": "nat"`);
  }
  const key = formatEndpoint(normalized, sport);
  if (destinations.some((d) => d.key === key)) report(spath, `the sorry server ${key} is also a real server of the service`);
}

/**
 * Checks a resolved state against the interfaces the host actually has
 * (before any change): every address's interface and every per-interface
 * sysctl must exist, except the tunnel devices the agent itself brings up.
 */
export function checkInterfaces(resolved: ResolvedState, existing: Iterable<string>): DesiredStateIssue[] {
  const known = new Set(existing);
  for (const link of resolved.links) known.add(link.name);
  const issues: DesiredStateIssue[] = [];
  const reported = new Set<string>();
  const report = (name: string, path: string, what: string) => {
    if (known.has(name) || reported.has(path)) return;
    reported.add(path);
    issues.push({ path, message: `unknown interface ${JSON.stringify(name)} (${what}); this host has: ${[...new Set(existing)].sort().join(", ") || "none"}` });
  };
  for (const a of resolved.addresses) report(a.interface, `addresses[${JSON.stringify(a.key)}]`, `for ${a.address}`);
  for (const key of Object.keys(resolved.sysctls)) {
    const name = sysctlInterface(key);
    if (name) report(name, `sysctls[${JSON.stringify(key)}]`, `in ${key}`);
  }
  return issues;
}
