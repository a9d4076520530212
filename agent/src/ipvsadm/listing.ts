/**
 * Parsers for the kernel's IPVS listings:
 *  - /proc/net/ip_vs (cheap: no process; hex addresses; persistence timeout in
 *    jiffies; no scheduler flags, persistence engine, thresholds, and no family
 *    marker on fwmark services),
 *  - `ipvsadm -Ln` (forwarding, weight, active/inactive connections),
 *  - `ipvsadm -Ln --thresholds` (upper/lower thresholds),
 *  - `ipvsadm -Ln --stats --exact` (connection, packet and byte counters).
 * The service line of every `ipvsadm -L` form carries the scheduler flags,
 * persistence and persistence engine.
 */
import { hexToIpv4, normalizeIp, parseEndpoint, type IpFamily } from "../../../shared/net";
import { serviceKey, type IpvsProtocol } from "../../../shared/desired-state/resolve";
import type { ForwardingMethod } from "../../../shared/desired-state/schema";
import type { ActualService } from "../model";

export interface Counters {
  conns: number;
  inpkts: number;
  outpkts: number;
  inbytes: number;
  outbytes: number;
}

export interface ListedDestination {
  key: string;
  address: string;
  port: number;
  forwarding?: ForwardingMethod;
  weight?: number;
  upperThreshold?: number;
  lowerThreshold?: number;
  activeConns?: number;
  inactConns?: number;
  stats?: Counters;
}

export interface ListedService {
  key: string;
  protocol: IpvsProtocol;
  family: IpFamily;
  address: string | null;
  port: number;
  fwmark: number;
  /** false when the listing cannot tell (fwmark services in /proc/net/ip_vs) */
  familyKnown: boolean;
  scheduler?: string;
  flags?: string[];
  /** timeout in seconds (ipvsadm) or jiffies (/proc, see timeoutUnit) */
  persistence?: { timeout: number; netmask: string } | null;
  timeoutUnit?: "seconds" | "jiffies";
  pe?: string | null;
  onePacket?: boolean;
  stats?: Counters;
  destinations: ListedDestination[];
}

export class ListingSyntaxError extends Error {}

const FORWARD_NAMES: Record<string, ForwardingMethod> = { Route: "dr", Local: "dr", Masq: "nat", Tunnel: "tun" };
const PROTOCOLS: Record<string, IpvsProtocol> = { TCP: "tcp", UDP: "udp", FWM: "fwmark" };

function swap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | ((value >>> 24) & 0xff)) >>> 0;
}

function procEndpoint(text: string): { address: string; port: number; family: IpFamily } | null {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([0-9A-Fa-f]{8})):([0-9A-Fa-f]{4})$/.exec(text);
  if (!match) return null;
  const port = parseInt(match[3], 16);
  if (match[1]) {
    const address = normalizeIp(match[1]);
    return address ? { address, port, family: 6 } : null;
  }
  const address = hexToIpv4(match[2]);
  return address ? { address, port, family: 4 } : null;
}

/** Splits `line` at runs of spaces/tabs into `out` (reused); returns the number of tokens. */
function tokenize(line: string, out: string[]): number {
  out.length = 0;
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && (line.charCodeAt(i) === 32 || line.charCodeAt(i) === 9 || line.charCodeAt(i) === 13)) i++;
    if (i >= n) break;
    const begin = i;
    while (i < n && line.charCodeAt(i) !== 32 && line.charCodeAt(i) !== 9 && line.charCodeAt(i) !== 13) i++;
    out.push(line.slice(begin, i));
  }
  return out.length;
}

function formatKeyEndpoint(address: string, port: number, family: IpFamily): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Parses /proc/net/ip_vs. Counters of connections per destination are included. */
export function parseProcIpvs(text: string): ListedService[] {
  const services: ListedService[] = [];
  const rawMasks = new Map<ListedService, number>();
  let current: ListedService | null = null;
  // the same real servers recur under many services: each endpoint text is parsed once per listing
  const destinations = new Map<string, { address: string; port: number; family: IpFamily; key: string } | null>();
  // one pass over the text with a reused token array: a 10,000-service table is 30,000 lines, read after every big apply
  const tokens: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end);
    start = end + 1;
    if (!tokenize(raw, tokens)) continue;
    if (tokens[0] === "IP" || tokens[0] === "Prot" || (tokens[0] === "->" && tokens[1] === "RemoteAddress:Port")) continue;
    if (tokens[0] === "->") {
      if (!current) throw new ListingSyntaxError(`destination before any service: ${raw}`);
      let endpoint = destinations.get(tokens[1]);
      if (endpoint === undefined) {
        const parsed = procEndpoint(tokens[1]);
        endpoint = parsed && { ...parsed, key: formatKeyEndpoint(parsed.address, parsed.port, parsed.family) };
        destinations.set(tokens[1], endpoint);
      }
      const forwarding = FORWARD_NAMES[tokens[2]];
      if (!endpoint || !forwarding || tokens.length < 6) throw new ListingSyntaxError(`bad destination line: ${raw}`);
      if (current.protocol === "fwmark" && !current.familyKnown) {
        current.family = endpoint.family;
        current.familyKnown = true;
      }
      current.destinations.push({
        key: endpoint.key,
        address: endpoint.address,
        port: endpoint.port,
        forwarding,
        weight: Number(tokens[3]),
        activeConns: Number(tokens[4]),
        inactConns: Number(tokens[5]),
      });
      continue;
    }
    const protocol = PROTOCOLS[tokens[0]];
    if (!protocol) throw new ListingSyntaxError(`unknown protocol in: ${raw}`);
    let service: ListedService;
    if (protocol === "fwmark") {
      if (!/^[0-9A-Fa-f]{8}$/.test(tokens[1])) throw new ListingSyntaxError(`bad fwmark in: ${raw}`);
      service = { key: "", protocol, family: 4, familyKnown: false, address: null, port: 0, fwmark: parseInt(tokens[1], 16), destinations: [] };
    } else {
      const endpoint = procEndpoint(tokens[1]);
      if (!endpoint) throw new ListingSyntaxError(`bad service address in: ${raw}`);
      service = { key: "", protocol, family: endpoint.family, familyKnown: true, address: endpoint.address, port: endpoint.port, fwmark: 0, destinations: [] };
    }
    service.scheduler = tokens[2];
    service.onePacket = tokens.length > 3 && tokens.includes("ops");
    const persistentAt = tokens.length > 3 ? tokens.indexOf("persistent") : -1;
    service.timeoutUnit = "jiffies";
    if (persistentAt >= 0) {
      const maskValue = parseInt(tokens[persistentAt + 2], 16);
      rawMasks.set(service, maskValue);
      service.persistence = { timeout: Number(tokens[persistentAt + 1]), netmask: "" };
    } else {
      service.persistence = null;
    }
    services.push(service);
    current = service;
  }
  for (const service of services) {
    const maskValue = rawMasks.get(service);
    if (maskValue !== undefined && service.persistence) {
      // IPv4 masks come out as the host-order value of a network-order mask (FFFFFF00);
      // IPv6 "masks" are a prefix length stored unconverted, so they come out byte-swapped (/64 → 40000000).
      const v6Prefix = swap32(maskValue);
      if (service.protocol === "fwmark" && !service.familyKnown && v6Prefix >= 1 && v6Prefix <= 128 && maskValue !== 0xffffffff) {
        // no destination told the family: a small byte-swapped prefix cannot be a contiguous IPv4 mask
        service.family = 6;
        service.familyKnown = true;
      }
      service.persistence.netmask = service.family === 6 ? String(v6Prefix) : hexToIpv4(maskValue.toString(16).padStart(8, "0"))!;
    }
    service.key = serviceKey(service);
  }
  return services;
}

type ListingKind = "list" | "thresholds" | "stats";

/** Parses any `ipvsadm -L -n` form (plain, --thresholds, --stats --exact), whole table or one service. */
export function parseIpvsList(text: string): ListedService[] {
  const services: ListedService[] = [];
  let kind: ListingKind | null = null;
  let current: ListedService | null = null;
  for (const raw of text.split("\n")) {
    if (!raw.trim() || raw.startsWith("IP Virtual Server")) continue;
    if (raw.startsWith("Prot ")) {
      if (/Uthreshold/.test(raw)) kind = "thresholds";
      else if (/InPkts/.test(raw)) kind = "stats";
      else if (/Scheduler/.test(raw)) kind = "list";
      else throw new ListingSyntaxError(`unsupported listing header: ${raw}`);
      continue;
    }
    if (raw.trimStart().startsWith("-> RemoteAddress")) continue;
    if (!kind) throw new ListingSyntaxError(`listing without header: ${raw}`);
    const tokens = raw.trim().split(/\s+/);
    if (tokens[0] === "->") {
      if (!current) throw new ListingSyntaxError(`destination before any service: ${raw}`);
      const endpoint = parseEndpoint(tokens[1]);
      if (!endpoint || endpoint.port === null) throw new ListingSyntaxError(`bad destination in: ${raw}`);
      const destination: ListedDestination = {
        key: formatKeyEndpoint(endpoint.address, endpoint.port, endpoint.family),
        address: endpoint.address,
        port: endpoint.port,
      };
      const numbers = tokens.slice(kind === "list" ? 3 : 2).map(Number);
      if (kind === "list") {
        const forwarding = FORWARD_NAMES[tokens[2]];
        if (!forwarding) throw new ListingSyntaxError(`unknown forwarding ${tokens[2]} in: ${raw}`);
        destination.forwarding = forwarding;
        [destination.weight, destination.activeConns, destination.inactConns] = numbers;
      } else if (kind === "thresholds") {
        [destination.upperThreshold, destination.lowerThreshold, destination.activeConns, destination.inactConns] = numbers;
      } else {
        const [conns, inpkts, outpkts, inbytes, outbytes] = numbers;
        destination.stats = { conns, inpkts, outpkts, inbytes, outbytes };
      }
      if (numbers.some((n) => !Number.isFinite(n))) throw new ListingSyntaxError(`bad numbers in: ${raw}`);
      current.destinations.push(destination);
      continue;
    }
    const protocol = PROTOCOLS[tokens[0]];
    if (!protocol) throw new ListingSyntaxError(`unknown protocol in: ${raw}`);
    let at = 2;
    let service: ListedService;
    if (protocol === "fwmark") {
      const fwmark = Number(tokens[1]);
      if (!Number.isInteger(fwmark)) throw new ListingSyntaxError(`bad fwmark in: ${raw}`);
      const v6 = tokens[2] === "IPv6";
      if (v6) at = 3;
      service = { key: "", protocol, family: v6 ? 6 : 4, familyKnown: true, address: null, port: 0, fwmark, destinations: [] };
    } else {
      const endpoint = parseEndpoint(tokens[1]);
      if (!endpoint || endpoint.port === null) throw new ListingSyntaxError(`bad service address in: ${raw}`);
      service = { key: "", protocol, family: endpoint.family, familyKnown: true, address: endpoint.address, port: endpoint.port, fwmark: 0, destinations: [] };
    }
    service.key = serviceKey(service);
    const rest = tokens.slice(at);
    if (kind === "stats") {
      const [conns, inpkts, outpkts, inbytes, outbytes] = rest.map(Number);
      service.stats = { conns, inpkts, outpkts, inbytes, outbytes };
    } else {
      service.scheduler = rest[0];
      service.flags = [];
      service.persistence = null;
      service.pe = null;
      service.timeoutUnit = "seconds";
      for (let i = 1; i < rest.length; i++) {
        const word = rest[i];
        if (word.startsWith("(")) service.flags = word.replace(/[()]/g, "").split(",").filter(Boolean);
        else if (word === "ops") service.onePacket = true;
        else if (word === "persistent") service.persistence = { timeout: Number(rest[++i]), netmask: service.family === 4 ? "255.255.255.255" : "128" };
        else if (word === "mask" && service.persistence) service.persistence.netmask = rest[++i];
        else if (word === "pe") service.pe = rest[++i];
      }
    }
    services.push(service);
    current = service;
  }
  return services;
}

/* ---------- from listings to the agent's model ---------- */


function defaultNetmaskOf(family: IpFamily): string {
  return family === 4 ? "255.255.255.255" : "128";
}

/** A /proc/net/ip_vs service as an ActualService (flags, engine and thresholds unknown; timeout known only with HZ). */
export function fromProc(service: ListedService, hz: number | null): ActualService {
  const persistence = service.persistence
    ? { timeout: hz ? Math.round(service.persistence.timeout / hz) : -1, netmask: service.persistence.netmask || defaultNetmaskOf(service.family) }
    : null;
  return {
    key: service.key,
    protocol: service.protocol,
    family: service.family,
    address: service.address,
    port: service.port,
    fwmark: service.fwmark,
    scheduler: service.scheduler ?? "",
    flags: [],
    persistence,
    pe: null,
    destinations: service.destinations.map((d) => ({
      key: d.key,
      address: d.address,
      port: d.port,
      forwarding: d.forwarding ?? "dr",
      weight: d.weight ?? 0,
      upperThreshold: 0,
      lowerThreshold: 0,
    })),
    flagsKnown: false,
    thresholdsKnown: false,
  };
}

/**
 * One service from `ipvsadm -Ln` (forwarding, weight, flags, engine) and,
 * when given, `ipvsadm -Ln --thresholds` of the same service.
 */
export function fromList(list: ListedService, thresholds: ListedService | null): ActualService {
  const limits = new Map((thresholds?.destinations ?? []).map((d) => [d.key, d]));
  return {
    key: list.key,
    protocol: list.protocol,
    family: list.family,
    address: list.address,
    port: list.port,
    fwmark: list.fwmark,
    scheduler: list.scheduler ?? "",
    flags: list.flags ?? [],
    persistence: list.persistence ?? null,
    pe: list.pe ?? null,
    destinations: list.destinations.map((d) => ({
      key: d.key,
      address: d.address,
      port: d.port,
      forwarding: d.forwarding ?? "dr",
      weight: d.weight ?? 0,
      upperThreshold: limits.get(d.key)?.upperThreshold ?? 0,
      lowerThreshold: limits.get(d.key)?.lowerThreshold ?? 0,
    })),
    flagsKnown: true,
    thresholdsKnown: thresholds !== null,
  };
}

/** The kernel's HZ from a persistent service seen both in /proc (jiffies) and in an ipvsadm listing (seconds). */
export function learnHz(proc: readonly ListedService[], listed: readonly ActualService[]): number | null {
  const seconds = new Map(listed.filter((s) => s.persistence && s.persistence.timeout > 0).map((s) => [s.key, s.persistence!.timeout]));
  for (const s of proc) {
    const t = seconds.get(s.key);
    if (t && s.persistence && Number.isInteger(s.persistence.timeout / t)) return s.persistence.timeout / t;
  }
  return null;
}

/**
 * The whole table in full detail from ONE netlink listing: `ipvsadm -Ln
 * --thresholds` (scheduler, flags, persistence in seconds, engine, thresholds)
 * with forwarding and weight from /proc/net/ip_vs (read just before). Null
 * when /proc does not show every service and destination of the listing (it
 * can under-report when other namespaces hold IPVS services) or shows them
 * differently: the caller then lists with `ipvsadm -Ln` as well.
 */
export function fromThresholdsAndProc(limits: readonly ListedService[], proc: readonly ListedService[]): ActualService[] | null {
  const procByKey = new Map(proc.map((s) => [s.key, s]));
  const services: ActualService[] = [];
  for (const service of limits) {
    const seen = procByKey.get(service.key);
    if (!seen || !seen.familyKnown || seen.scheduler !== service.scheduler || seen.destinations.length !== service.destinations.length) return null;
    const seenDests = new Map(seen.destinations.map((d) => [d.key, d]));
    const destinations: ListedDestination[] = [];
    for (const d of service.destinations) {
      const s = seenDests.get(d.key);
      if (!s || s.forwarding === undefined || s.weight === undefined) return null;
      destinations.push({ ...d, forwarding: s.forwarding, weight: s.weight });
    }
    services.push(fromList({ ...service, destinations }, service));
  }
  return services;
}
