/**
 * `lvs-agent status`: the actual state — the IPVS table (every service,
 * owned or not, with its destinations and counters), the addresses, sysctls
 * and nft table the agent owns, and the last applied generation.
 */
import type { IpvsTimeouts } from "../../shared/desired-state/schema";
import type { Kernel } from "./kernel/types";
import type { ActualService } from "./model";
import { addressFromKey } from "./plan/plan";
import type { AgentStore } from "./reconciler";
import { buildSample, type EntryStats } from "./stats/stats";

const zeroStats: EntryStats = { conns: 0, inpkts: 0, outpkts: 0, inbytes: 0, outbytes: 0, activeconns: 0, inactconns: 0 };

export async function collectStatus(kernel: Kernel, store: AgentStore) {
  const ledger = store.readLedger();
  const cached = store.readDesired() as { generation?: unknown } | null;
  const probe = await kernel.ipvs.probe();
  let services: ActualService[] = [];
  let timeouts: IpvsTimeouts | null = null;
  let totals = null;
  const counters = new Map<string, { service: EntryStats; destinations: Map<string, EntryStats> }>();
  if (probe.available) {
    services = await kernel.ipvs.read("full");
    timeouts = await kernel.ipvs.readTimeouts();
    const [list, proc, procStats] = await Promise.all([kernel.stats.listStats(), kernel.stats.procIpvs(), kernel.stats.procIpvsStats()]);
    const sample = buildSample(Date.now(), list, proc, procStats);
    totals = sample.totals;
    for (const [key, s] of sample.services) counters.set(key, { service: s, destinations: s.destinations });
  }
  const owned = new Set(ledger.services);
  const interfaces = new Map((await kernel.net.interfaces()).map((i) => [i.name, i]));
  const sysctls: Record<string, { value: string | null; original: string }> = {};
  for (const [key, original] of Object.entries(ledger.sysctls)) sysctls[key] = { value: await kernel.sysctl.read(key), original };
  const nft = await kernel.nft.read();
  const strip = (e: EntryStats) => ({ conns: e.conns, inpkts: e.inpkts, outpkts: e.outpkts, inbytes: e.inbytes, outbytes: e.outbytes, activeconns: e.activeconns, inactconns: e.inactconns });
  return {
    generation: typeof cached?.generation === "number" ? cached.generation : null,
    ipvs: {
      available: probe.available,
      reason: probe.reason,
      timeouts,
      totals,
      services: services.map((s) => {
        const c = counters.get(s.key);
        return {
          key: s.key,
          owned: owned.has(s.key),
          protocol: s.protocol,
          family: s.family === 6 ? "ipv6" : "ipv4",
          address: s.address,
          port: s.port,
          fwmark: s.fwmark,
          scheduler: s.scheduler,
          flags: s.flags,
          persistence: s.persistence,
          pe: s.pe,
          ...strip(c?.service ?? zeroStats),
          destinations: s.destinations.map((d) => ({ ...d, ...strip(c?.destinations.get(d.key) ?? zeroStats) })),
        };
      }),
    },
    addresses: ledger.addresses.map((key) => {
      const a = addressFromKey(key);
      const present = interfaces.get(a.interface)?.addresses.find((x) => x.address === a.address && x.prefix === a.prefix);
      return { interface: a.interface, address: a.address, prefix: a.prefix, present: !!present, label: present?.label ?? null };
    }),
    links: ledger.links.map((name) => ({ name, up: interfaces.get(name)?.up ?? false })),
    sysctls,
    nft: { table: "inet lvs_agent", exists: nft.exists, owned: ledger.nft !== null || nft.managed },
  };
}

export type AgentStatus = Awaited<ReturnType<typeof collectStatus>>;

export function formatStatus(status: AgentStatus): string {
  const lines: string[] = [];
  lines.push(`last applied generation: ${status.generation ?? "none"}`);
  if (!status.ipvs.available) lines.push(`IPVS: ${status.ipvs.reason}`);
  else {
    lines.push(`IPVS: ${status.ipvs.services.length} service(s)${status.ipvs.timeouts ? `, timeouts tcp ${status.ipvs.timeouts.tcp} tcpfin ${status.ipvs.timeouts.tcpfin} udp ${status.ipvs.timeouts.udp}` : ""}`);
    for (const s of status.ipvs.services) {
      lines.push(`  ${s.key} ${s.scheduler}${s.owned ? "" : " (not owned)"}  conns ${s.conns} active ${s.activeconns} inactive ${s.inactconns} in ${s.inbytes}B out ${s.outbytes}B`);
      for (const d of s.destinations) lines.push(`    -> ${d.key} ${d.forwarding} w${d.weight}  conns ${d.conns} active ${d.activeconns} inactive ${d.inactconns}`);
    }
  }
  lines.push(`addresses owned: ${status.addresses.map((a) => `${a.interface} ${a.address}/${a.prefix}${a.present ? "" : " (missing)"}`).join(", ") || "none"}`);
  lines.push(`sysctls managed: ${Object.entries(status.sysctls).map(([k, v]) => `${k}=${v.value} (was ${v.original})`).join(", ") || "none"}`);
  lines.push(`nft table inet lvs_agent: ${status.nft.exists ? "present" : "absent"}`);
  return lines.join("\n") + "\n";
}
