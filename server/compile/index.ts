/**
 * compile: cluster model → desired state per host (issue #4). PURE: no
 * database, no clock, no I/O; table-tested in compile.test.ts.
 *
 * Input: every cluster's snapshot (the applied ones, with the candidate
 * replacing its cluster's) and what is known about the hosts. A host's state
 * is the union over all clusters:
 *   - directors: every enabled service of the clusters they direct with its
 *     enabled real servers; the VIPs on the director's vipInterface (/32,
 *     /128); ip_forward (IPv4) / conf.all.forwarding (IPv6) when a service has
 *     NAT real servers; an nft mark rule per FWMARK service with a markProtocol;
 *   - real servers that are inventory hosts: DR → VIPs on lo + ARP sysctls,
 *     TUN → VIPs on the tunnel (realServer block), NAT → nothing (a lint checks
 *     the host's default gateway is a director address).
 * Disabled services and real servers are absent. Objects that cannot coexist
 * (the same IPVS service twice on one host, a TUN real server of the other
 * address family) are left out with an error lint, which blocks apply.
 * Every host's state is checked with validateDesiredState (a failure is a
 * compile bug, reported as an error lint).
 */
import type { KernelInfo } from "@/shared/agent-protocol";
import { DESIRED_STATE_SCHEMA_VERSION, HEALTH_CHECK_DEFAULTS, validateDesiredState, type DesiredStateInput, type ResolvedState } from "@/shared/desired-state";
import { normalizeIp, parseCidr } from "@/shared/net";
import type { ClusterSnapshot, Lint, SnapshotService } from "@/shared/revisions";
import { endpointLabel, virtualServiceLabel } from "@/shared/cluster/rules";

/** A host's desired state as the panel stores it before a generation is assigned. */
export type HostDesiredState = Omit<DesiredStateInput, "generation">;

export interface CompileHostInfo {
  id: string;
  name: string;
  managementAddress: string;
  /** inventory interface addresses ("192.0.2.10/24") */
  interfaceAddresses: string[];
  /** what the agent reported in its hello (null: never connected) */
  kernel: KernelInfo | null;
}

export interface CompileInput {
  clusters: ClusterSnapshot[];
  hosts: CompileHostInfo[];
  /**
   * Real servers with an active drain (issue #6): published with weight 0.
   * Drains are operational overrides, not part of any revision's snapshot.
   */
  drainedRealServerIds?: Iterable<string>;
}

/** Set on a director when a persistent service quiesces on failure or has a drained real server. */
export const EXPIRE_QUIESCENT_TEMPLATE = "net.ipv4.vs.expire_quiescent_template";
/** Set on a director when a service removes failed destinations: their connections are dropped on the next packet, clients reconnect elsewhere. */
export const EXPIRE_NODEST_CONN = "net.ipv4.vs.expire_nodest_conn";

export type HostRole = "director" | "realServer";

export interface CompiledHost {
  state: HostDesiredState;
  /** cluster id → roles of the host in that cluster */
  roles: Map<string, Set<HostRole>>;
}

export interface CompileOutput {
  byHost: Map<string, CompiledHost>;
  lints: Lint[];
}

type IpvsServiceInput = DesiredStateInput["ipvs"]["services"][number];
type DestinationInput = IpvsServiceInput["destinations"][number];
type FwmarkInput = DesiredStateInput["fwmarks"][number];

interface HostAccumulator {
  services: Map<string, { service: IpvsServiceInput; clusterName: string }>;
  addresses: Map<string, { interface: string; address: string }>;
  drVips: Set<string>;
  tunVips: Set<string>;
  sysctls: Map<string, number>;
  fwmarks: Map<string, FwmarkInput>;
  roles: Map<string, Set<HostRole>>;
}

function newAccumulator(): HostAccumulator {
  return { services: new Map(), addresses: new Map(), drVips: new Set(), tunVips: new Set(), sysctls: new Map(), fwmarks: new Map(), roles: new Map() };
}

/** Identity of an IPVS service on a host (matches the agent's service key). */
function ipvsKey(s: SnapshotService): string {
  return s.protocol === "FWMARK" ? `fwmark ${s.fwmark} ${s.family}` : `${s.protocol.toLowerCase()} ${endpointLabel(s.address, s.port)}`;
}

type HealthCheckInput = NonNullable<IpvsServiceInput["healthCheck"]>;

/** The panel's health check → the desired state's (null fields omitted, agent defaults not relied on). */
export function toDesiredHealthCheck(hc: NonNullable<SnapshotService["healthCheck"]>): HealthCheckInput {
  const common = { intervalMs: hc.intervalMs, timeoutMs: hc.timeoutMs, rise: hc.rise, fall: hc.fall, ...(hc.port !== null ? { port: hc.port } : {}) };
  switch (hc.type) {
    case "http":
    case "https":
      return {
        type: hc.type,
        ...common,
        path: hc.path,
        ...(hc.host !== null ? { host: hc.host } : {}),
        expectStatus: hc.expectStatus,
        ...(hc.expectBody !== null ? { expectBody: hc.expectBody } : {}),
        bodyIsRegex: hc.bodyIsRegex,
        tlsVerify: hc.tlsVerify,
      };
    case "tcp":
      return { type: "tcp", ...common };
    case "exec":
      return { type: "exec", ...common, command: hc.command, args: hc.args };
    case "dns":
      return { type: "dns", ...common, name: hc.name, queryType: hc.queryType };
  }
}

function healthFields(s: SnapshotService) {
  const sorry = s.sorryServer;
  return {
    ...(s.healthCheck ? { healthCheck: toDesiredHealthCheck(s.healthCheck) } : {}),
    // defaults are left out: a service without health settings compiles to exactly what it did before #6
    ...(s.onFailure === "REMOVE" ? { onFailure: "remove" as const } : {}),
    ...(s.slowStartSeconds ? { slowStartSeconds: s.slowStartSeconds } : {}),
    ...(sorry
      ? {
          sorryServer: {
            address: sorry.address,
            ...(sorry.forwarding === "NAT" && sorry.port !== null ? { port: sorry.port } : {}),
            forwarding: sorry.forwarding === "DR" ? ("dr" as const) : sorry.forwarding === "NAT" ? ("nat" as const) : ("tun" as const),
          },
        }
      : {}),
  };
}

function toIpvsService(s: SnapshotService, destinations: DestinationInput[]): IpvsServiceInput {
  const common = {
    scheduler: s.scheduler,
    schedulerFlags: s.schedulerFlags as IpvsServiceInput["schedulerFlags"],
    ...(s.persistenceTimeout !== null
      ? { persistence: { timeout: s.persistenceTimeout, ...(s.persistenceNetmask !== null ? { netmask: s.persistenceNetmask } : {}) } }
      : {}),
    ...(s.persistenceEngine !== null && s.persistenceTimeout !== null ? { persistenceEngine: s.persistenceEngine } : {}),
    destinations,
    ...healthFields(s),
  };
  if (s.protocol === "FWMARK") return { protocol: "fwmark", fwmark: s.fwmark!, family: s.family, ...common };
  return { protocol: s.protocol === "TCP" ? "tcp" : "udp", address: s.address, port: s.port!, ...common };
}

const familyOf = (address: string): "ipv4" | "ipv6" => (address.includes(":") ? "ipv6" : "ipv4");

export function compile(input: CompileInput): CompileOutput {
  const hostsById = new Map(input.hosts.map((h) => [h.id, h]));
  const drained = new Set(input.drainedRealServerIds ?? []);
  const acc = new Map<string, HostAccumulator>();
  const lints: Lint[] = [];
  const hostOf = (id: string) => {
    let a = acc.get(id);
    if (!a) acc.set(id, (a = newAccumulator()));
    return a;
  };
  const nameOf = (id: string, fallback: string | null = null) => hostsById.get(id)?.name ?? fallback ?? id;
  const lint = (level: Lint["level"], message: string, hostId: string | null = null) =>
    lints.push({ level, message, hostId, hostName: hostId ? nameOf(hostId) : null });
  const addRole = (a: HostAccumulator, clusterId: string, role: HostRole) => {
    let set = a.roles.get(clusterId);
    if (!set) a.roles.set(clusterId, (set = new Set()));
    set.add(role);
  };

  const clusters = [...input.clusters].sort((x, y) => (x.cluster.id < y.cluster.id ? -1 : 1));
  for (const snapshot of clusters) {
    const clusterName = snapshot.cluster.name;
    const services = snapshot.services.filter((s) => s.enabled);
    for (const d of snapshot.directors) addRole(hostOf(d.hostId), snapshot.cluster.id, "director");

    for (const s of services) {
      const label = virtualServiceLabel(s);
      const enabledServers = s.realServers.filter((r) => r.enabled);
      const destinations: DestinationInput[] = [];
      for (const r of enabledServers) {
        if (familyOf(r.address) !== s.family) {
          lint("error", `${clusterName}: real server ${r.address} of ${label} is ${familyOf(r.address) === "ipv6" ? "IPv6" : "IPv4"} but the VIP is not; IPVS cannot tunnel across address families here — use a real server address of the VIP's family`);
          continue;
        }
        destinations.push({
          address: r.address,
          ...(r.forwarding === "NAT" && r.port !== null ? { port: r.port } : {}),
          forwarding: r.forwarding === "DR" ? "dr" : r.forwarding === "NAT" ? "nat" : "tun",
          // a drained real server takes no new connections; its existing ones finish
          weight: drained.has(r.id) ? 0 : r.weight,
          upperThreshold: r.upperThreshold,
          lowerThreshold: r.lowerThreshold,
        });
      }
      const hasNat = destinations.some((d) => d.forwarding === "nat") || (s.sorryServer?.forwarding === "NAT" && s.healthCheck !== undefined);
      if (s.sorryServer && familyOf(s.sorryServer.address) !== s.family) {
        lint("error", `${clusterName}: the sorry server ${s.sorryServer.address} of ${label} is ${familyOf(s.sorryServer.address) === "ipv6" ? "IPv6" : "IPv4"} but the VIP is not; use a sorry server of the VIP's family`);
      }
      let sorryUsable = s.sorryServer !== undefined && familyOf(s.sorryServer.address) === s.family;
      if (s.sorryServer) {
        const sorry = s.sorryServer;
        const sorryPort = sorry.forwarding === "NAT" && sorry.port !== null ? sorry.port : s.port;
        const clash = destinations.find((d) => normalizeIp(d.address) === normalizeIp(sorry.address) && (d.port ?? s.port) === sorryPort);
        if (clash) {
          sorryUsable = false;
          lint("error", `${clusterName}: the sorry server ${endpointLabel(sorry.address, sorryPort)} of ${label} is also one of its real servers; choose another sorry server or remove that real server`);
        }
      }
      if (s.sorryServer && !s.healthCheck && snapshot.directors.length > 0) {
        lint("warning", `${clusterName}: ${label} has a sorry server but no health check; the sorry server only takes over when a check finds every real server down`);
      }
      // Quiesced (weight 0) destinations of a persistent service keep receiving the clients whose
      // persistence template points at them unless the kernel expires those templates.
      const quiescesPersistent =
        s.persistenceTimeout !== null && ((s.healthCheck !== undefined && s.onFailure !== "REMOVE") || enabledServers.some((r) => drained.has(r.id)));

      // Directors: the service, its VIP, forwarding for NAT, the mark rule.
      for (const d of snapshot.directors) {
        const a = hostOf(d.hostId);
        const key = ipvsKey(s);
        const existing = a.services.get(key);
        if (existing) {
          lint("error", `${nameOf(d.hostId, d.hostName)} directs ${key} in both ${existing.clusterName} and ${clusterName}; one host can carry an IPVS service once — change one of them`, d.hostId);
          continue;
        }
        const service = toIpvsService(s, destinations);
        if (!sorryUsable) delete service.sorryServer;
        a.services.set(key, { service, clusterName });
        if (quiescesPersistent) a.sysctls.set(EXPIRE_QUIESCENT_TEMPLATE, 1);
        if (s.healthCheck && s.onFailure === "REMOVE") a.sysctls.set(EXPIRE_NODEST_CONN, 1);
        a.addresses.set(`${d.vipInterface} ${s.address}`, { interface: d.vipInterface, address: s.address });
        if (hasNat) a.sysctls.set(s.family === "ipv6" ? "net.ipv6.conf.all.forwarding" : "net.ipv4.ip_forward", 1);
        if (s.protocol === "FWMARK" && s.markProtocol) {
          a.fwmarks.set(`${s.fwmark} ${s.family} ${s.markProtocol} ${s.address}`, {
            mark: s.fwmark!,
            family: s.family,
            protocol: s.markProtocol,
            destination: s.address,
            ...(s.markPorts.length > 0 ? { ports: [...s.markPorts].sort((x, y) => x - y) } : {}),
          });
        }
      }
      if (s.protocol === "FWMARK" && !s.markProtocol && snapshot.directors.length > 0) {
        lint("info", `${clusterName}: ${label} has no mark rule; packets must be marked with ${s.fwmark} by your own firewall rules`);
      }

      // Real servers that are inventory hosts.
      for (const r of enabledServers) {
        if (!r.hostId) continue;
        const a = hostOf(r.hostId);
        addRole(a, snapshot.cluster.id, "realServer");
        if (familyOf(r.address) !== s.family) continue;
        if (r.forwarding === "DR") a.drVips.add(s.address);
        else if (r.forwarding === "TUN") a.tunVips.add(s.address);
        else lintNatGateway(r.hostId, r.address, label, snapshot);
      }
    }
    // Real servers of disabled services / disabled real servers still make the host part of the cluster.
    for (const s of snapshot.services) for (const r of s.realServers) if (r.hostId) addRole(hostOf(r.hostId), snapshot.cluster.id, "realServer");
  }

  function lintNatGateway(hostId: string, address: string, label: string, snapshot: ClusterSnapshot) {
    const host = hostsById.get(hostId);
    const name = nameOf(hostId);
    if (snapshot.directors.length === 0) return;
    if (!host?.kernel) {
      lint("info", `NAT real server ${name} (${address}) of ${label}: its default gateway is unknown until its agent connects; replies must route via the director`, hostId);
      return;
    }
    const directorAddresses = new Set<string>();
    for (const d of snapshot.directors) {
      const dh = hostsById.get(d.hostId);
      if (!dh) continue;
      directorAddresses.add(normalizeIp(dh.managementAddress) ?? dh.managementAddress);
      for (const cidr of dh.interfaceAddresses) addCidr(directorAddresses, cidr);
      for (const iface of dh.kernel?.interfaces ?? []) for (const cidr of iface.addresses) addCidr(directorAddresses, cidr);
    }
    const gateways = host.kernel.defaultGateways.map((g) => normalizeIp(g) ?? g);
    if (!gateways.some((g) => directorAddresses.has(g))) {
      lint(
        "warning",
        `NAT real server ${name} does not route via the director: its default gateway is ${gateways.join(", ") || "not set"}, none of the directors' addresses (${[...directorAddresses].sort().join(", ")}); replies would bypass IPVS`,
        hostId,
      );
    }
  }

  const byHost = new Map<string, CompiledHost>();
  for (const [hostId, a] of [...acc.entries()].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const state = buildState(nameOf(hostId), a);
    const check = validateDesiredState({ ...state, generation: 1 });
    if (!check.ok) {
      lint("error", `internal: the compiled state of ${nameOf(hostId)} is invalid (${check.issues.map((i) => `${i.path}: ${i.message}`).join("; ")})`, hostId);
    }
    byHost.set(hostId, { state, roles: a.roles });
  }
  lints.sort((x, y) => LEVEL_ORDER[x.level] - LEVEL_ORDER[y.level]);
  return { byHost, lints };
}

const LEVEL_ORDER: Record<Lint["level"], number> = { error: 0, warning: 1, info: 2 };

function addCidr(into: Set<string>, cidr: string) {
  const parsed = parseCidr(cidr);
  if (parsed) into.add(parsed.address);
}

const byText = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

function buildState(hostName: string, a: HostAccumulator): HostDesiredState {
  const services = [...a.services.entries()].sort(([x], [y]) => byText(x, y)).map(([, v]) => v.service);
  const addresses = [...a.addresses.entries()].sort(([x], [y]) => byText(x, y)).map(([, v]) => v);
  const dr = [...a.drVips].sort(byText);
  const tun = [...a.tunVips].sort(byText);
  let realServer: HostDesiredState["realServer"] = null;
  if (tun.length > 0) {
    realServer = { forwarding: "tun", vips: tun };
    // DR VIPs of a host that is also a TUN real server: on lo (the tun block already sets the ARP sysctls).
    for (const vip of dr) if (!a.tunVips.has(vip)) addresses.push({ interface: "lo", address: vip });
  } else if (dr.length > 0) {
    realServer = { forwarding: "dr", vips: dr };
  }
  const sysctls = Object.fromEntries([...a.sysctls.entries()].sort(([x], [y]) => byText(x, y)));
  const fwmarks = [...a.fwmarks.entries()].sort(([x], [y]) => byText(x, y)).map(([, v]) => v);
  return { schemaVersion: DESIRED_STATE_SCHEMA_VERSION, host: hostName, ipvs: { services }, addresses, realServer, sysctls, fwmarks };
}

/**
 * One line per object of a desired state, for "+/-" diffs a person reads
 * (the resolved form: canonical addresses, defaults filled in).
 */
export function describeState(state: HostDesiredState | null): string[] {
  if (!state) return [];
  const result = validateDesiredState({ ...state, generation: 1 });
  if (!result.ok) return result.issues.map((i) => `invalid ${i.path}: ${i.message}`);
  return [...describeResolved(result.resolved), ...describeHealth(state, result.resolved)];
}

/** "health tcp 192.0.2.10:80 http GET /health …" lines: the resolved form has no health fields, the document has them in service order. */
function describeHealth(state: HostDesiredState, r: ResolvedState): string[] {
  const lines: string[] = [];
  state.ipvs.services.forEach((s, i) => {
    const key = r.ipvs.services[i]?.key ?? `service ${i}`;
    const hc = s.healthCheck;
    if (hc) {
      const port = hc.port !== undefined ? ` port ${hc.port}` : "";
      const timing = `every ${hc.intervalMs ?? HEALTH_CHECK_DEFAULTS.intervalMs}ms timeout ${hc.timeoutMs ?? HEALTH_CHECK_DEFAULTS.timeoutMs}ms rise ${hc.rise ?? HEALTH_CHECK_DEFAULTS.rise} fall ${hc.fall ?? HEALTH_CHECK_DEFAULTS.fall}`;
      const what =
        hc.type === "http" || hc.type === "https"
          ? `${hc.type} GET ${hc.path ?? "/"}${hc.host ? ` host ${hc.host}` : ""} expect ${hc.expectStatus ?? "200-399"}${hc.expectBody ? ` body ${hc.bodyIsRegex ? "~" : "has"} ${JSON.stringify(hc.expectBody)}` : ""}${hc.type === "https" && hc.tlsVerify ? " verify" : ""}`
          : hc.type === "exec"
            ? `exec ${[hc.command, ...(hc.args ?? [])].join(" ")}`
            : hc.type === "dns"
              ? `dns ${hc.queryType ?? "A"} ${hc.name}`
              : "tcp connect";
      lines.push(`health ${key} ${what}${port} ${timing} on-failure ${s.onFailure ?? "quiesce"}${s.slowStartSeconds ? ` slow-start ${s.slowStartSeconds}s` : ""}`);
    }
    if (s.sorryServer) lines.push(`sorry ${key} -> ${s.sorryServer.address}${s.sorryServer.port !== undefined ? `:${s.sorryServer.port}` : ""} ${s.sorryServer.forwarding}`);
  });
  return lines;
}

function describeResolved(r: ResolvedState): string[] {
  const lines: string[] = [];
  for (const s of r.ipvs.services) {
    const extra = [
      s.flags.length > 0 ? `flags ${s.flags.join(",")}` : null,
      s.persistence ? `persistent ${s.persistence.timeout}s mask ${s.persistence.netmask}` : null,
      s.pe ? `pe ${s.pe}` : null,
    ].filter(Boolean);
    lines.push(`service ${s.key} ${s.scheduler}${extra.length ? ` ${extra.join(" ")}` : ""}`);
    for (const d of s.destinations) {
      const thresholds = d.upperThreshold || d.lowerThreshold ? ` thresholds ${d.lowerThreshold}-${d.upperThreshold}` : "";
      lines.push(`destination ${s.key} -> ${d.key} ${d.forwarding} weight ${d.weight}${thresholds}`);
    }
  }
  for (const a of r.addresses) lines.push(`address ${a.key}`);
  for (const l of r.links) lines.push(`link ${l.name} (${l.module})`);
  for (const [k, v] of Object.entries(r.sysctls)) lines.push(`sysctl ${k}=${v}`);
  for (const f of r.fwmarks) lines.push(`fwmark ${f.mark} ${f.protocol} ${f.destination}${f.ports.length ? ` ports ${f.ports.join(",")}` : " all ports"}`);
  return lines;
}

/** "+ line" / "- line" between two states (empty when equal). */
export function diffStates(before: HostDesiredState | null, after: HostDesiredState | null): string[] {
  const a = describeState(before);
  const b = describeState(after);
  const inA = new Set(a);
  const inB = new Set(b);
  return [...a.filter((l) => !inB.has(l)).map((l) => `- ${l}`), ...b.filter((l) => !inA.has(l)).map((l) => `+ ${l}`)];
}

/** Equality of two states as the agent sees them (the informational host name ignored). */
export function sameState(x: HostDesiredState | null, y: HostDesiredState | null): boolean {
  if (x === null || y === null) return x === y;
  const strip = ({ host: _h, ...rest }: HostDesiredState) => rest;
  return JSON.stringify(strip(x)) === JSON.stringify(strip(y));
}
