/**
 * The director's connection table (what `ipvsadm -Lcn` shows) for the
 * panel's "connections" request, and `ipvsadm -Z` for its "zero" request —
 * both limited to the services the agent owns.
 *
 * /proc/net/ip_vs_conn holds both families (there is no ip_vs_conn6): one
 * line per entry, `Pro FromIP FPrt ToIP TPrt DestIP DPrt State Expires
 * [PEName PEData]`, IPv4 addresses as 8 hex digits (host order of the network
 * value, i.e. 0A00000A = 10.0.0.10), IPv6 ones as 8 groups of 4 hex digits,
 * ports as 4 hex digits, Expires in seconds. Persistence templates have
 * client port 0; a fwmark service's templates have protocol IP and the mark
 * as their virtual address (00000007:0000 = fwmark 7).
 *
 * Which service a connection belongs to: a TCP/UDP service by protocol and
 * virtual address:port (any port for a port-0 service). The kernel does not
 * record the fwmark of a connection, so a fwmark service claims its templates
 * and the connections whose virtual address:port is no TCP/UDP service of the
 * table and whose real server address is one of its destinations.
 */
import { formatEndpoint, hexToIpv4, normalizeIp, parseEndpoint } from "../../../shared/net";
import type { ConnectionRow, ConnectionsReply, ConnectionsRequestSchema, ZeroAck } from "../../../shared/agent-protocol";
import { parseProcIpvs, type ListedService } from "../ipvsadm/listing";
import type { ServiceRef } from "../ipvsadm/rules";
import type { StatsKernel } from "../kernel/types";
import type { z } from "zod";

export type ConnectionsQuery = z.output<typeof ConnectionsRequestSchema>;

export interface ParsedConnection extends ConnectionRow {
  clientAddress: string;
  virtualAddress: string;
  virtualPort: number;
  destinationAddress: string;
  /** the fwmark of a fwmark template, else null */
  fwmark: number | null;
}

function address(text: string): string | null {
  if (/^[0-9A-Fa-f]{8}$/.test(text)) return hexToIpv4(text);
  if (text.includes(":")) return normalizeIp(text);
  return null;
}

/** One line of /proc/net/ip_vs_conn; null for the header, blank lines and anything unparsable. */
export function parseConnectionLine(line: string): ParsedConnection | null {
  const t = line.trim().split(/\s+/);
  if (t.length < 9 || t[0] === "Pro") return null;
  const [protocol, caddr, cport, vaddr, vport, daddr, dport, state, expires] = t;
  const client = address(caddr);
  const vip = address(vaddr);
  const dest = address(daddr);
  const ports = [cport, vport, dport].map((p) => (/^[0-9A-Fa-f]{4}$/.test(p) ? parseInt(p, 16) : NaN));
  const expiresIn = Number(expires);
  if (!client || !vip || !dest || ports.some((p) => !Number.isInteger(p)) || !Number.isInteger(expiresIn) || expiresIn < 0) return null;
  // a fwmark template: protocol IP, port 0, the mark where the address would be (0.0.0.7 / 0:7::)
  let fwmark: number | null = null;
  if (protocol === "IP" && ports[1] === 0) {
    if (/^[0-9A-Fa-f]{8}$/.test(vaddr) && parseInt(vaddr, 16) < 0x01000000) fwmark = parseInt(vaddr, 16);
    else if (/^0000:[0-9A-Fa-f]{4}(:0000){6}$/.test(vaddr)) fwmark = parseInt(vaddr.slice(5, 9), 16);
  }
  return {
    protocol,
    client: formatEndpoint(client, ports[0]),
    virtual: fwmark !== null ? `fwmark ${fwmark}` : formatEndpoint(vip, ports[1]),
    destination: formatEndpoint(dest, ports[2]),
    state,
    expiresIn,
    clientAddress: client,
    virtualAddress: vip,
    virtualPort: ports[1],
    destinationAddress: dest,
    fwmark,
  };
}

/** Decides which of `services` (the owned ones present in the kernel) a connection belongs to. */
export function connectionOwner(services: readonly ListedService[], allVirtuals: ReadonlySet<string>) {
  const byVirtual = new Map<string, ListedService>();
  const anyPort = new Map<string, ListedService>();
  const fwmarks = new Map<number, ListedService[]>();
  for (const s of services) {
    if (s.protocol === "fwmark") fwmarks.set(s.fwmark, [...(fwmarks.get(s.fwmark) ?? []), s]);
    else if (s.port === 0) anyPort.set(`${s.protocol.toUpperCase()} ${s.address}`, s);
    else byVirtual.set(`${s.protocol.toUpperCase()} ${formatEndpoint(s.address!, s.port)}`, s);
  }
  return (c: ParsedConnection): ListedService | null => {
    if (c.fwmark !== null) {
      const candidates = fwmarks.get(c.fwmark) ?? [];
      return candidates.find((s) => s.destinations.some((d) => d.address === c.destinationAddress)) ?? candidates[0] ?? null;
    }
    // TCP/UDP connections, and their persistence templates (client port 0, same protocol)
    const exact = byVirtual.get(`${c.protocol} ${c.virtual}`) ?? anyPort.get(`${c.protocol} ${c.virtualAddress}`);
    if (exact) return exact;
    if (allVirtuals.has(`${c.protocol} ${c.virtual}`) || allVirtuals.has(`${c.protocol} ${c.virtualAddress}`)) return null;
    for (const list of fwmarks.values()) for (const s of list) if (s.destinations.some((d) => d.address === c.destinationAddress)) return s;
    return null;
  };
}

/** The filter of a request as a predicate; throws with a message for a filter that cannot match anything sensible. */
export function connectionFilter(query: ConnectionsQuery): (c: ParsedConnection) => boolean {
  const tests: Array<(c: ParsedConnection) => boolean> = [];
  if (query.client !== undefined && query.client !== "") {
    const f = query.client.trim();
    const exact = normalizeIp(f);
    const endpoint = exact ? null : parseEndpoint(f);
    if (exact) tests.push((c) => c.clientAddress === exact);
    else if (endpoint && endpoint.port !== null) {
      const key = formatEndpoint(endpoint.address, endpoint.port);
      tests.push((c) => c.client === key);
    } else {
      if (!/^[0-9A-Fa-f.:]+$/.test(f)) throw new Error(`client filter ${JSON.stringify(f)} is not an address, address:port or address prefix`);
      const prefix = f.toLowerCase();
      tests.push((c) => c.clientAddress.startsWith(prefix));
    }
  }
  if (query.state !== undefined && query.state !== "") {
    const state = query.state.trim().toUpperCase();
    tests.push((c) => c.state.toUpperCase() === state);
  }
  if (query.destination !== undefined && query.destination !== "") {
    const endpoint = parseEndpoint(query.destination.trim());
    if (!endpoint) throw new Error(`destination filter ${JSON.stringify(query.destination)} is not an address:port`);
    if (endpoint.port === null) tests.push((c) => c.destinationAddress === endpoint.address);
    else {
      const key = formatEndpoint(endpoint.address, endpoint.port);
      // a fwmark service's destinations carry port 0 (the packet's port is kept)
      tests.push((c) => c.destination === key || (endpoint.port === 0 && c.destinationAddress === endpoint.address));
    }
  }
  return (c) => tests.every((t) => t(c));
}

/**
 * The connection table of the owned services (or one of them), filtered,
 * counted and cut to offset/limit — in the kernel's order, read as a stream so
 * a large table is never held in memory.
 */
export async function readConnectionTable(kernel: StatsKernel, owned: ReadonlySet<string>, query: ConnectionsQuery): Promise<ConnectionsReply> {
  const fail = (error: string): ConnectionsReply => ({ ok: false, total: 0, rows: [], error });
  if (query.service !== undefined && !owned.has(query.service)) return fail(`${query.service} is not a service this agent manages`);
  let matches: (c: ParsedConnection) => boolean;
  try {
    matches = connectionFilter(query);
  } catch (error) {
    return fail((error as Error).message);
  }
  const proc = await kernel.procIpvs();
  if (proc === null) return fail("IPVS is not available in this kernel");
  const table = parseProcIpvs(proc);
  const allVirtuals = new Set<string>();
  for (const s of table) if (s.protocol !== "fwmark") allVirtuals.add(s.port === 0 ? `${s.protocol.toUpperCase()} ${s.address}` : `${s.protocol.toUpperCase()} ${formatEndpoint(s.address!, s.port)}`);
  const services = table.filter((s) => (query.service !== undefined ? s.key === query.service : owned.has(s.key)));
  const owner = connectionOwner(services, allVirtuals);
  const rows: ConnectionRow[] = [];
  let total = 0;
  for await (const line of kernel.connections()) {
    const c = parseConnectionLine(line);
    if (!c || !owner(c) || !matches(c)) continue;
    if (total >= query.offset && rows.length < query.limit) {
      rows.push({ protocol: c.protocol, client: c.client, virtual: c.virtual, destination: c.destination, state: c.state, expiresIn: c.expiresIn });
    }
    total++;
  }
  return { ok: true, total, rows };
}

/** "tcp 192.0.2.10:80" / "udp [2001:db8::1]:53" / "fwmark 5 ipv4" → the service; null when it is not a service key. */
export function parseServiceKey(key: string): ServiceRef | null {
  const fw = /^fwmark (\d+) (ipv4|ipv6)$/.exec(key);
  if (fw) {
    const fwmark = Number(fw[1]);
    return fwmark >= 1 && fwmark <= 0xffffffff ? { protocol: "fwmark", family: fw[2] === "ipv6" ? 6 : 4, address: null, port: 0, fwmark } : null;
  }
  const m = /^(tcp|udp) (\S+)$/.exec(key);
  if (!m) return null;
  const endpoint = parseEndpoint(m[2]);
  if (!endpoint || endpoint.port === null || formatEndpoint(endpoint.address, endpoint.port) !== m[2]) return null;
  return { protocol: m[1] as "tcp" | "udp", family: endpoint.family, address: endpoint.address, port: endpoint.port, fwmark: 0 };
}

/** `ipvsadm -Z` for one owned service or every owned one; never a foreign service, never the whole table. */
export async function zeroOwnedCounters(kernel: StatsKernel, owned: ReadonlySet<string>, service: string | undefined): Promise<ZeroAck> {
  const keys = service !== undefined ? [service] : [...owned].sort();
  if (service !== undefined && !owned.has(service)) return { ok: false, error: `${service} is not a service this agent manages` };
  const refs: ServiceRef[] = [];
  for (const key of keys) {
    const ref = parseServiceKey(key);
    if (!ref) return { ok: false, error: `${JSON.stringify(key)} is not a service key` };
    refs.push(ref);
  }
  if (refs.length === 0) return { ok: true };
  try {
    await kernel.zero(refs);
    return { ok: true };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
