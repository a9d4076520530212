/**
 * Cross-field rules of the cluster model, as pure functions returning
 * field-level issues. Used by the zod schemas (browser and server) and by the
 * server's services after merging an update into the stored record.
 */
import type { RefinementCtx } from "zod";
import { addressFamily, maxPrefixLength } from "./address";
import { LIMITS, SCHEDULER_FLAGS, type ForwardingMethod, type Protocol, type Scheduler } from "./constants";

export type IssuePath = (string | number)[];
export interface FieldIssue {
  path: IssuePath;
  message: string;
}
/** Field path ("port", "realServers.2.address") → messages. The API error format carries this. */
export type FieldErrors = Record<string, string[]>;

export function pathKey(path: readonly PropertyKey[]): string {
  return path.map(String).join(".");
}

export function issuesToFieldErrors(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of issues) {
    const key = pathKey(issue.path) || "_form";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export function addIssues(ctx: RefinementCtx, issues: FieldIssue[], prefix: IssuePath = []): void {
  for (const issue of issues) ctx.addIssue({ code: "custom", path: [...prefix, ...issue.path], message: issue.message });
}

export interface VirtualServiceRuleInput {
  protocol: Protocol;
  address: string;
  port: number | null;
  fwmark: number | null;
  scheduler: Scheduler;
  schedulerFlags: string[];
  persistenceTimeout: number | null;
  persistenceNetmask: number | null;
  persistenceEngine: string | null;
  /** FWMARK only: protocol of the agent's nft mark rule; null = packets are marked elsewhere */
  markProtocol?: string | null;
  /** FWMARK only: destination ports the mark rule matches; empty = every port */
  markPorts?: number[];
}

/** Rules of one virtual service: port vs fwmark, scheduler flags, persistence. */
export function checkVirtualService(vs: VirtualServiceRuleInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (vs.protocol === "FWMARK") {
    if (vs.fwmark === null) issues.push({ path: ["fwmark"], message: "FWMARK services need a firewall mark" });
    if (vs.port !== null) {
      issues.push({ path: ["port"], message: "FWMARK services match packets by mark; leave the port empty" });
    }
    const ports = vs.markPorts ?? [];
    if (ports.length > 0 && !vs.markProtocol) {
      issues.push({ path: ["markProtocol"], message: "Choose TCP or UDP for the mark rule's ports" });
    }
    if (ports.length > LIMITS.markPorts.max) {
      issues.push({ path: ["markPorts"], message: `At most ${LIMITS.markPorts.max} ports per mark rule` });
    }
    const seenPorts = new Set<number>();
    for (const p of ports) {
      if (seenPorts.has(p)) {
        issues.push({ path: ["markPorts"], message: `Port ${p} is listed twice` });
        break;
      }
      seenPorts.add(p);
    }
  } else {
    if (vs.port === null) issues.push({ path: ["port"], message: `${vs.protocol} services need a port` });
    if (vs.fwmark !== null) {
      issues.push({ path: ["fwmark"], message: "A firewall mark is only used by FWMARK services; leave it empty" });
    }
    if (vs.markProtocol) {
      issues.push({ path: ["markProtocol"], message: "A mark rule is only used by FWMARK services; leave it empty" });
    }
    if ((vs.markPorts ?? []).length > 0) {
      issues.push({ path: ["markPorts"], message: "Mark rule ports are only used by FWMARK services; leave them empty" });
    }
  }

  const allowed = SCHEDULER_FLAGS[vs.scheduler] ?? [];
  const seenFlags = new Set<string>();
  for (const flag of vs.schedulerFlags) {
    if (!allowed.includes(flag)) {
      issues.push({
        path: ["schedulerFlags"],
        message:
          allowed.length === 0
            ? `The ${vs.scheduler} scheduler takes no flags`
            : `Unknown flag ${flag} for ${vs.scheduler}; use ${allowed.join(" or ")}`,
      });
    } else if (seenFlags.has(flag)) {
      issues.push({ path: ["schedulerFlags"], message: `Flag ${flag} is listed twice` });
    }
    seenFlags.add(flag);
  }

  if (vs.persistenceNetmask !== null) {
    const family = addressFamily(vs.address);
    if (vs.persistenceTimeout === null) {
      issues.push({ path: ["persistenceNetmask"], message: "A persistence netmask needs a persistence timeout" });
    } else if (family) {
      const max = maxPrefixLength(family);
      if (vs.persistenceNetmask > max) {
        issues.push({
          path: ["persistenceNetmask"],
          message: `For an ${family === "ipv4" ? "IPv4" : "IPv6"} VIP the persistence netmask is a prefix length from 1 to ${max}`,
        });
      }
    }
  }
  if (vs.persistenceEngine !== null && vs.persistenceTimeout === null) {
    issues.push({ path: ["persistenceEngine"], message: "A persistence engine needs a persistence timeout" });
  }
  return issues;
}

export interface RealServerRuleInput {
  address: string | null;
  port: number | null;
  forwarding: ForwardingMethod;
  upperThreshold: number;
  lowerThreshold: number;
}

/** The port a real server receives traffic on: its own, else the service's (null = as the client sent it). */
export function effectiveRealServerPort(vs: { port: number | null }, rs: { port: number | null }): number | null {
  return rs.port ?? vs.port;
}

/**
 * Rules of one real server inside its service: address family, port remap
 * (only NAT can change the port), thresholds. The address must be resolved
 * (host-backed real servers: the host's address) before calling.
 */
export function checkRealServer(
  vs: { protocol: Protocol; address: string; port: number | null },
  rs: RealServerRuleInput,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (rs.address === null) {
    issues.push({ path: ["address"], message: "Choose a host or enter an address" });
  } else {
    const vipFamily = addressFamily(vs.address);
    const rsFamily = addressFamily(rs.address);
    if (vipFamily && rsFamily && vipFamily !== rsFamily && rs.forwarding !== "TUN") {
      issues.push({
        path: ["address"],
        message: `${rs.address} is ${rsFamily === "ipv4" ? "IPv4" : "IPv6"} but the VIP is ${vipFamily === "ipv4" ? "IPv4" : "IPv6"}; ${rs.forwarding} needs the same address family`,
      });
    }
    if (rs.address === vs.address) {
      issues.push({ path: ["address"], message: "A real server cannot be the VIP itself" });
    }
  }

  if (rs.forwarding !== "NAT") {
    if (vs.protocol === "FWMARK") {
      if (rs.port !== null) {
        issues.push({
          path: ["port"],
          message: `${rs.forwarding} forwarding cannot change ports; leave the port empty for a FWMARK service or use NAT`,
        });
      }
    } else if (rs.port !== null && rs.port !== vs.port) {
      issues.push({
        path: ["port"],
        message: `${rs.forwarding} forwarding cannot remap port ${vs.port} to ${rs.port} (IPVS rewrites ports only with NAT); use port ${vs.port} or switch to NAT`,
      });
    }
  }

  if (rs.upperThreshold > 0 && rs.lowerThreshold > rs.upperThreshold) {
    issues.push({ path: ["lowerThreshold"], message: "The lower threshold must not exceed the upper threshold" });
  } else if (rs.upperThreshold === 0 && rs.lowerThreshold > 0) {
    issues.push({ path: ["lowerThreshold"], message: "A lower threshold needs an upper threshold" });
  }
  return issues;
}

/** Identity of a real server inside a service: address and effective port. */
export function realServerEndpointKey(vs: { port: number | null }, rs: { address: string | null; port: number | null }): string {
  const port = effectiveRealServerPort(vs, rs);
  return `${rs.address ?? ""}|${port ?? "*"}`;
}

/** The same real server (address and port) twice in one service. Issues are relative to the list. */
export function checkRealServerDuplicates(
  vs: { port: number | null },
  list: { address: string | null; port: number | null }[],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Map<string, number>();
  list.forEach((rs, i) => {
    if (rs.address === null) return;
    const key = realServerEndpointKey(vs, rs);
    const first = seen.get(key);
    if (first !== undefined) {
      issues.push({ path: [i, "address"], message: `Same real server as #${first + 1} in this service` });
    } else seen.set(key, i);
  });
  return issues;
}

/** Identity of a virtual service in a cluster: (protocol, VIP, port) or the firewall mark. */
export function virtualServiceKey(vs: { protocol: Protocol; address: string; port: number | null; fwmark: number | null }): string {
  return vs.protocol === "FWMARK" ? `FWMARK|${vs.fwmark}` : `${vs.protocol}|${vs.address}|${vs.port}`;
}

/** Human label of a virtual service, e.g. "TCP 192.0.2.10:80", "TCP [2001:db8::1]:443", "FWMARK 7 (192.0.2.10)". */
export function virtualServiceLabel(vs: { protocol: Protocol; address: string; port: number | null; fwmark: number | null }): string {
  if (vs.protocol === "FWMARK") return `FWMARK ${vs.fwmark} (${vs.address})`;
  const host = vs.address.includes(":") ? `[${vs.address}]` : vs.address;
  return `${vs.protocol} ${host}:${vs.port}`;
}

export function endpointLabel(address: string, port: number | null): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return port === null ? host : `${host}:${port}`;
}
