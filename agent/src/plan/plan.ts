/**
 * plan(desired, actual) → ops. Pure: no I/O, no clock, no randomness.
 *
 * Rules:
 *  - adds come before deletes (a service or destination being replaced is
 *    never missing in between), and the IPVS table is never cleared;
 *  - existing objects are edited in place (-E / -e) when IPVS allows it;
 *  - only what the ledger says the agent created is changed or removed;
 *    a desired service that exists but is not the agent's is a conflict op;
 *  - sysctls and IPVS timeouts are restored to their recorded original value
 *    when they leave the desired state.
 */
import type { IpvsDestination, IpvsService, ResolvedAddress, ResolvedState } from "../../../shared/desired-state/resolve";
import type { IpvsTimeouts } from "../../../shared/desired-state/schema";
import {
  formatDeleteDestinationLine,
  formatDeleteServiceLine,
  formatDestinationLine,
  formatServiceLine,
} from "../ipvsadm/rules";
import type { ActualService, ActualState, InterfaceState, Op } from "../model";
import { hashText, NFT_FAMILY, NFT_TABLE, renderNftScript } from "./nft";

/** Execution order of op kinds: adds and edits first, deletes and restores last. */
export const OP_ORDER: Record<Op["kind"], number> = {
  "ipvs-conflict": 0,
  "nft-conflict": 0,
  // tunnels first: a tunnel's own sysctls (net.ipv4.conf.tunl0.*) exist only once its module is loaded
  "link-up": 1,
  "sysctl-set": 2,
  "address-add": 3,
  "nft-replace": 4,
  "ipvs-set-timeouts": 5,
  "ipvs-add-service": 6,
  "ipvs-edit-service": 7,
  "ipvs-add-dest": 8,
  "ipvs-edit-dest": 9,
  "ipvs-delete-dest": 10,
  "ipvs-delete-service": 11,
  "address-delete": 12,
  "nft-delete": 13,
  "link-down": 14,
  "ipvs-restore-timeouts": 15,
  "sysctl-restore": 16,
};

/** `onlyServices` limits the IPVS part to those service keys (the rest of the plan is always complete). */
export function plan(desired: ResolvedState, actual: ActualState, onlyServices?: ReadonlySet<string>): Op[] {
  const ops: Op[] = [
    ...planSysctls(desired, actual),
    ...planLinks(desired, actual),
    ...planAddresses(desired, actual),
    ...planNft(desired, actual),
    ...planTimeouts(desired, actual),
    ...planIpvs(desired.ipvs.services, actual, onlyServices),
  ];
  // stable sort keeps the per-section order (services in desired order)
  return ops.map((op, index) => ({ op, index })).sort((a, b) => OP_ORDER[a.op.kind] - OP_ORDER[b.op.kind] || a.index - b.index).map((x) => x.op);
}

function serviceDiffers(want: IpvsService, have: ActualService): boolean {
  if (want.scheduler !== have.scheduler) return true;
  if ((want.persistence === null) !== (have.persistence === null)) return true;
  if (want.persistence && have.persistence) {
    if (want.persistence.netmask !== have.persistence.netmask) return true;
    if (have.persistence.timeout >= 0 && want.persistence.timeout !== have.persistence.timeout) return true;
  }
  if (!have.flagsKnown) return false;
  return want.pe !== have.pe || !sameList(want.flags, have.flags);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function destinationDiffers(want: IpvsDestination, have: IpvsDestination, thresholdsKnown: boolean): boolean {
  if (want.forwarding !== have.forwarding || want.weight !== have.weight) return true;
  if (!thresholdsKnown) return false;
  return want.upperThreshold !== have.upperThreshold || want.lowerThreshold !== have.lowerThreshold;
}

function ipvsOp<K extends "ipvs-add-service" | "ipvs-edit-service" | "ipvs-delete-service">(kind: K, service: string, line: string, summary: string) {
  return { kind, service, line, command: `ipvsadm ${line}`, summary } as Op;
}

function destOp(kind: "ipvs-add-dest" | "ipvs-edit-dest" | "ipvs-delete-dest", service: string, destination: string, line: string, summary: string): Op {
  return { kind, service, destination, line, command: `ipvsadm ${line}`, summary };
}

const SMALL_SCOPE = 8;

/**
 * IPVS part of the plan. With `only`, just those service keys are planned
 * (desired and actual) — used to re-check what an apply touched without
 * walking the whole table again.
 */
export function planIpvs(services: readonly IpvsService[], actual: ActualState, only?: ReadonlySet<string>): Op[] {
  const ops: Op[] = [];
  // a few keys are looked up in the ledger directly; building its set costs O(owned)
  const owned = only && only.size <= SMALL_SCOPE ? { has: (key: string) => actual.ledger.services.includes(key) } : ownedServices(actual);
  const byKey = only ? servicesFor(services, only) : servicesByKey(services);
  // with `only`, walk just those keys (a re-check after an apply costs O(touched), not O(table))
  const walk = only ? [...only].map((key) => byKey.get(key)).filter((s): s is IpvsService => s !== undefined) : services;
  for (const want of walk) {
    const have = actual.ipvs.services.get(want.key);
    if (!have) {
      ops.push(ipvsOp("ipvs-add-service", want.key, formatServiceLine("-A", want), `add service ${want.key} (${want.scheduler})`));
      for (const d of want.destinations) {
        ops.push(destOp("ipvs-add-dest", want.key, d.key, formatDestinationLine("-a", want, d), `add ${d.key} to ${want.key} (${d.forwarding}, weight ${d.weight})`));
      }
      continue;
    }
    if (!owned.has(want.key)) {
      ops.push({
        kind: "ipvs-conflict",
        service: want.key,
        command: `# not applied: ${want.key} exists and was not created by lvs-agent`,
        summary: `conflict: service ${want.key} already exists but was not created by lvs-agent; remove it (ipvsadm ${formatDeleteServiceLine(want)}) or drop it from the desired state`,
      });
      continue;
    }
    if (serviceDiffers(want, have)) {
      ops.push(ipvsOp("ipvs-edit-service", want.key, formatServiceLine("-E", want), `edit service ${want.key} in place (${describeServiceChange(want, have)})`));
    }
    if (sameDestinations(want, have)) continue;
    const haveDests = new Map(have.destinations.map((d) => [d.key, d]));
    for (const d of want.destinations) {
      const existing = haveDests.get(d.key);
      if (!existing) {
        ops.push(destOp("ipvs-add-dest", want.key, d.key, formatDestinationLine("-a", want, d), `add ${d.key} to ${want.key} (${d.forwarding}, weight ${d.weight})`));
      } else if (destinationDiffers(d, existing, have.thresholdsKnown)) {
        ops.push(destOp("ipvs-edit-dest", want.key, d.key, formatDestinationLine("-e", want, d), `edit ${d.key} in ${want.key} in place (${describeDestChange(d, existing)})`));
      }
    }
    const wantDests = new Set(want.destinations.map((d) => d.key));
    for (const d of have.destinations) {
      if (!wantDests.has(d.key)) {
        ops.push(destOp("ipvs-delete-dest", want.key, d.key, formatDeleteDestinationLine(want, d), `remove ${d.key} from ${want.key}`));
      }
    }
  }
  const removable = only ? [...only].filter((k) => actual.ipvs.services.has(k)) : actual.ipvs.services.keys();
  for (const key of removable) {
    if (byKey.has(key) || !owned.has(key)) continue;
    ops.push(ipvsOp("ipvs-delete-service", key, formatDeleteServiceLine(actual.ipvs.services.get(key)!), `remove service ${key}`));
  }
  return ops;
}

/** Fast path for the common case (same destinations in the same order, nothing to change): no allocation. */
function sameDestinations(want: IpvsService, have: ActualService): boolean {
  if (want.destinations.length !== have.destinations.length) return false;
  for (let i = 0; i < want.destinations.length; i++) {
    const w = want.destinations[i];
    const h = have.destinations[i];
    if (w.key !== h.key || destinationDiffers(w, h, have.thresholdsKnown)) return false;
  }
  return true;
}

const keysCache = new WeakMap<readonly IpvsService[], Map<string, IpvsService>>();
/** The desired services by key (memoised: a resolved state is planned more than once). */
export function servicesByKey(services: readonly IpvsService[]): Map<string, IpvsService> {
  let map = keysCache.get(services);
  if (!map) keysCache.set(services, (map = new Map(services.map((s) => [s.key, s]))));
  return map;
}

/**
 * The desired services among `keys` by key: from the memoised map when there
 * is one, otherwise for a few keys one pass over the list (a plan or read-back
 * of one change costs no map of every service), otherwise servicesByKey.
 */
export function servicesFor(services: readonly IpvsService[], keys: ReadonlySet<string>): ReadonlyMap<string, IpvsService> {
  const memo = keysCache.get(services);
  if (memo) return memo;
  if (keys.size > SMALL_SCOPE) return servicesByKey(services);
  // one reconcile asks for the same few keys several times (plan, read-back, re-plan)
  const id = [...keys].sort().join("\n");
  const last = scanCache.get(services);
  if (last && last.id === id) return last.found;
  const found = new Map<string, IpvsService>();
  for (const service of services) if (keys.has(service.key)) found.set(service.key, service);
  scanCache.set(services, { id, found });
  return found;
}
const scanCache = new WeakMap<readonly IpvsService[], { id: string; found: Map<string, IpvsService> }>();

const ownedCache = new WeakMap<string[], Set<string>>();
/** The ledger's service keys as a set (memoised per ledger array: the daemon plans against the same one repeatedly). */
function ownedServices(actual: ActualState): Set<string> {
  let set = ownedCache.get(actual.ledger.services);
  if (!set || set.size !== actual.ledger.services.length) {
    set = new Set(actual.ledger.services);
    ownedCache.set(actual.ledger.services, set);
  }
  return set;
}

function describeServiceChange(want: IpvsService, have: ActualService): string {
  const parts: string[] = [];
  if (want.scheduler !== have.scheduler) parts.push(`scheduler ${have.scheduler} → ${want.scheduler}`);
  const p = (s: IpvsService) => (s.persistence ? `${s.persistence.timeout < 0 ? "?" : s.persistence.timeout}s/${s.persistence.netmask}` : "off");
  if (p(want) !== p(have)) parts.push(`persistence ${p(have)} → ${p(want)}`);
  if (have.flagsKnown && want.flags.join(",") !== have.flags.join(",")) parts.push(`flags [${have.flags.join(",")}] → [${want.flags.join(",")}]`);
  if (have.flagsKnown && want.pe !== have.pe) parts.push(`pe ${have.pe ?? "none"} → ${want.pe ?? "none"}`);
  return parts.join(", ");
}

function describeDestChange(want: IpvsDestination, have: IpvsDestination): string {
  const parts: string[] = [];
  if (want.forwarding !== have.forwarding) parts.push(`forwarding ${have.forwarding} → ${want.forwarding}`);
  if (want.weight !== have.weight) parts.push(`weight ${have.weight} → ${want.weight}`);
  if (want.upperThreshold !== have.upperThreshold || want.lowerThreshold !== have.lowerThreshold) {
    parts.push(`thresholds ${have.upperThreshold}/${have.lowerThreshold} → ${want.upperThreshold}/${want.lowerThreshold}`);
  }
  return parts.join(", ");
}

function findAddress(interfaces: Map<string, InterfaceState>, a: Pick<ResolvedAddress, "interface" | "address" | "prefix">): boolean {
  return interfaces.get(a.interface)?.addresses.some((x) => x.address === a.address && x.prefix === a.prefix) ?? false;
}

export function addressCommand(verb: "add" | "del", a: ResolvedAddress): string {
  const cidr = `${a.address}/${a.prefix}`;
  if (verb === "del") return `ip ${a.family === 6 ? "-6 " : ""}addr del ${cidr} dev ${a.interface}`;
  if (a.family === 6) return `ip -6 addr add ${cidr} dev ${a.interface} nodad`;
  return `ip addr add ${cidr} dev ${a.interface}${a.label ? ` label ${a.label}` : ""}`;
}

/** Parses an address ledger key back ("eth0 192.0.2.10/32"). */
export function addressFromKey(key: string): ResolvedAddress {
  const [iface, cidr] = key.split(" ");
  const [address, prefix] = cidr.split("/");
  const family = address.includes(":") ? 6 : 4;
  return { key, interface: iface, address, prefix: Number(prefix), family, label: null };
}

function planAddresses(desired: ResolvedState, actual: ActualState): Op[] {
  const ops: Op[] = [];
  const wanted = new Set(desired.addresses.map((a) => a.key));
  for (const a of desired.addresses) {
    if (findAddress(actual.interfaces, a)) continue;
    ops.push({ kind: "address-add", address: a, command: addressCommand("add", a), summary: `add ${a.address}/${a.prefix} to ${a.interface}` });
  }
  for (const key of actual.ledger.addresses) {
    if (wanted.has(key)) continue;
    const a = addressFromKey(key);
    if (!findAddress(actual.interfaces, a)) continue;
    ops.push({ kind: "address-delete", address: a, command: addressCommand("del", a), summary: `remove ${a.address}/${a.prefix} from ${a.interface}` });
  }
  return ops;
}

function planLinks(desired: ResolvedState, actual: ActualState): Op[] {
  const ops: Op[] = [];
  const wanted = new Set<string>(desired.links.map((l) => l.name));
  for (const link of desired.links) {
    const state = actual.interfaces.get(link.name);
    if (state?.up) continue;
    const load = !state;
    ops.push({
      kind: "link-up",
      link,
      load,
      command: `${load ? `modprobe ${link.module} && ` : ""}ip link set ${link.name} up`,
      summary: `bring up tunnel ${link.name}${load ? ` (load ${link.module})` : ""}`,
    });
  }
  for (const name of actual.ledger.links) {
    if (wanted.has(name) || !actual.interfaces.get(name)?.up) continue;
    ops.push({ kind: "link-down", name, command: `ip link set ${name} down`, summary: `bring down tunnel ${name} (brought up by lvs-agent)` });
  }
  return ops;
}

function planSysctls(desired: ResolvedState, actual: ActualState): Op[] {
  const ops: Op[] = [];
  for (const [key, value] of Object.entries(desired.sysctls)) {
    const current = actual.sysctls[key] ?? null;
    if (current === value) continue;
    const original = key in actual.ledger.sysctls ? actual.ledger.sysctls[key] : current;
    ops.push({
      kind: "sysctl-set",
      key,
      value,
      original,
      command: `sysctl -w ${key}=${value}`,
      summary: current === null ? `set ${key}=${value} (the key does not exist on this host)` : `set ${key} ${current} → ${value}`,
    });
  }
  for (const [key, original] of Object.entries(actual.ledger.sysctls)) {
    if (key in desired.sysctls) continue;
    const current = actual.sysctls[key] ?? null;
    if (current === null || current === original) continue;
    ops.push({ kind: "sysctl-restore", key, value: original, command: `sysctl -w ${key}=${original}`, summary: `restore ${key} ${current} → ${original} (its value before lvs-agent)` });
  }
  return ops;
}

function sameTimeouts(a: IpvsTimeouts | null, b: IpvsTimeouts | null): boolean {
  return !!a && !!b && a.tcp === b.tcp && a.tcpfin === b.tcpfin && a.udp === b.udp;
}

function planTimeouts(desired: ResolvedState, actual: ActualState): Op[] {
  const want = desired.ipvs.timeouts;
  const original = actual.ledger.timeouts;
  const text = (t: IpvsTimeouts) => `${t.tcp} ${t.tcpfin} ${t.udp}`;
  if (want) {
    if (sameTimeouts(want, actual.timeouts)) return [];
    return [
      {
        kind: "ipvs-set-timeouts",
        timeouts: want,
        original: original ?? actual.timeouts,
        command: `ipvsadm --set ${text(want)}`,
        summary: `set IPVS timeouts (tcp tcpfin udp) ${actual.timeouts ? text(actual.timeouts) : "?"} → ${text(want)}`,
      },
    ];
  }
  if (original && actual.timeouts && !sameTimeouts(original, actual.timeouts)) {
    return [{ kind: "ipvs-restore-timeouts", timeouts: original, command: `ipvsadm --set ${text(original)}`, summary: `restore IPVS timeouts to ${text(original)} (before lvs-agent)` }];
  }
  return [];
}

function planNft(desired: ResolvedState, actual: ActualState): Op[] {
  const table = `${NFT_FAMILY} ${NFT_TABLE}`;
  const ownedTable = actual.ledger.nft !== null || actual.nft.managed;
  if (desired.fwmarks.length === 0) {
    if (actual.nft.exists && ownedTable) {
      return [{ kind: "nft-delete", command: `nft delete table ${table}`, summary: `remove table ${table} (no fwmark rules desired)` }];
    }
    return [];
  }
  if (actual.nft.exists && !ownedTable) {
    return [
      {
        kind: "nft-conflict",
        command: `# not applied: table ${table} exists and was not created by lvs-agent`,
        summary: `conflict: nftables table ${table} exists but was not created by lvs-agent; rename or delete it`,
      },
    ];
  }
  const script = renderNftScript(desired.fwmarks);
  const specHash = hashText(script);
  const ledger = actual.ledger.nft;
  if (actual.nft.exists && ledger && ledger.specHash === specHash && ledger.listingHash === actual.nft.listingHash) return [];
  const marks = [...new Set(desired.fwmarks.map((r) => r.mark))].join(", ");
  return [
    {
      kind: "nft-replace",
      script,
      specHash,
      rules: desired.fwmarks.length,
      command: `nft -f - # ${actual.nft.exists ? "replace" : "create"} table ${table}: ${desired.fwmarks.length} rule(s)`,
      summary: `${actual.nft.exists ? "replace" : "create"} table ${table} atomically: ${desired.fwmarks.length} fwmark rule(s) (marks ${marks})`,
    },
  ];
}

