import { describe, expect, it } from "vitest";
import {
  checkRealServer,
  checkRealServerDuplicates,
  hostCreateInput,
  issuesToFieldErrors,
  realServerCreateInput,
  tokenCreateInput,
  userCreateInput,
  virtualServiceCreateInput,
  virtualServiceFieldsSchema,
  virtualServiceKey,
  SCHEDULERS,
  addressSortKey,
  directorAddInput,
  parseMarkPortsText,
} from "./index";

const base = { clusterId: "c1", protocol: "TCP" as const, address: "192.0.2.10", port: 80 };

/** Field errors of parsing a service-create payload, or null when valid. */
function serviceErrors(patch: Record<string, unknown>) {
  const r = virtualServiceCreateInput.safeParse({ ...base, ...patch });
  return r.success ? null : issuesToFieldErrors(r.error.issues);
}

describe("virtual service: addresses", () => {
  it.each([
    ["192.0.2.10", "192.0.2.10"],
    [" 192.0.2.10 ", "192.0.2.10"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::0:1", "2001:db8::1"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
  ])("accepts %s, stored as %s", (input, stored) => {
    const r = virtualServiceCreateInput.safeParse({ ...base, address: input });
    expect(r.success && r.data.address).toBe(stored);
  });

  it.each(["", "192.0.2", "192.0.2.256", "192.0.2.010", "2001:db8:::1", "fe80::1%eth0", "example.com", "192.0.2.0/24"])(
    "rejects %j with a message on address",
    (address) => {
      expect(serviceErrors({ address })?.address?.[0]).toMatch(/IP address|IPv4 or IPv6 address/);
    },
  );
});

describe("virtual service: numeric ranges", () => {
  it.each([
    ["port", 0, /between 1 and 65535/],
    ["port", 65536, /between 1 and 65535/],
    ["port", 70000, /between 1 and 65535/],
    ["port", 80.5, /whole number/],
    ["persistenceTimeout", 0, /between 1 and/],
    ["persistenceTimeout", 31 * 24 * 3600 + 1, /between 1 and/],
  ])("%s = %s is refused", (field, value, message) => {
    expect(serviceErrors({ [field]: value })?.[field]?.[0]).toMatch(message);
  });

  it.each([1, 65535])("port %s is accepted", (port) => {
    expect(serviceErrors({ port })).toBeNull();
  });

  it.each([
    [0, false],
    [1, true],
    [2147483647, true],
    [2147483648, false],
  ])("fwmark %s accepted: %s", (fwmark, ok) => {
    const errors = serviceErrors({ protocol: "FWMARK", port: null, fwmark });
    expect(errors === null).toBe(ok);
    if (!ok) expect(errors?.fwmark?.[0]).toMatch(/between 1 and 2147483647/);
  });
});

describe("virtual service: schedulers and flags", () => {
  it.each(SCHEDULERS.map((s) => [s]))("scheduler %s is known", (scheduler) => {
    expect(serviceErrors({ scheduler })).toBeNull();
  });
  it.each(["roundrobin", "WLC", "", "lc2"])("scheduler %j is refused", (scheduler) => {
    expect(serviceErrors({ scheduler })?.scheduler?.[0]).toMatch(/Unknown scheduler/);
  });
  it.each([
    ["sh", ["sh-fallback", "sh-port"], null],
    ["mh", ["mh-port"], null],
    ["sh", ["mh-port"], /Unknown flag mh-port for sh/],
    ["wlc", ["sh-port"], /takes no flags/],
    ["sh", ["sh-port", "sh-port"], /listed twice/],
  ] as const)("%s with flags %j", (scheduler, schedulerFlags, message) => {
    const errors = serviceErrors({ scheduler, schedulerFlags });
    if (message === null) expect(errors).toBeNull();
    else expect(errors?.schedulerFlags?.[0]).toMatch(message);
  });
});

describe("virtual service: port vs fwmark", () => {
  it.each([
    [{ protocol: "TCP", port: null }, "port", /TCP services need a port/],
    [{ protocol: "UDP", port: null }, "port", /UDP services need a port/],
    [{ protocol: "TCP", fwmark: 5 }, "fwmark", /only used by FWMARK/],
    [{ protocol: "FWMARK", port: null, fwmark: null }, "fwmark", /need a firewall mark/],
    [{ protocol: "FWMARK", port: 80, fwmark: 5 }, "port", /leave the port empty/],
  ])("%j → %s", (patch, field, message) => {
    expect(serviceErrors(patch)?.[field]?.[0]).toMatch(message);
  });
  it("FWMARK with a mark and no port is valid", () => {
    expect(serviceErrors({ protocol: "FWMARK", port: null, fwmark: 7 })).toBeNull();
  });
});

describe("virtual service: persistence netmask per family", () => {
  it.each([
    ["192.0.2.10", 24, 120, null],
    ["192.0.2.10", 32, 120, null],
    ["192.0.2.10", 33, 120, /IPv4 VIP .* 1 to 32/],
    ["192.0.2.10", 64, 120, /IPv4 VIP .* 1 to 32/],
    ["2001:db8::10", 64, 120, null],
    ["2001:db8::10", 128, 120, null],
    ["2001:db8::10", 129, 120, /at most 128/],
    ["192.0.2.10", 0, 120, /at least 1/],
    ["192.0.2.10", 24, null, /needs a persistence timeout/],
  ] as const)("VIP %s netmask /%s timeout %s", (address, persistenceNetmask, persistenceTimeout, message) => {
    const errors = serviceErrors({ address, persistenceNetmask, persistenceTimeout });
    if (message === null) expect(errors).toBeNull();
    else expect(errors?.persistenceNetmask?.[0]).toMatch(message);
  });
  it("a persistence engine needs a timeout", () => {
    expect(serviceErrors({ persistenceEngine: "sip" })?.persistenceEngine?.[0]).toMatch(/needs a persistence timeout/);
    expect(serviceErrors({ persistenceEngine: "sip", persistenceTimeout: 60, protocol: "UDP" })).toBeNull();
    expect(serviceErrors({ persistenceEngine: "http", persistenceTimeout: 60 })?.persistenceEngine?.[0]).toMatch(/sip/);
  });
});

describe("real servers inside a service payload", () => {
  const rs = (p: Record<string, unknown>) => ({ address: "10.0.0.1", ...p });
  it.each([
    [rs({ forwarding: "DR", port: 8080 }), "realServers.0.port", /DR forwarding cannot remap port 80 to 8080/],
    [rs({ forwarding: "TUN", port: 81 }), "realServers.0.port", /TUN forwarding cannot remap/],
    [rs({ weight: -1 }), "realServers.0.weight", /between 0 and 65535/],
    [rs({ weight: 65536 }), "realServers.0.weight", /between 0 and 65535/],
    [rs({ port: 0 }), "realServers.0.port", /between 1 and 65535/],
    [rs({ address: "2001:db8::5" }), "realServers.0.address", /DR needs the same address family/],
    [rs({ address: "192.0.2.10" }), "realServers.0.address", /cannot be the VIP itself/],
    [rs({ address: null }), "realServers.0.address", /Choose a host or enter an address/],
    [rs({ upperThreshold: 10, lowerThreshold: 20 }), "realServers.0.lowerThreshold", /must not exceed/],
    [rs({ lowerThreshold: 5 }), "realServers.0.lowerThreshold", /needs an upper threshold/],
    [rs({ forwarding: "MASQ" }), "realServers.0.forwarding", /DR, NAT or TUN/],
  ])("%j → %s", (server, field, message) => {
    expect(serviceErrors({ realServers: [server] })?.[field]?.[0]).toMatch(message);
  });

  it.each([
    [rs({ forwarding: "NAT", port: 8080 })],
    [rs({ forwarding: "DR", port: 80 })],
    [rs({ forwarding: "DR", port: null })],
    [rs({ weight: 0 })],
    [rs({ weight: 65535 })],
    [rs({ forwarding: "TUN", address: "2001:db8::5" })],
    [rs({ upperThreshold: 100, lowerThreshold: 50 })],
  ])("%j is valid", (server) => {
    expect(serviceErrors({ realServers: [server] })).toBeNull();
  });

  it("the same real server twice (port given once, implied once) is refused on the second", () => {
    const errors = serviceErrors({ realServers: [rs({}), rs({ address: "10.0.0.2" }), rs({ port: 80 })] });
    expect(errors?.["realServers.2.address"]?.[0]).toMatch(/Same real server as #1/);
    expect(Object.keys(errors ?? {})).toEqual(["realServers.2.address"]);
  });

  it("the same address on different NAT ports is two real servers", () => {
    expect(
      serviceErrors({ realServers: [rs({ forwarding: "NAT", port: 8080 }), rs({ forwarding: "NAT", port: 8081 })] }),
    ).toBeNull();
  });

  it("FWMARK services: DR real servers take no port; NAT may", () => {
    const fw = { protocol: "FWMARK", port: null, fwmark: 3 };
    expect(serviceErrors({ ...fw, realServers: [rs({ port: 80 })] })?.["realServers.0.port"]?.[0]).toMatch(
      /leave the port empty/,
    );
    expect(serviceErrors({ ...fw, realServers: [rs({ forwarding: "NAT", port: 80 })] })).toBeNull();
  });
});

describe("pure rules used by the server after merging an update", () => {
  it("checkRealServer reports DR remaps relative to the real server", () => {
    expect(
      checkRealServer(
        { protocol: "UDP", address: "192.0.2.1", port: 53 },
        { address: "10.0.0.1", port: 5353, forwarding: "DR", upperThreshold: 0, lowerThreshold: 0 },
      ),
    ).toEqual([{ path: ["port"], message: expect.stringMatching(/cannot remap port 53 to 5353/) }]);
  });
  it("checkRealServerDuplicates compares effective ports", () => {
    expect(checkRealServerDuplicates({ port: 443 }, [{ address: "10.0.0.1", port: null }, { address: "10.0.0.1", port: 443 }])).toHaveLength(1);
    expect(checkRealServerDuplicates({ port: 443 }, [{ address: "10.0.0.1", port: null }, { address: "10.0.0.2", port: 443 }])).toHaveLength(0);
  });
  it("virtualServiceFieldsSchema refuses a merged update that breaks the port/fwmark rule", () => {
    const r = virtualServiceFieldsSchema.safeParse({ protocol: "FWMARK", address: "192.0.2.1", port: 80, fwmark: null });
    expect(r.success).toBe(false);
  });
  it("service identity keys ignore the fields that do not identify", () => {
    expect(virtualServiceKey({ protocol: "TCP", address: "192.0.2.1", port: 80, fwmark: null })).toBe("TCP|192.0.2.1|80");
    expect(virtualServiceKey({ protocol: "FWMARK", address: "192.0.2.1", port: null, fwmark: 9 })).toBe("FWMARK|9");
  });
  it("address sort keys order numerically and IPv4 first", () => {
    const sorted = ["2001:db8::1", "192.0.2.10", "192.0.2.9", "10.0.0.1"].sort((a, b) =>
      addressSortKey(a).localeCompare(addressSortKey(b)),
    );
    expect(sorted).toEqual(["10.0.0.1", "192.0.2.9", "192.0.2.10", "2001:db8::1"]);
  });
});

describe("other inputs", () => {
  it("real server create needs a host or an address", () => {
    const r = realServerCreateInput.safeParse({ virtualServiceId: "v1" });
    expect(r.success ? null : issuesToFieldErrors(r.error.issues).address).toEqual(["Choose a host or enter an address"]);
    expect(realServerCreateInput.safeParse({ virtualServiceId: "v1", hostId: "h1" }).success).toBe(true);
  });
  it.each([
    [{ name: "lb-1", managementAddress: "192.0.2.5" }, null],
    [{ name: "lb_1", managementAddress: "192.0.2.5" }, "name"],
    [{ name: "lb-1", managementAddress: "lb-1.example" }, "managementAddress"],
    [{ name: "lb-1", managementAddress: "192.0.2.5", interfaces: [{ name: "eth0", addresses: ["192.0.2.5"] }] }, "interfaces.0.addresses.0"],
    [{ name: "lb-1", managementAddress: "192.0.2.5", interfaces: [{ name: "eth0" }, { name: "eth0" }] }, "interfaces.1.name"],
    [{ name: "lb-1", managementAddress: "192.0.2.5", labels: { "Bad Key": "x" } }, "labels.Bad Key"],
  ])("host %j → error on %s", (input, field) => {
    const r = hostCreateInput.safeParse(input);
    if (field === null) expect(r.success).toBe(true);
    else expect(r.success ? [] : Object.keys(issuesToFieldErrors(r.error.issues))).toContain(field);
  });
  it("interface addresses are normalised", () => {
    const r = hostCreateInput.parse({ name: "a", managementAddress: "192.0.2.5", interfaces: [{ name: "eth0", addresses: ["2001:DB8::5/64"] }] });
    expect(r.interfaces[0].addresses).toEqual(["2001:db8::5/64"]);
  });
  it.each([
    [{ username: "alice", password: "long enough pw", role: "operator" }, null],
    [{ username: "Alice", password: "long enough pw" }, null],
    [{ username: "al", password: "long enough pw" }, "username"],
    [{ username: "alice", password: "short" }, "password"],
    [{ username: "alice", password: "long enough pw", role: "root" }, "role"],
  ])("user %j → error on %s", (input, field) => {
    const r = userCreateInput.safeParse(input);
    if (field === null) expect(r.success).toBe(true);
    else expect(r.success ? [] : Object.keys(issuesToFieldErrors(r.error.issues))).toContain(field);
  });
  it("usernames are lower-cased", () => {
    expect(userCreateInput.parse({ username: "Alice", password: "long enough pw" }).username).toBe("alice");
  });
  it("tokens need a name and a role", () => {
    expect(tokenCreateInput.safeParse({ name: "ci", role: "operator" }).success).toBe(true);
    expect(tokenCreateInput.safeParse({ name: "", role: "operator" }).success).toBe(false);
    expect(tokenCreateInput.safeParse({ name: "ci", role: "root" }).success).toBe(false);
  });
});

describe("FWMARK mark rule (markProtocol, markPorts)", () => {
  const fw = { protocol: "FWMARK", port: null, fwmark: 7 };
  it.each<[string, Record<string, unknown>, string | null, RegExp | null]>([
    ["no mark rule (marked elsewhere)", { ...fw }, null, null],
    ["tcp, every port", { ...fw, markProtocol: "tcp" }, null, null],
    ["udp with ports", { ...fw, markProtocol: "udp", markPorts: [53, 5353] }, null, null],
    ["ports without a protocol", { ...fw, markPorts: [80] }, "markProtocol", /Choose TCP or UDP/],
    ["a port out of range", { ...fw, markProtocol: "tcp", markPorts: [0] }, "markPorts.0", /between 1 and 65535/],
    ["a port listed twice", { ...fw, markProtocol: "tcp", markPorts: [80, 443, 80] }, "markPorts", /Port 80 is listed twice/],
    ["16 ports", { ...fw, markProtocol: "tcp", markPorts: Array.from({ length: 16 }, (_, i) => 8000 + i) }, "markPorts", /At most 15 ports/],
    ["an unknown protocol", { ...fw, markProtocol: "sctp" }, "markProtocol", /tcp or udp/],
    ["a mark rule on a TCP service", { markProtocol: "tcp" }, "markProtocol", /only used by FWMARK/],
    ["mark ports on a TCP service", { markPorts: [80] }, "markPorts", /only used by FWMARK/],
  ])("%s", (_name, patch, field, message) => {
    const errors = serviceErrors(patch);
    if (field === null) expect(errors).toBeNull();
    else expect(errors?.[field]?.[0]).toMatch(message!);
  });

  it("parseMarkPortsText reads form text", () => {
    expect(parseMarkPortsText("80, 443 8080")).toEqual([80, 443, 8080]);
    expect(parseMarkPortsText("")).toEqual([]);
    expect(parseMarkPortsText("80,http")).toBeNull();
  });
});

describe("director VIP interface", () => {
  it.each([
    ["eth0", true],
    ["bond0.100", true],
    ["enp0s31f6", true],
    ["", false],
    ["eth0:1", false],
    ["a-very-long-interface", false],
    ["has space", false],
  ])("%j accepted: %s", (vipInterface, ok) => {
    const r = directorAddInput.safeParse({ clusterId: "c1", hostId: "h1", vipInterface });
    expect(r.success).toBe(ok);
    if (!ok) expect(issuesToFieldErrors(r.error!.issues).vipInterface?.[0]).toMatch(/Linux interface name/);
  });

  it("defaults to eth0", () => {
    expect(directorAddInput.parse({ clusterId: "c1", hostId: "h1" }).vipInterface).toBe("eth0");
  });
});
