/**
 * Address helpers of the cluster model, on top of shared/net (the one place
 * that parses IP addresses). Addresses are stored in their canonical text
 * form (IPv4 dotted quad, IPv6 per RFC 5952) so that equality checks and
 * database unique constraints see one spelling per address.
 */
import { formatIPv4, formatIPv6, maxPrefix, parseCidr, parseIPv4, parseIPv6 } from "@/shared/net";

export type AddressFamily = "ipv4" | "ipv6";

export interface ParsedAddress {
  family: AddressFamily;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: number[];
  /** Canonical text form. */
  text: string;
}

/** Parses an IPv4 or IPv6 address (no prefix, no zone). Returns null when invalid. */
export function parseAddress(input: string): ParsedAddress | null {
  const text = input.trim();
  const v4 = parseIPv4(text);
  if (v4) return { family: "ipv4", bytes: v4, text: formatIPv4(v4) };
  const v6 = parseIPv6(text);
  if (v6) return { family: "ipv6", bytes: v6, text: formatIPv6(v6) };
  return null;
}

/** Canonical text of an address, or null when it is not an IP address. */
export function normaliseAddress(input: string): string | null {
  return parseAddress(input)?.text ?? null;
}

export function addressFamily(input: string): AddressFamily | null {
  return parseAddress(input)?.family ?? null;
}

/** Largest prefix length for a family: 32 (IPv4) or 128 (IPv6). */
export function maxPrefixLength(family: AddressFamily): number {
  return maxPrefix(family === "ipv4" ? 4 : 6);
}

/**
 * A sort key that orders addresses numerically (IPv4 before IPv6), e.g. for
 * listing virtual services by VIP. Fixed width, so plain string order works.
 */
export function addressSortKey(input: string): string {
  const parsed = parseAddress(input);
  if (!parsed) return `9${input}`;
  const hex = parsed.bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return parsed.family === "ipv4" ? `4${hex.padEnd(32, "0")}` : `6${hex}`;
}

/** Parses "address/prefix" as configured on an interface (host bits kept); the prefix is required. */
export function parseInterfaceAddress(input: string): { address: string; prefixLength: number; text: string } | null {
  const text = input.trim();
  if (!text.includes("/")) return null;
  const cidr = parseCidr(text);
  if (!cidr) return null;
  return { address: cidr.address, prefixLength: cidr.prefix, text: `${cidr.address}/${cidr.prefix}` };
}
