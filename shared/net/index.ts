/**
 * IP address helpers shared by the panel and the agent. Pure functions, no
 * Node-only imports: addresses are parsed into bytes and printed back in
 * canonical form (dotted quad for IPv4, RFC 5952 for IPv6).
 */

export type IpFamily = 4 | 6;

/** Parses a dotted-quad IPv4 address into 4 bytes, or null. No leading zeros, no shorthand. (Hot path: hand-rolled.) */
export function parseIPv4(text: string): number[] | null {
  const bytes: number[] = [];
  let value = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; /* "." ends the last part */
    if (c === 46) {
      if (digits === 0 || value > 255 || bytes.length === 4) return null;
      bytes.push(value);
      value = 0;
      digits = 0;
      leadingZero = false;
    } else if (c >= 48 && c <= 57) {
      if (leadingZero) return null;
      if (digits === 0 && c === 48) leadingZero = true;
      value = value * 10 + (c - 48);
      if (++digits > 3) return null;
    } else {
      return null;
    }
  }
  return bytes.length === 4 ? bytes : null;
}

/** Parses IPv6 text (any valid RFC 4291 form, embedded IPv4 allowed, no zone) into 16 bytes, or null. */
export function parseIPv6(text: string): number[] | null {
  if (text.length < 2 || text.length > 45 || text.includes("%")) return null;
  let head = text;
  let tail4: number[] | null = null;
  const lastColon = text.lastIndexOf(":");
  if (lastColon >= 0 && text.slice(lastColon + 1).includes(".")) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return null;
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const doubleColon = head.indexOf("::");
  if (doubleColon !== head.lastIndexOf("::")) return null;
  const groupsText = (part: string): string[] => (part === "" ? [] : part.split(":"));
  let groups: string[];
  if (doubleColon >= 0) {
    const left = groupsText(head.slice(0, doubleColon));
    const right = groupsText(head.slice(doubleColon + 2));
    const missing = 8 - left.length - right.length;
    if (missing < 1) return null;
    groups = [...left, ...Array<string>(missing).fill("0"), ...right];
  } else {
    groups = head.split(":");
  }
  if (groups.length !== 8) return null;
  const bytes: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  if (tail4) bytes.splice(12, 4, ...tail4);
  return bytes;
}

export function ipFamily(text: string): IpFamily | null {
  if (parseIPv4(text)) return 4;
  if (parseIPv6(text)) return 6;
  return null;
}

export const isIPv4 = (text: string): boolean => parseIPv4(text) !== null;
export const isIPv6 = (text: string): boolean => parseIPv6(text) !== null;
export const isIp = (text: string): boolean => ipFamily(text) !== null;

export function formatIPv4(bytes: readonly number[]): string {
  return bytes.join(".");
}

/** RFC 5952 text: lower case, no leading zeros, the longest run (≥ 2) of zero groups as "::". */
export function formatIPv6(bytes: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(":");
  if (bestLength < 2) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** Canonical text of an address, or null when it is not an IP address. */
export function normalizeIp(text: string): string | null {
  const v4 = parseIPv4(text);
  if (v4) return text; // a valid dotted quad (no leading zeros) is already canonical
  const v6 = parseIPv6(text);
  if (v6) return formatIPv6(v6);
  return null;
}

export function maxPrefix(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

export function isValidPrefix(prefix: number, family: IpFamily): boolean {
  return Number.isInteger(prefix) && prefix >= 0 && prefix <= maxPrefix(family);
}

export interface Cidr {
  address: string;
  prefix: number;
  family: IpFamily;
}

/** Parses "ADDR" or "ADDR/PREFIX"; the address is normalised, a missing prefix is the host prefix. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const addressText = slash >= 0 ? text.slice(0, slash) : text;
  const family = ipFamily(addressText);
  if (!family) return null;
  let prefix = maxPrefix(family);
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return null;
    prefix = Number(prefixText);
    if (!isValidPrefix(prefix, family)) return null;
  }
  return { address: normalizeIp(addressText)!, prefix, family };
}

export function formatCidr(cidr: Pick<Cidr, "address" | "prefix">): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** "255.255.255.0" → 24; null when the text is not a contiguous IPv4 netmask. */
export function netmaskToPrefix(netmask: string): number | null {
  const bytes = parseIPv4(netmask);
  if (!bytes) return null;
  const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
  let ones = 0;
  while (ones < 32 && ((value >>> (31 - ones)) & 1) === 1) ones++;
  const expected = ones === 0 ? 0 : (0xffffffff << (32 - ones)) >>> 0;
  return value === expected ? ones : null;
}

export function prefixToNetmask(prefix: number): string {
  if (!isValidPrefix(prefix, 4)) throw new RangeError(`IPv4 prefix out of range: ${prefix}`);
  const value = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return formatIPv4([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
}

/** IPv4 in the /proc/net/ip_vs form: 8 upper-case hex digits, network order ("0A000064"). */
export function ipv4ToHex(address: string): string {
  const bytes = parseIPv4(address);
  if (!bytes) throw new TypeError(`not an IPv4 address: ${address}`);
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

export function hexToIpv4(hex: string): string | null {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < 8; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return formatIPv4(bytes);
}

/** IPv6 as 32 hex digits (the /proc/net/if_inet6 form). */
export function ipv6ToHex(address: string): string {
  const bytes = parseIPv6(address);
  if (!bytes) throw new TypeError(`not an IPv6 address: ${address}`);
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexToIpv6(hex: string): string | null {
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 2) bytes.push(parseInt(hex.slice(i, i + 2), 16));
  return formatIPv6(bytes);
}

/** A port in the /proc form: 4 upper-case hex digits ("0050"). */
export function portToHex(port: number): string {
  return port.toString(16).padStart(4, "0").toUpperCase();
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/** "10.0.0.1:80" or "[2001:db8::1]:80" (the ipvsadm form). */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Parses "ADDR:PORT", "[V6]:PORT", or a bare address (port null). Address normalised. */
export function parseEndpoint(text: string): { address: string; port: number | null; family: IpFamily } | null {
  let addressText = text;
  let portText: string | null = null;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) return null;
    addressText = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) return null;
      portText = rest.slice(1);
    }
  } else if (text.split(":").length === 2) {
    [addressText, portText] = text.split(":");
  }
  const family = ipFamily(addressText);
  if (!family) return null;
  let port: number | null = null;
  if (portText !== null) {
    if (!/^[0-9]{1,5}$/.test(portText)) return null;
    port = Number(portText);
    if (!isValidPort(port)) return null;
  }
  return { address: normalizeIp(addressText)!, port, family };
}

/** Linux interface names: 1–15 bytes, no "/", ":" or whitespace, not "." or "..". */
export function isValidInterfaceName(name: string): boolean {
  return /^[A-Za-z0-9_.@-]{1,15}$/.test(name) && name !== "." && name !== "..";
}
