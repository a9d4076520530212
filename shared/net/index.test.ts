import { describe, expect, it } from "vitest";
import {
  formatEndpoint,
  hexToIpv4,
  hexToIpv6,
  ipFamily,
  ipv4ToHex,
  ipv6ToHex,
  isValidInterfaceName,
  isValidPrefix,
  netmaskToPrefix,
  normalizeIp,
  parseCidr,
  parseEndpoint,
  portToHex,
  prefixToNetmask,
} from "./index";

describe("normalizeIp", () => {
  it.each([
    ["10.0.0.1", "10.0.0.1"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["2001:DB8::1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["::", "::"],
    ["::1", "::1"],
    ["fe80::", "fe80::"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["2001:db8:0:0:0:0:2:1", "2001:db8::2:1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
  ])("%s → %s", (input, expected) => {
    expect(normalizeIp(input)).toBe(expected);
  });

  it.each(["", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1.1", "1::2::3", "12345::", "2001:db8::g", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7::8", "fe80::1%eth0", "10.0.0.1/32", " 10.0.0.1"])(
    "rejects %j",
    (input) => {
      expect(normalizeIp(input)).toBeNull();
    },
  );
});

describe("ipFamily", () => {
  it("detects families", () => {
    expect(ipFamily("192.0.2.1")).toBe(4);
    expect(ipFamily("2001:db8::1")).toBe(6);
    expect(ipFamily("eth0")).toBeNull();
  });
});

describe("parseCidr / isValidPrefix", () => {
  it.each([
    ["192.0.2.10", { address: "192.0.2.10", prefix: 32, family: 4 }],
    ["192.0.2.10/24", { address: "192.0.2.10", prefix: 24, family: 4 }],
    ["2001:DB8::10/128", { address: "2001:db8::10", prefix: 128, family: 6 }],
    ["2001:db8::10", { address: "2001:db8::10", prefix: 128, family: 6 }],
  ])("%s", (input, expected) => {
    expect(parseCidr(input)).toEqual(expected);
  });
  it.each(["192.0.2.10/33", "192.0.2.10/", "192.0.2.10/024", "2001:db8::/129", "x/24"])("rejects %s", (input) => {
    expect(parseCidr(input)).toBeNull();
  });
  it("checks prefixes per family", () => {
    expect(isValidPrefix(32, 4)).toBe(true);
    expect(isValidPrefix(33, 4)).toBe(false);
    expect(isValidPrefix(128, 6)).toBe(true);
    expect(isValidPrefix(1.5, 6)).toBe(false);
  });
});

describe("netmasks", () => {
  it.each([
    ["255.255.255.255", 32],
    ["255.255.255.0", 24],
    ["255.255.254.0", 23],
    ["128.0.0.0", 1],
    ["0.0.0.0", 0],
  ])("%s ↔ /%d", (mask, prefix) => {
    expect(netmaskToPrefix(mask)).toBe(prefix);
    expect(prefixToNetmask(prefix)).toBe(mask);
  });
  it.each(["255.0.255.0", "255.255.255.1", "0.255.255.255", "255.255.255"])("rejects non-contiguous %s", (mask) => {
    expect(netmaskToPrefix(mask)).toBeNull();
  });
});

describe("/proc hex forms", () => {
  it("converts IPv4 and ports", () => {
    expect(ipv4ToHex("10.0.0.100")).toBe("0A000064");
    expect(hexToIpv4("0A000064")).toBe("10.0.0.100");
    expect(hexToIpv4("C0000201")).toBe("192.0.2.1");
    expect(hexToIpv4("C00002")).toBeNull();
    expect(portToHex(80)).toBe("0050");
    expect(portToHex(65535)).toBe("FFFF");
  });
  it("converts IPv6", () => {
    expect(ipv6ToHex("2001:db8::1")).toBe("20010db8000000000000000000000001");
    expect(hexToIpv6("20010db8000000000000000000000001")).toBe("2001:db8::1");
    expect(hexToIpv6("zz")).toBeNull();
  });
});

describe("endpoints", () => {
  it("formats like ipvsadm", () => {
    expect(formatEndpoint("10.0.0.1", 80)).toBe("10.0.0.1:80");
    expect(formatEndpoint("2001:db8::1", 443)).toBe("[2001:db8::1]:443");
  });
  it("parses", () => {
    expect(parseEndpoint("10.0.0.1:80")).toEqual({ address: "10.0.0.1", port: 80, family: 4 });
    expect(parseEndpoint("[2001:DB8::1]:443")).toEqual({ address: "2001:db8::1", port: 443, family: 6 });
    expect(parseEndpoint("2001:db8::1")).toEqual({ address: "2001:db8::1", port: null, family: 6 });
    expect(parseEndpoint("10.0.0.1")).toEqual({ address: "10.0.0.1", port: null, family: 4 });
    expect(parseEndpoint("10.0.0.1:70000")).toBeNull();
    expect(parseEndpoint("[2001:db8::1]80")).toBeNull();
  });
});

describe("interface names", () => {
  it.each([["eth0", true], ["lo", true], ["tunl0", true], ["enp0s31f6.100", true], ["a".repeat(16), false], ["eth0:lvs", false], ["", false], ["..", false], ["a b", false]])(
    "%s → %s",
    (name, ok) => {
      expect(isValidInterfaceName(name)).toBe(ok);
    },
  );
});
