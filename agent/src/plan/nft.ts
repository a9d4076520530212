/**
 * The nftables table the agent owns for fwmark services. It is always written
 * whole, in one `nft -f` transaction (create-if-missing, delete, define), so
 * it is replaced atomically and no packet sees a half-written rule set.
 */
import { createHash } from "node:crypto";
import type { ResolvedFwmarkRule } from "../../../shared/desired-state/resolve";

export const NFT_FAMILY = "inet";
export const NFT_TABLE = "lvs_agent";
export const NFT_COMMENT = "managed by lvs-agent: do not edit, it is replaced whole";

function destinationMatch(rule: ResolvedFwmarkRule): string {
  const [address, prefix] = rule.destination.split("/");
  const host = rule.family === 4 ? prefix === "32" : prefix === "128";
  return `${rule.family === 4 ? "ip" : "ip6"} daddr ${host ? address : rule.destination}`;
}

export function formatFwmarkRule(rule: ResolvedFwmarkRule): string {
  let ports: string;
  if (rule.ports.length === 0) ports = `meta l4proto ${rule.protocol}`;
  else if (rule.ports.length === 1) ports = `${rule.protocol} dport ${rule.ports[0]}`;
  else ports = `${rule.protocol} dport { ${rule.ports.join(", ")} }`;
  return `${destinationMatch(rule)} ${ports} meta mark set 0x${rule.mark.toString(16).padStart(8, "0")}`;
}

/** The whole `nft -f` script that (re)defines the agent's table. */
export function renderNftScript(rules: readonly ResolvedFwmarkRule[]): string {
  return [
    `table ${NFT_FAMILY} ${NFT_TABLE}`,
    `delete table ${NFT_FAMILY} ${NFT_TABLE}`,
    `table ${NFT_FAMILY} ${NFT_TABLE} {`,
    `\tcomment "${NFT_COMMENT}"`,
    "\tchain prerouting {",
    "\t\ttype filter hook prerouting priority mangle; policy accept;",
    ...rules.map((rule) => `\t\t${formatFwmarkRule(rule)}`),
    "\t}",
    "}",
    "",
  ].join("\n");
}

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 32);
}
