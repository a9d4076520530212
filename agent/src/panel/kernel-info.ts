/**
 * What the agent tells the panel about its kernel in `hello`: IPVS present and
 * its version (/proc/net/ip_vs), the schedulers it offers (loaded ip_vs_*
 * modules plus those installed under /lib/modules/$(uname -r)), the
 * interfaces with their addresses (`ip -j addr`) and the default gateways
 * (`ip -j route show default`, IPv4 and IPv6). Parsers are pure and
 * table-tested; collection never throws (a missing piece is left empty).
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { KernelInfo } from "../../../shared/agent-protocol";

type InterfaceInfo = KernelInfo["interfaces"][number];
import { SCHEDULERS } from "../../../shared/desired-state/schema";
import { runCommand } from "../kernel/linux";

const KNOWN = new Set<string>(SCHEDULERS);

/** "IP Virtual Server version 1.2.1 (size=4096)" → "1.2.1"; null without IPVS. */
export function parseIpvsVersion(procIpvs: string | null): string | null {
  if (procIpvs === null) return null;
  return /IP Virtual Server version (\S+)/.exec(procIpvs)?.[1] ?? null;
}

/** Scheduler names from module names (`ip_vs_wlc`, `ip_vs_wlc.ko.xz`); engines and helpers (ftp, pe_sip) are not schedulers. */
export function schedulersFromModules(names: Iterable<string>): string[] {
  const found = new Set<string>();
  for (const name of names) {
    const m = /^ip_vs_([a-z0-9]+)(?:\.ko(?:\.[a-z]+)?)?$/.exec(name);
    if (m && KNOWN.has(m[1])) found.add(m[1]);
  }
  return SCHEDULERS.filter((s) => found.has(s));
}

/** First column of /proc/modules. */
export function loadedModules(procModules: string): string[] {
  return procModules
    .split("\n")
    .map((l) => l.split(" ")[0])
    .filter(Boolean);
}

interface IpAddrJson {
  ifname?: string;
  flags?: string[];
  addr_info?: Array<{ local?: string; prefixlen?: number }>;
}

/** `ip -j addr show` → interfaces (name ≤ 15 characters, CIDR addresses, up = the UP flag). */
export function parseIpAddrJson(text: string): InterfaceInfo[] {
  const list = JSON.parse(text) as IpAddrJson[];
  if (!Array.isArray(list)) throw new Error("ip -j addr: not a JSON array");
  return list
    .filter((i): i is IpAddrJson & { ifname: string } => typeof i.ifname === "string" && i.ifname.length > 0 && i.ifname.length <= 15)
    .map((i) => ({
      name: i.ifname,
      addresses: (i.addr_info ?? []).filter((a) => a.local && typeof a.prefixlen === "number").map((a) => `${a.local}/${a.prefixlen}`),
      up: (i.flags ?? []).includes("UP"),
    }));
}

/** `ip -j route show default` → the next hops (also of multipath routes). */
export function parseDefaultGateways(text: string): string[] {
  const list = JSON.parse(text) as Array<{ gateway?: string; nexthops?: Array<{ gateway?: string }> }>;
  if (!Array.isArray(list)) throw new Error("ip -j route: not a JSON array");
  const out: string[] = [];
  for (const route of list) {
    if (route.gateway) out.push(route.gateway);
    for (const hop of route.nexthops ?? []) if (hop.gateway) out.push(hop.gateway);
  }
  return [...new Set(out)];
}

async function readText(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, "utf8");
  } catch {
    return null;
  }
}

async function ipJson<T>(args: string[], parse: (text: string) => T, fallback: T): Promise<T> {
  const r = await runCommand("ip", args);
  if (r.code !== 0) return fallback;
  try {
    return parse(r.stdout);
  } catch {
    return fallback;
  }
}

/** Reads this host's kernel capabilities; every part that cannot be read is left empty. */
export async function collectKernelInfo(): Promise<KernelInfo> {
  const release = os.release();
  const procIpvs = await readText("/proc/net/ip_vs");
  const modules = loadedModules((await readText("/proc/modules")) ?? "");
  let installed: string[] = [];
  try {
    installed = await fs.readdir(path.join("/lib/modules", release, "kernel/net/netfilter/ipvs"));
  } catch {
    installed = [];
  }
  const [interfaces, gw4, gw6] = await Promise.all([
    ipJson(["-j", "addr", "show"], parseIpAddrJson, []),
    ipJson(["-j", "route", "show", "default"], parseDefaultGateways, []),
    ipJson(["-6", "-j", "route", "show", "default"], parseDefaultGateways, []),
  ]);
  return {
    release,
    ipvs: procIpvs !== null,
    ipvsVersion: parseIpvsVersion(procIpvs),
    schedulers: schedulersFromModules([...modules, ...installed]),
    interfaces,
    defaultGateways: [...gw4, ...gw6],
  };
}
