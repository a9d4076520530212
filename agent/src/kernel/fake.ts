/**
 * An in-memory kernel with the behaviour the agent relies on: ipvsadm's rule
 * language and its errors ("Service already exists", "No such destination"
 * ...), `-R` going on after a failing line, /proc's cheap read hiding scheduler
 * flags, engine and thresholds, addresses on interfaces, sysctls, one nft
 * table. Tests can add foreign objects, inject failures and count calls.
 */
import type { IpvsService, ResolvedAddress, ResolvedLink } from "../../../shared/desired-state/resolve";
import { serviceKey, sysctlPath } from "../../../shared/desired-state/resolve";
import { formatEndpoint, ipv4ToHex } from "../../../shared/net";
import type { IpvsTimeouts } from "../../../shared/desired-state/schema";
import { parseRuleLine, serviceSpec, type ServiceRef } from "../ipvsadm/rules";
import type { ActualService, InterfaceState } from "../model";
import { hashText, NFT_COMMENT } from "../plan/nft";
import { KernelError, type Kernel, type RestoreResult, type ServiceHandle } from "./types";

function clone<T>(value: T): T {
  return structuredClone(value);
}

export interface FakeCounters {
  conns: number;
  inpkts: number;
  outpkts: number;
  inbytes: number;
  outbytes: number;
  activeconns?: number;
  inactconns?: number;
}

export interface FakeKernelOptions {
  ipvsAvailable?: boolean;
  interfaces?: string[];
  sysctls?: Record<string, string>;
}

export class FakeKernel implements Kernel {
  ipvsAvailable: boolean;
  services = new Map<string, IpvsService>();
  timeouts: IpvsTimeouts = { tcp: 900, tcpfin: 120, udp: 300 };
  links = new Map<string, InterfaceState & { module?: string }>();
  /** modules whose fallback device appears when loaded */
  loadable = new Map<string, string>([
    ["ipip", "tunl0"],
    ["ip6_tunnel", "ip6tnl0"],
  ]);
  sysctlValues = new Map<string, string>();
  nftTable: string | null = null;
  /** every mutating call, in order ("ipvsadm -A ...", "ip addr add ...", "nft -f", "sysctl ...") */
  calls: string[] = [];
  /** number of calls of each read kind */
  reads = { basic: 0, full: 0, services: 0, interfaces: 0, nft: 0, timeouts: 0 };
  /** services the cheap (/proc) read leaves out, as the kernel's /proc/net/ip_vs does when other namespaces hold IPVS services */
  hiddenFromBasicRead = new Set<string>();
  /** restore() says which line failed, as the Linux kernel's ipvsadm session does for small batches (false: only that one did) */
  restoreSaysWhichLine = false;
  /** batches whose read-back came with them (restoreAndList) */
  listedWithRestore = 0;
  /** make matching commands fail with this message */
  failures: Array<{ match: RegExp; message: string }> = [];

  constructor(options: FakeKernelOptions = {}) {
    this.ipvsAvailable = options.ipvsAvailable ?? true;
    for (const name of options.interfaces ?? ["lo", "eth0"]) this.links.set(name, { name, up: true, addresses: [] });
    const defaults: Record<string, string> = {
      "net.ipv4.ip_forward": "0",
      "net.ipv4.conf.all.arp_ignore": "0",
      "net.ipv4.conf.all.arp_announce": "0",
      "net.ipv4.conf.lo.arp_ignore": "0",
      "net.ipv4.conf.lo.arp_announce": "0",
      "net.ipv4.conf.all.rp_filter": "2",
      "net.ipv4.conf.eth0.rp_filter": "2",
      "net.ipv4.vs.conn_reuse_mode": "1",
      "net.ipv4.vs.expire_nodest_conn": "0",
      "net.ipv4.vs.expire_quiescent_template": "0",
    };
    for (const [k, v] of Object.entries({ ...defaults, ...options.sysctls })) this.sysctlValues.set(k, v);
  }

  private failIfInjected(command: string) {
    const failure = this.failures.find((f) => f.match.test(command));
    if (failure) throw new KernelError(failure.message, command);
  }

  /** Applies one ipvsadm rule line like the kernel would; throws with ipvsadm's message. */
  private applyRule(line: string) {
    this.failIfInjected(`ipvsadm ${line}`);
    const rule = parseRuleLine(line);
    const service = this.services.get(rule.service.key);
    switch (rule.command) {
      case "add-service":
        if (service) throw new KernelError("Service already exists");
        this.services.set(rule.service.key, clone(rule.service));
        break;
      case "edit-service":
        if (!service) throw new KernelError("No such service");
        this.services.set(rule.service.key, { ...clone(rule.service), destinations: service.destinations });
        break;
      case "delete-service":
        if (!service) throw new KernelError("No such service");
        this.services.delete(rule.service.key);
        break;
      case "add-dest":
      case "edit-dest":
      case "delete-dest": {
        if (!service) throw new KernelError("No such service");
        const index = service.destinations.findIndex((d) => d.key === rule.destination.key);
        if (rule.command === "add-dest") {
          if (index >= 0) throw new KernelError("Destination already exists");
          service.destinations.push(clone(rule.destination));
        } else if (index < 0) {
          throw new KernelError("No such destination");
        } else if (rule.command === "edit-dest") {
          service.destinations[index] = clone(rule.destination);
        } else {
          service.destinations.splice(index, 1);
        }
      }
    }
    this.calls.push(`ipvsadm ${line}`);
  }

  private requireIpvs() {
    if (!this.ipvsAvailable) throw new KernelError("Can't initialize ipvs: Protocol not available");
  }

  /** Adds a service the agent did not create (as an admin's own ipvsadm would). */
  addForeignService(line: string, destinations: string[] = []) {
    this.applyRule(line);
    for (const d of destinations) this.applyRule(d);
    this.calls = this.calls.slice(0, -1 - destinations.length);
  }

  addForeignAddress(iface: string, cidr: string, label: string | null = null) {
    const [address, prefix] = cidr.split("/");
    this.links.get(iface)!.addresses.push({ address, prefix: Number(prefix), family: address.includes(":") ? 6 : 4, label });
  }

  private toActual(service: IpvsService, detail: "basic" | "full"): ActualService {
    const copy = clone(service);
    if (detail === "full") return { ...copy, flagsKnown: true, thresholdsKnown: true };
    return {
      ...copy,
      flags: [],
      pe: null,
      destinations: copy.destinations.map((d) => ({ ...d, upperThreshold: 0, lowerThreshold: 0 })),
      flagsKnown: false,
      thresholdsKnown: false,
    };
  }

  ipvs = {
    probe: async () =>
      this.ipvsAvailable ? { available: true, reason: null } : { available: false, reason: "IPVS is not available in this kernel (Can't initialize ipvs: Protocol not available)" },
    read: async (detail: "basic" | "full") => {
      this.reads[detail]++;
      if (!this.ipvsAvailable) return [];
      const visible = [...this.services.values()].filter((s) => detail === "full" || !this.hiddenFromBasicRead.has(s.key));
      return visible.map((s) => this.toActual(s, detail));
    },
    readServices: async (handles: readonly ServiceHandle[], withThresholds: boolean) => {
      this.reads.services++;
      this.requireIpvs();
      const result = new Map<string, ActualService | null>();
      for (const h of handles) {
        const s = this.services.get(h.key);
        if (!s) {
          result.set(h.key, null);
          continue;
        }
        const full = this.toActual(s, "full");
        if (!withThresholds) {
          full.thresholdsKnown = false;
          full.destinations = full.destinations.map((d) => ({ ...d, upperThreshold: 0, lowerThreshold: 0 }));
        }
        result.set(h.key, full);
      }
      return result;
    },
    restore: async (lines: readonly string[]): Promise<RestoreResult> => {
      this.requireIpvs();
      this.calls.push(`ipvsadm -R (${lines.length} lines)`);
      const lineErrors: Array<string | null> = [];
      for (const line of lines) {
        try {
          this.applyRule(line);
          lineErrors.push(null);
        } catch (error) {
          lineErrors.push((error as Error).message);
        }
      }
      const errors = lineErrors.filter((e): e is string => e !== null);
      return this.restoreSaysWhichLine ? { ok: errors.length === 0, errors, lineErrors } : { ok: errors.length === 0, errors };
    },
    run: async (line: string) => {
      this.requireIpvs();
      this.applyRule(line);
    },
    /** like the Linux kernel's session: the batch, then the listings (only when `restoreSaysWhichLine`, as there) */
    restoreAndList: async (lines: readonly string[], services: readonly ServiceHandle[], withThresholds: boolean) => {
      const restore = await this.ipvs.restore(lines);
      if (!this.restoreSaysWhichLine) return { restore, listed: null };
      this.listedWithRestore++;
      return { restore, listed: await this.ipvs.readServices(services, withThresholds) };
    },
    readTimeouts: async () => {
      this.reads.timeouts++;
      this.requireIpvs();
      return { ...this.timeouts };
    },
    setTimeouts: async (t: IpvsTimeouts) => {
      this.requireIpvs();
      this.failIfInjected(`ipvsadm --set ${t.tcp} ${t.tcpfin} ${t.udp}`);
      this.calls.push(`ipvsadm --set ${t.tcp} ${t.tcpfin} ${t.udp}`);
      this.timeouts = { ...t };
    },
  };

  net = {
    interfaces: async () => {
      this.reads.interfaces++;
      return [...this.links.values()].map((l) => clone({ name: l.name, up: l.up, addresses: l.addresses }));
    },
    addAddress: async (a: ResolvedAddress) => {
      const command = `ip addr add ${a.address}/${a.prefix} dev ${a.interface}`;
      this.failIfInjected(command);
      const link = this.links.get(a.interface);
      if (!link) throw new KernelError(`Cannot find device "${a.interface}"`, command);
      if (link.addresses.some((x) => x.address === a.address && x.prefix === a.prefix)) throw new KernelError("RTNETLINK answers: File exists", command);
      link.addresses.push({ address: a.address, prefix: a.prefix, family: a.family, label: a.label });
      this.calls.push(command);
    },
    deleteAddress: async (a: ResolvedAddress) => {
      const command = `ip addr del ${a.address}/${a.prefix} dev ${a.interface}`;
      this.failIfInjected(command);
      const link = this.links.get(a.interface);
      const index = link?.addresses.findIndex((x) => x.address === a.address && x.prefix === a.prefix) ?? -1;
      if (!link || index < 0) throw new KernelError("RTNETLINK answers: Cannot assign requested address", command);
      link.addresses.splice(index, 1);
      this.calls.push(command);
    },
    linkUp: async (l: ResolvedLink, load: boolean) => {
      if (load) {
        const device = this.loadable.get(l.module);
        if (!device) throw new KernelError(`modprobe: FATAL: Module ${l.module} not found`);
        if (!this.links.has(device)) {
          this.links.set(device, { name: device, up: false, addresses: [] });
          // like the kernel: the device's per-interface sysctls appear with it
          if (device === "tunl0" && !this.sysctlValues.has("net.ipv4.conf.tunl0.rp_filter")) this.sysctlValues.set("net.ipv4.conf.tunl0.rp_filter", "1");
        }
        this.calls.push(`modprobe ${l.module}`);
      }
      const link = this.links.get(l.name);
      if (!link) throw new KernelError(`Cannot find device "${l.name}"`);
      link.up = true;
      this.calls.push(`ip link set ${l.name} up`);
    },
    linkDown: async (name: string) => {
      const link = this.links.get(name);
      if (!link) throw new KernelError(`Cannot find device "${name}"`);
      link.up = false;
      this.calls.push(`ip link set ${name} down`);
    },
  };

  sysctl = {
    read: async (key: string) => this.sysctlValues.get(key) ?? null,
    write: async (key: string, value: string) => {
      this.failIfInjected(`sysctl -w ${key}=${value}`);
      if (!this.sysctlValues.has(key)) throw new KernelError(`sysctl -w ${key}=${value}: no such sysctl on this host (/proc/sys/${sysctlPath(key)})`);
      this.sysctlValues.set(key, value);
      this.calls.push(`sysctl -w ${key}=${value}`);
    },
  };

  nft = {
    read: async () => {
      this.reads.nft++;
      if (this.nftTable === null) return { exists: false, managed: false, listingHash: null };
      return { exists: true, managed: this.nftTable.includes(NFT_COMMENT), listingHash: hashText(this.nftTable) };
    },
    apply: async (script: string) => {
      this.failIfInjected("nft -f");
      // the script is "create, delete, define": what remains is its last table block
      this.nftTable = script.slice(script.lastIndexOf("table inet lvs_agent {"));
      this.calls.push("nft -f");
    },
    deleteTable: async () => {
      if (this.nftTable === null) throw new KernelError("Error: No such file or directory");
      this.nftTable = null;
      this.calls.push("nft delete table inet lvs_agent");
    },
  };

  /**
   * Counters for the stats listings, keyed "SERVICE" or "SERVICE|DESTINATION"
   * (bump them with traffic()); active/inactive connections per destination;
   * the connection table's /proc lines. `ipvsadm -Z` (stats.zero) clears a
   * service's counters and its destinations'.
   */
  counters = new Map<string, FakeCounters>();
  connectionLines: string[] = [];
  private globalCounters: FakeCounters = { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 };

  /** Traffic through one destination of a service: counts on both, and on the host totals. */
  traffic(service: string, destination: string, add: Partial<FakeCounters> & { activeconns?: number; inactconns?: number }) {
    for (const key of [service, `${service}|${destination}`, null]) {
      const c = key === null ? this.globalCounters : (this.counters.get(key) ?? { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 });
      for (const name of ["conns", "inpkts", "outpkts", "inbytes", "outbytes"] as const) c[name] += add[name] ?? 0;
      if (key !== null) this.counters.set(key, c);
    }
    const d = this.counters.get(`${service}|${destination}`)!;
    if (add.activeconns !== undefined) d.activeconns = add.activeconns;
    if (add.inactconns !== undefined) d.inactconns = add.inactconns;
  }

  private async *connectionTable(): AsyncIterable<string> {
    if (!this.ipvsAvailable) return;
    yield "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData";
    yield* this.connectionLines;
  }

  private countersOf(key: string): FakeCounters {
    return this.counters.get(key) ?? { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0 };
  }

  stats = {
    /** /proc/net/ip_vs as the kernel writes it (hex addresses and ports) */
    procIpvs: async (): Promise<string | null> => {
      if (!this.ipvsAvailable) return null;
      const hex = (address: string, port: number) =>
        address.includes(":") ? `[${address}]:${port.toString(16).toUpperCase().padStart(4, "0")}` : `${ipv4ToHex(address)}:${port.toString(16).toUpperCase().padStart(4, "0")}`;
      const lines = ["IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port Scheduler Flags", "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn"];
      for (const s of this.services.values()) {
        const where = s.protocol === "fwmark" ? s.fwmark.toString(16).toUpperCase().padStart(8, "0") : hex(s.address!, s.port);
        lines.push(`${s.protocol === "fwmark" ? "FWM" : s.protocol.toUpperCase()}  ${where} ${s.scheduler} `);
        for (const d of s.destinations) {
          const c = this.countersOf(`${s.key}|${d.key}`);
          lines.push(`  -> ${hex(d.address, d.port)}      ${{ dr: "Route", nat: "Masq", tun: "Tunnel" }[d.forwarding]}  ${d.weight}  ${c.activeconns ?? 0}  ${c.inactconns ?? 0}`);
        }
      }
      return lines.join("\n") + "\n";
    },
    procIpvsStats: async (): Promise<string | null> => {
      if (!this.ipvsAvailable) return null;
      const g = this.globalCounters;
      const row = (n: number[]) => n.map((v) => v.toString(16).toUpperCase().padStart(8)).join(" ");
      return `   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n${row([g.conns, g.inpkts, g.outpkts, g.inbytes, g.outbytes])}\n\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n${row([0, 0, 0, 0, 0])}\n`;
    },
    /** `ipvsadm -Ln --stats --exact` */
    listStats: async (): Promise<string> => {
      this.requireIpvs();
      const nums = (c: FakeCounters) => [c.conns, c.inpkts, c.outpkts, c.inbytes, c.outbytes].map((n) => String(n).padStart(8)).join(" ");
      const lines = ["IP Virtual Server version 1.2.1 (size=4096)", "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes", "  -> RemoteAddress:Port"];
      for (const s of this.services.values()) {
        const name = s.protocol === "fwmark" ? `FWM  ${s.fwmark}${s.family === 6 ? " IPv6" : ""}` : `${s.protocol.toUpperCase()}  ${formatEndpoint(s.address!, s.port)}`;
        lines.push(`${name} ${nums(this.countersOf(s.key))}`);
        for (const d of s.destinations) lines.push(`  -> ${d.key} ${nums(this.countersOf(`${s.key}|${d.key}`))}`);
      }
      return lines.join("\n") + "\n";
    },
    connections: (): AsyncIterable<string> => this.connectionTable(),
    zero: async (services: readonly ServiceRef[]) => {
      this.requireIpvs();
      for (const ref of services) {
        const key = serviceKey(ref);
        this.failIfInjected(`ipvsadm -Z ${serviceSpec(ref)}`);
        if (!this.services.has(key)) throw new KernelError("No such service");
        for (const k of [...this.counters.keys()]) {
          if (k === key || k.startsWith(`${key}|`)) {
            const c = this.counters.get(k)!;
            this.counters.set(k, { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0, activeconns: c.activeconns, inactconns: c.inactconns });
          }
        }
        this.calls.push(`ipvsadm -Z ${serviceSpec(ref)}`);
      }
    },
  };

  /** The table as `ipvsadm -Sn` would print it (with thresholds), sorted by key, for assertions. */
  serviceKeys(): string[] {
    return [...this.services.keys()].sort();
  }
}
