/**
 * IP address parsing and normalisation for the cluster model.
 *
 * Private to shared/cluster: shared/net did not exist yet when the cluster
 * model was written. Addresses are stored in their canonical text form
 * (IPv4 dotted quad without leading zeros, IPv6 per RFC 5952: lower case,
 * longest zero run compressed) so that equality checks and database unique
 * constraints see one spelling per address.
 */

export type AddressFamily = "ipv4" | "ipv6";

export interface ParsedAddress {
  family: AddressFamily;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: number[];
  /** Canonical text form. */
  text: string;
}

function parseIPv4Bytes(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    // No leading zeros (ambiguous: octal in some tools), digits only.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes.push(value);
  }
  return bytes;
}

function parseIPv6Bytes(text: string): number[] | null {
  if (text.length === 0 || text.length > 45) return null;
  let head = text;
  let tailV4: number[] = [];
  // Embedded IPv4 in the last 32 bits (e.g. ::ffff:192.0.2.1).
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = parseIPv4Bytes(text.slice(lastColon + 1));
    if (!v4 || lastColon < 0) return null;
    tailV4 = v4;
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const doubleColon = head.indexOf("::");
  if (doubleColon !== head.lastIndexOf("::")) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === "") return [];
    const groups = s.split(":");
    const out: number[] = [];
    for (const group of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
      out.push(parseInt(group, 16));
    }
    return out;
  };
  const wantedGroups = 8 - tailV4.length / 2;
  let groups: number[];
  if (doubleColon >= 0) {
    const left = parseGroups(head.slice(0, doubleColon));
    const right = parseGroups(head.slice(doubleColon + 2));
    if (!left || !right) return null;
    const missing = wantedGroups - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    const all = parseGroups(head);
    if (!all || all.length !== wantedGroups) return null;
    groups = all;
  }
  const bytes: number[] = [];
  for (const g of groups) bytes.push(g >> 8, g & 0xff);
  return [...bytes, ...tailV4];
}

function formatIPv6(bytes: number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // Longest run of two or more zero groups (first one wins on ties).
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLen).join(":");
  return `${left}::${right}`;
}

/** Parses an IPv4 or IPv6 address (no prefix, no zone). Returns null when invalid. */
export function parseAddress(input: string): ParsedAddress | null {
  const text = input.trim();
  if (text.includes(":")) {
    if (text.includes("%")) return null; // zone ids are link-local only, not usable as VIPs
    const bytes = parseIPv6Bytes(text);
    return bytes ? { family: "ipv6", bytes, text: formatIPv6(bytes) } : null;
  }
  const bytes = parseIPv4Bytes(text);
  return bytes ? { family: "ipv4", bytes, text: bytes.join(".") } : null;
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
  return family === "ipv4" ? 32 : 128;
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

/** Parses "address/prefix" (CIDR). The address keeps its host bits (an interface address). */
export function parseInterfaceAddress(input: string): { address: ParsedAddress; prefixLength: number; text: string } | null {
  const slash = input.trim().split("/");
  if (slash.length !== 2) return null;
  const address = parseAddress(slash[0]);
  if (!address || !/^(0|[1-9][0-9]{0,2})$/.test(slash[1])) return null;
  const prefixLength = Number(slash[1]);
  if (prefixLength > maxPrefixLength(address.family)) return null;
  return { address, prefixLength, text: `${address.text}/${prefixLength}` };
}
