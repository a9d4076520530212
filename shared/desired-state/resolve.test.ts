import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkInterfaces, DesiredStateValidator, documentTextOf, sysctlInterface, sysctlPath, validateDesiredState, type DesiredStateInput } from "./index";
import { desiredStateJsonSchemaText } from "./json-schema";

function base(overrides: Record<string, unknown> = {}): DesiredStateInput {
  return { schemaVersion: 1, generation: 1, ipvs: { services: [] }, addresses: [], realServer: null, sysctls: {}, fwmarks: [], ...overrides } as DesiredStateInput;
}

function web(extra: Record<string, unknown> = {}) {
  return { protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "wlc", destinations: [{ address: "10.0.0.11", forwarding: "dr" }], ...extra };
}

function issuesOf(input: unknown) {
  const result = validateDesiredState(input);
  if (result.ok) throw new Error("expected the desired state to be rejected");
  return result.issues;
}

function resolvedOf(input: unknown) {
  const result = validateDesiredState(input);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return result.resolved;
}

describe("validateDesiredState: accepted documents resolve to canonical form", () => {
  it("fills defaults and normalises addresses", () => {
    const r = resolvedOf(base({ ipvs: { services: [web({ address: "2001:DB8:0:0::10", destinations: [{ address: "2001:db8::0:11", forwarding: "nat", port: 8080 }] })] } }));
    expect(r.ipvs.services[0]).toEqual({
      key: "tcp [2001:db8::10]:80",
      protocol: "tcp",
      family: 6,
      address: "2001:db8::10",
      port: 80,
      fwmark: 0,
      scheduler: "wlc",
      flags: [],
      persistence: null,
      pe: null,
      destinations: [{ key: "[2001:db8::11]:8080", address: "2001:db8::11", port: 8080, forwarding: "nat", weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
    });
  });

  it("accepts every scheduler", () => {
    for (const scheduler of ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"]) {
      expect(resolvedOf(base({ ipvs: { services: [web({ scheduler })] } })).ipvs.services[0].scheduler).toBe(scheduler);
    }
  });

  it.each([
    ["sh", ["flag-2", "sh-fallback"], ["sh-fallback", "sh-port"]],
    ["mh", ["mh-port"], ["mh-port"]],
    ["rr", ["flag-3", "flag-1"], ["flag-1", "flag-3"]],
  ])("scheduler %s flags %j → canonical %j", (scheduler, flags, expected) => {
    expect(resolvedOf(base({ ipvs: { services: [web({ scheduler, schedulerFlags: flags })] } })).ipvs.services[0].flags).toEqual(expected);
  });

  it.each([
    ["192.0.2.10", undefined, "255.255.255.255"],
    ["192.0.2.10", "255.255.255.0", "255.255.255.0"],
    ["192.0.2.10", 16, "255.255.0.0"],
    ["2001:db8::10", undefined, "128"],
    ["2001:db8::10", 64, "64"],
  ])("persistence netmask for %s given %j → %s", (address, netmask, expected) => {
    const service = web({ address, destinations: [], persistence: { timeout: 300, ...(netmask !== undefined ? { netmask } : {}) }, persistenceEngine: "sip" });
    const r = resolvedOf(base({ ipvs: { services: [service] } }));
    expect(r.ipvs.services[0].persistence).toEqual({ timeout: 300, netmask: expected });
    expect(r.ipvs.services[0].pe).toBe("sip");
  });

  it("fwmark services get key, family and port 0 destinations", () => {
    const r = resolvedOf(
      base({ ipvs: { services: [{ protocol: "fwmark", fwmark: 7, family: "ipv6", scheduler: "rr", destinations: [{ address: "2001:db8::11", forwarding: "dr" }] }] } }),
    );
    expect(r.ipvs.services[0].key).toBe("fwmark 7 ipv6");
    expect(r.ipvs.services[0].destinations[0].key).toBe("[2001:db8::11]:0");
  });

  it("expands a DR real server into lo addresses and ARP sysctls", () => {
    const r = resolvedOf(base({ realServer: { forwarding: "dr", vips: ["192.0.2.10", "2001:db8::10"] } }));
    expect(r.addresses.map((a) => a.key)).toEqual(["lo 192.0.2.10/32", "lo 2001:db8::10/128"]);
    expect(r.addresses[0].label).toBe("lo:lvs");
    expect(r.addresses[1].label).toBeNull();
    expect(r.sysctls).toEqual({
      "net.ipv4.conf.lo.arp_ignore": "1",
      "net.ipv4.conf.lo.arp_announce": "2",
      "net.ipv4.conf.all.arp_ignore": "1",
      "net.ipv4.conf.all.arp_announce": "2",
    });
    expect(r.links).toEqual([]);
  });

  it("expands a TUN real server into tunl0, its VIP and rp_filter 0", () => {
    const r = resolvedOf(base({ realServer: { forwarding: "tun", vips: ["192.0.2.10"] }, sysctls: { "net.ipv4.conf.all.arp_ignore": 1 } }));
    expect(r.links).toEqual([{ name: "tunl0", module: "ipip" }]);
    expect(r.addresses.map((a) => a.key)).toEqual(["tunl0 192.0.2.10/32"]);
    expect(r.sysctls["net.ipv4.conf.tunl0.rp_filter"]).toBe("0");
    expect(r.sysctls["net.ipv4.conf.all.rp_filter"]).toBe("0");
  });

  it("labels IPv4 director addresses only when the label fits 15 characters", () => {
    const r = resolvedOf(base({ addresses: [{ interface: "eth0", address: "192.0.2.10/32" }, { interface: "enp0s31f6.1000", address: "192.0.2.11" }] }));
    expect(r.addresses.map((a) => a.label)).toEqual(["eth0:lvs", null]);
  });

  it("normalises fwmark rules", () => {
    const r = resolvedOf(base({ fwmarks: [{ mark: 1, family: "ipv4", protocol: "tcp", destination: "192.0.2.10", ports: [443, 80] }] }));
    expect(r.fwmarks).toEqual([{ mark: 1, family: 4, protocol: "tcp", destination: "192.0.2.10/32", ports: [80, 443] }]);
  });
});

describe("validateDesiredState with the fast path for common service entries", () => {
  it("names each bad entry by its own index when good entries (fast path) surround it, exactly as zod alone does", async () => {
    const { DesiredStateSchema } = await import("./schema");
    const services = [web({ address: "192.0.2.1" }), web({ address: "192.0.2.2", scheduler: "fastest" }), web({ address: "192.0.2.3" }), web({ address: "192.0.2.4", port: 70000 }), web({ address: "192.0.2.5", persistence: { timeout: 0 } })];
    const result = validateDesiredState(base({ ipvs: { services } }));
    expect(result.ok).toBe(false);
    const zodAlone = DesiredStateSchema.safeParse(base({ ipvs: { services } }));
    expect(zodAlone.success).toBe(false);
    const paths = (result as { issues: Array<{ path: string }> }).issues.map((i) => i.path);
    expect(paths).toEqual(["ipvs.services[1].scheduler", "ipvs.services[3].port", "ipvs.services[4].persistence.timeout"]);
    expect(paths).toEqual(zodAlone.error!.issues.map((i) => i.path.map((p, k) => (typeof p === "number" ? `[${p}]` : `${k ? "." : ""}${String(p)}`)).join("")));
  });

  it("keeps the order of the entries when some take the fast path and some do not", () => {
    const services = [web({ address: "192.0.2.1" }), web({ address: "192.0.2.2", persistence: { timeout: 60 } }), web({ address: "192.0.2.3" })];
    const result = validateDesiredState(base({ ipvs: { services } }));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.state.ipvs.services.map((s) => (s as { address: string }).address)).toEqual(["192.0.2.1", "192.0.2.2", "192.0.2.3"]);
      expect(result.state.ipvs.services[1].persistence).toEqual({ timeout: 60 });
    }
  });
});

describe("validateDesiredState: rejected documents name the path and the problem", () => {
  it.each<[string, unknown, string, RegExp]>([
    ["missing generation", { ...base(), generation: undefined }, "generation", /generation .* is required/],
    ["zero generation", base({ generation: 0 }), "generation", /must be a positive integer/],
    ["wrong schemaVersion", { ...base(), schemaVersion: 2 }, "schemaVersion", /schemaVersion must be 1/],
    ["missing section (partial document)", { schemaVersion: 1, generation: 4, ipvs: { services: [] } }, "addresses", /expected array/],
    ["unknown scheduler", base({ ipvs: { services: [web({ scheduler: "fastest" })] } }), "ipvs.services[0].scheduler", /unknown scheduler "fastest"/],
    ["bad VIP", base({ ipvs: { services: [web({ address: "192.0.2.300" })] } }), "ipvs.services[0].address", /not an IP address/],
    ["bad destination", base({ ipvs: { services: [web({ destinations: [{ address: "rs1", forwarding: "dr" }] })] } }), "ipvs.services[0].destinations[0].address", /not an IP address/],
    [
      "duplicate service",
      base({ ipvs: { services: [web(), web({ address: "192.0.2.010".replace("010", "10") })] } }),
      "ipvs.services[1]",
      /duplicate service tcp 192.0.2.10:80 \(also ipvs.services\[0\]\)/,
    ],
    [
      "duplicate destination",
      base({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", forwarding: "dr" }, { address: "10.0.0.11", port: 80, forwarding: "dr", weight: 3 }] })] } }),
      "ipvs.services[0].destinations[1]",
      /duplicate destination 10.0.0.11:80/,
    ],
    [
      "DR port remap",
      base({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", port: 8080, forwarding: "dr" }] })] } }),
      "ipvs.services[0].destinations[0].port",
      /DR forwarding cannot change the port \(service port 80, destination port 8080\).*NAT/,
    ],
    [
      "TUN port remap",
      base({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", port: 81, forwarding: "tun" }] })] } }),
      "ipvs.services[0].destinations[0].port",
      /TUN forwarding cannot change the port/,
    ],
    [
      "family mix",
      base({ ipvs: { services: [web({ destinations: [{ address: "2001:db8::11", forwarding: "nat" }] })] } }),
      "ipvs.services[0].destinations[0].address",
      /IPv6 but the service is IPv4/,
    ],
    [
      "IPv6 netmask as dotted mask",
      base({ ipvs: { services: [web({ address: "2001:db8::10", destinations: [], persistence: { timeout: 60, netmask: "255.255.255.0" } })] } }),
      "ipvs.services[0].persistence.netmask",
      /not valid for an IPv6 service/,
    ],
    [
      "non-contiguous IPv4 netmask",
      base({ ipvs: { services: [web({ persistence: { timeout: 60, netmask: "255.0.255.0" } })] } }),
      "ipvs.services[0].persistence.netmask",
      /not a valid IPv4 netmask/,
    ],
    [
      "IPv4 prefix out of range",
      base({ ipvs: { services: [web({ persistence: { timeout: 60, netmask: 33 } })] } }),
      "ipvs.services[0].persistence.netmask",
      /not a valid IPv4 netmask/,
    ],
    [
      "fwmark service with a port",
      base({ ipvs: { services: [{ protocol: "fwmark", fwmark: 1, family: "ipv4", port: 80, scheduler: "rr", destinations: [] }] } }),
      "ipvs.services[0].port",
      /matches packets by mark, not by port/,
    ],
    [
      "fwmark DR destination with a port",
      base({ ipvs: { services: [{ protocol: "fwmark", fwmark: 1, family: "ipv4", scheduler: "rr", destinations: [{ address: "10.0.0.11", port: 80, forwarding: "dr" }] }] } }),
      "ipvs.services[0].destinations[0].port",
      /takes no port/,
    ],
    ["unknown protocol", base({ ipvs: { services: [web({ protocol: "sctp" })] } }), "ipvs.services[0].protocol", /unknown protocol "sctp"/],
    ["flag of another scheduler", base({ ipvs: { services: [web({ scheduler: "rr", schedulerFlags: ["sh-port"] })] } }), "ipvs.services[0].schedulerFlags", /belongs to the sh scheduler/],
    ["flag-3 on sh", base({ ipvs: { services: [web({ scheduler: "sh", schedulerFlags: ["flag-3"] })] } }), "ipvs.services[0].schedulerFlags", /not supported with the sh scheduler/],
    ["same flag bit twice", base({ ipvs: { services: [web({ scheduler: "sh", schedulerFlags: ["flag-1", "sh-fallback"] })] } }), "ipvs.services[0].schedulerFlags", /listed twice/],
    ["pe without persistence", base({ ipvs: { services: [web({ persistenceEngine: "sip" })] } }), "ipvs.services[0].persistenceEngine", /needs persistence/],
    ["port 0 without persistence", base({ ipvs: { services: [web({ port: 0, destinations: [] })] } }), "ipvs.services[0].port", /only allowed for persistent/],
    ["weight above 65535", base({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 65536 }] })] } }), "ipvs.services[0].destinations[0].weight", /65535/],
    [
      "lower threshold above upper",
      base({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", forwarding: "dr", upperThreshold: 10, lowerThreshold: 20 }] })] } }),
      "ipvs.services[0].destinations[0].lowerThreshold",
      /above upperThreshold/,
    ],
    ["VIP with a network prefix", base({ addresses: [{ interface: "eth0", address: "192.0.2.10/24" }] }), "addresses[0].address", /use \/32, not \/24/],
    ["bad interface name", base({ addresses: [{ interface: "eth0:1", address: "192.0.2.10" }] }), "addresses[0].interface", /Linux interface name/],
    [
      "duplicate address",
      base({ addresses: [{ interface: "lo", address: "192.0.2.10" }], realServer: { forwarding: "dr", vips: ["192.0.2.10"] } }),
      "realServer.vips[0]",
      /duplicate address lo 192.0.2.10\/32 \(also addresses\[0\].address\)/,
    ],
    ["sysctl outside net.*", base({ sysctls: { "kernel.panic": 1 } }), 'sysctls["kernel.panic"]', /not a net.ipv4/],
    ["sysctl value with spaces", base({ sysctls: { "net.ipv4.ip_forward": "1 2" } }), 'sysctls["net.ipv4.ip_forward"]', /single word/],
    [
      "sysctl contradicting the real-server setup",
      base({ realServer: { forwarding: "dr", vips: ["192.0.2.10"] }, sysctls: { "net.ipv4.conf.all.arp_ignore": 0 } }),
      'sysctls["net.ipv4.conf.all.arp_ignore"]',
      /conflicts with realServer, which needs net.ipv4.conf.all.arp_ignore=1/,
    ],
    ["fwmark rule family mismatch", base({ fwmarks: [{ mark: 1, family: "ipv6", protocol: "tcp", destination: "192.0.2.10" }] }), "fwmarks[0].destination", /not an ipv6 address/],
    ["fwmark rule duplicate port", base({ fwmarks: [{ mark: 1, family: "ipv4", protocol: "tcp", destination: "192.0.2.10", ports: [80, 80] }] }), "fwmarks[0].ports", /port 80 is listed twice/],
    ["unknown top-level key", { ...base(), services: [] }, "(document)", /Unrecognized key: "services"/],
  ])("%s", (_name, input, path, message) => {
    const issues = issuesOf(input);
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("reports every problem at once", () => {
    // schema errors (types, enums) are reported together; cross-field errors together once the types are right
    expect(issuesOf(base({ generation: -1, ipvs: { services: [web({ scheduler: "nope" })] } })).map((i) => i.path)).toEqual(["generation", "ipvs.services[0].scheduler"]);
    const issues = issuesOf(
      base({ ipvs: { services: [web({ address: "x" }), web({ port: 81, destinations: [{ address: "10.0.0.11", port: 82, forwarding: "dr" }] })] }, addresses: [{ interface: "eth0", address: "1.2.3.4/8" }] }),
    );
    expect(issues.map((i) => i.path)).toEqual(["ipvs.services[0].address", "ipvs.services[1].destinations[0].port", "addresses[0].address"]);
  });
});

describe("checkInterfaces", () => {
  it("rejects unknown interfaces for addresses and per-interface sysctls, but not tunnels the agent brings up", () => {
    const r = resolvedOf(
      base({
        addresses: [{ interface: "eth1", address: "192.0.2.10" }],
        realServer: { forwarding: "tun", vips: ["192.0.2.11"] },
        sysctls: { "net.ipv4.conf.bond0.rp_filter": 0, "net.ipv4.ip_forward": 1 },
      }),
    );
    const issues = checkInterfaces(r, ["lo", "eth0"]);
    expect(issues.map((i) => i.path)).toEqual(['addresses["eth1 192.0.2.10/32"]', 'sysctls["net.ipv4.conf.bond0.rp_filter"]']);
    expect(issues[0].message).toMatch(/unknown interface "eth1" .*this host has: eth0, lo/);
    expect(checkInterfaces(r, ["lo", "eth0", "eth1", "bond0"])).toEqual([]);
  });
});

describe("sysctl keys", () => {
  it("maps to /proc/sys paths with VLAN dots", () => {
    expect(sysctlPath("net.ipv4.conf.eth0/100.rp_filter")).toBe("net/ipv4/conf/eth0.100/rp_filter");
    expect(sysctlInterface("net.ipv4.conf.eth0/100.rp_filter")).toBe("eth0.100");
    expect(sysctlInterface("net.ipv4.conf.all.rp_filter")).toBeNull();
    expect(sysctlInterface("net.ipv4.vs.conn_reuse_mode")).toBeNull();
  });
});

describe("docs/desired-state.schema.json", () => {
  it("is generated from the zod schema (run `npx tsx agent/scripts/write-json-schema.ts` after changing it)", () => {
    const checkedIn = readFileSync(path.resolve(__dirname, "../../docs/desired-state.schema.json"), "utf8");
    expect(checkedIn).toBe(desiredStateJsonSchemaText());
  });
});

describe("DesiredStateValidator: a stream of documents, unchanged services not validated again", () => {
  const many = (n: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
    Array.from({ length: n }, (_, i) => web({ address: `192.0.2.${i + 1}`, destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 1 }], ...extra(i) }));
  const withServices = (services: unknown[], generation = 1) => JSON.parse(JSON.stringify(base({ generation, ipvs: { services } })));
  /** the validator's answer must be exactly the one-shot validation's */
  const check = (validator: DesiredStateValidator, input: unknown) => {
    const once = validateDesiredState(input);
    const result = validator.validate(input);
    if (once.ok) {
      expect(result.ok).toBe(true);
      if (!result.ok) return result;
      expect(result.resolved).toEqual(once.resolved);
      expect(result.state).toEqual(once.state);
      expect(JSON.parse(documentTextOf(result.parts))).toEqual(input);
    } else expect(result).toEqual({ ok: false, issues: once.issues });
    return result;
  };

  it("reuses unchanged services (same frozen objects) and validates the changed one", () => {
    const validator = new DesiredStateValidator();
    const first = check(validator, withServices(many(40)));
    const services = many(40);
    services[7] = { ...services[7], scheduler: "rr" };
    const second = check(validator, withServices(services, 2));
    if (!first.ok || !second.ok) throw new Error("expected valid");
    expect(second.reused).toBe(39);
    expect(second.resolved.ipvs.services[0]).toBe(first.resolved.ipvs.services[0]);
    expect(second.resolved.ipvs.services[7]).not.toBe(first.resolved.ipvs.services[7]);
    expect(second.resolved.ipvs.services[7].scheduler).toBe("rr");
    expect(Object.isFrozen(second.resolved.ipvs.services[7].destinations[0])).toBe(true);
  });

  it("finds services again after an insertion moved them", () => {
    const validator = new DesiredStateValidator();
    check(validator, withServices(many(40)));
    const moved = check(validator, withServices([web({ address: "198.51.100.1" }), ...many(40)], 2));
    expect(moved.ok && moved.reused).toBe(40);
  });

  it("reports a bad changed service at its own index, and a duplicate against an unchanged one", () => {
    const validator = new DesiredStateValidator();
    check(validator, withServices(many(30)));
    const bad = many(30);
    bad[21] = { ...bad[21], scheduler: "nope" };
    const rejected = check(validator, withServices(bad, 2));
    expect(!rejected.ok && rejected.issues[0].path).toBe("ipvs.services[21].scheduler");
    const duplicate = [...many(30), web({ address: "192.0.2.3" })];
    const refused = check(validator, withServices(duplicate, 3));
    expect(!refused.ok && refused.issues[0].message).toMatch(/duplicate service tcp 192\.0\.2\.3:80 \(also ipvs\.services\[2\]\)/);
    // a rejected document is not remembered: the next one is compared with the last accepted one
    const after = check(validator, withServices(many(30), 4));
    expect(after.ok && after.reused).toBe(30);
  });

  it("a document the caller changes in place after validation is validated as it is now", () => {
    const validator = new DesiredStateValidator();
    const input = withServices(many(20));
    check(validator, input);
    input.ipvs.services[4].address = "not-an-ip";
    const result = check(validator, input);
    expect(!result.ok && result.issues.map((i) => i.path)).toEqual(["ipvs.services[4].address"]);
    input.ipvs.services[4].address = "192.0.2.5";
    input.ipvs.services[3].destinations[0].weight = -5;
    const again = check(validator, input);
    expect(!again.ok && again.issues.map((i) => i.path)).toEqual(["ipvs.services[3].destinations[0].weight"]);
  });

  it("rejects partial or malformed documents exactly like validateDesiredState", () => {
    const validator = new DesiredStateValidator();
    check(validator, withServices(many(5)));
    for (const input of [null, {}, { ...withServices(many(5)), ipvs: { services: "x" } }, { ...withServices(many(5)), extra: 1 }, { ...withServices(many(5)), addresses: undefined }]) {
      check(validator, input);
    }
  });
});

describe("DesiredStateValidator.validateDelta: services relative to the last accepted document", () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => web({ address: `192.0.2.${i + 1}`, destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 1 }] }));
  const withServices = (services: unknown[], generation = 1) => JSON.parse(JSON.stringify(base({ generation, ipvs: { services } })));
  const shellOf = (document: { ipvs: Record<string, unknown> }) => {
    const { services: _services, ...ipvs } = document.ipvs;
    return { ...document, ipvs };
  };

  it("equals validating the assembled document whole (resolved, state, text); copied services are the same frozen objects", () => {
    const validator = new DesiredStateValidator();
    const first = validator.validate(withServices(many(30)));
    if (!first.ok) throw new Error("expected valid");
    expect(validator.base).toEqual({ generation: 1, services: 30 });
    const services = many(30);
    services[7] = { ...services[7], scheduler: "rr" };
    const whole = withServices([...services, web({ address: "198.51.100.1" })], 2);
    const delta = validator.validateDelta(shellOf(whole), [[0, 7], whole.ipvs.services[7], [8, 22], whole.ipvs.services[30]], { generation: 1, services: 30 });
    const once = validateDesiredState(whole);
    if (!delta.ok || !once.ok) throw new Error("expected valid");
    expect(delta.resolved).toEqual(once.resolved);
    expect(delta.state).toEqual(once.state);
    expect(delta.document).toEqual(whole);
    expect(JSON.parse(documentTextOf(delta.parts))).toEqual(whole);
    expect(delta.reused).toBe(29);
    expect(delta.resolved.ipvs.services[0]).toBe(first.resolved.ipvs.services[0]);
    expect(delta.resolved.ipvs.services[7].scheduler).toBe("rr");
    expect(validator.base).toEqual({ generation: 2, services: 31 });
    // the next delta is relative to generation 2, and a whole document still works after deltas
    const again = validator.validateDelta(shellOf(withServices([], 3)), [[0, 31]], { generation: 2, services: 31 });
    expect(again.ok && again.reused).toBe(31);
    const full = validator.validate(whole);
    expect(full.ok && full.reused).toBe(31);
  });

  it("a base the validator does not hold: baseMismatch, nothing validated or remembered", () => {
    const validator = new DesiredStateValidator();
    expect(validator.validateDelta(shellOf(withServices([], 2)), [], { generation: 1, services: 0 })).toMatchObject({ ok: false, baseMismatch: true });
    validator.validate(withServices(many(5)));
    for (const base of [{ generation: 2, services: 5 }, { generation: 1, services: 4 }]) {
      const result = validator.validateDelta(shellOf(withServices([], 3)), [[0, 5]], base);
      expect(result).toMatchObject({ ok: false, baseMismatch: true, issues: [{ path: "(delta)", message: expect.stringMatching(/but the agent holds generation 1 with 5 services/) }] });
    }
    expect(validator.base).toEqual({ generation: 1, services: 5 });
  });

  it("an invalid delta is rejected whole and forgotten: bad entry at its assembled index, duplicate, run out of range, services in the shell", () => {
    const validator = new DesiredStateValidator();
    validator.validate(withServices(many(10)));
    const b = { generation: 1, services: 10 };
    const shell = shellOf(withServices([], 2));
    const bad = validator.validateDelta(shell, [[0, 4], { ...many(10)[4], scheduler: "nope" }, [5, 5]], b);
    expect(!bad.ok && bad.issues.map((i) => i.path)).toEqual(["ipvs.services[4].scheduler"]);
    const duplicate = validator.validateDelta(shell, [[0, 10], many(10)[2]], b);
    expect(!duplicate.ok && duplicate.issues[0].message).toMatch(/duplicate service tcp 192\.0\.2\.3:80 \(also ipvs\.services\[2\]\)/);
    const outside = validator.validateDelta(shell, [[5, 6]], b);
    expect(!outside.ok && outside.issues[0]).toMatchObject({ path: "(delta).services[0]", message: expect.stringMatching(/not a run \[from, count\] within the 10 services/) });
    const malformed = validator.validateDelta(shell, [[0, 0]], b);
    expect(malformed.ok).toBe(false);
    const inShell = validator.validateDelta(withServices(many(10), 2), [[0, 10]], b);
    expect(!inShell.ok && inShell.issues[0].path).toBe("ipvs.services");
    const badShell = validator.validateDelta({ ...shell, sysctls: "x" }, [[0, 10]], b);
    expect(!badShell.ok && badShell.issues[0].path).toBe("sysctls");
    // nothing was remembered: the base is still generation 1, and a delta against it works
    expect(validator.base).toEqual(b);
    const ok = validator.validateDelta(shell, [[0, 10]], b);
    expect(ok.ok && ok.reused).toBe(10);
  });
});

describe("DesiredStateValidator: duplicate keys across reused and new entries (same answer as validateDesiredState)", () => {
  const svc = (i: number, scheduler = "wlc") => ({ protocol: "tcp", address: `192.0.2.${i}`, port: 80, scheduler, destinations: [{ address: "10.0.0.11", forwarding: "dr" }] });
  const docOf = (services: unknown[], generation: number) => JSON.parse(JSON.stringify(base({ generation, ipvs: { services } })));
  const shellOf = (document: { ipvs: Record<string, unknown> }) => {
    const { services: _s, ...ipvs } = document.ipvs;
    return { ...document, ipvs };
  };
  const first = Array.from({ length: 20 }, (_, i) => svc(i + 1));

  it.each<[string, unknown[]]>([
    ["a new entry takes the key of a removed one", [...first.slice(0, 5), svc(6, "rr"), ...first.slice(6)]],
    ["a new entry repeats a kept key (after it)", [...first, svc(3, "rr")]],
    ["a new entry repeats a kept key (before it)", [svc(19, "rr"), ...first]],
    ["two new entries share a key", [...first, svc(50), svc(50, "rr")]],
    ["a kept entry twice", [...first, first[4]]],
    ["a kept entry's key moves to a new entry, the kept one removed", [svc(1, "rr"), ...first.slice(1)]],
  ])("%s", (_name, services) => {
    const once = validateDesiredState(docOf(services, 2));
    const whole = new DesiredStateValidator();
    whole.validate(docOf(first, 1));
    const viaWhole = whole.validate(docOf(services, 2));
    const runs = new DesiredStateValidator();
    runs.validate(docOf(first, 1));
    const items = services.map((s) => {
      const at = first.indexOf(s as (typeof first)[number]);
      return at >= 0 ? [at, 1] : s;
    });
    const viaDelta = runs.validateDelta(shellOf(docOf([], 2)), items, { generation: 1, services: 20 });
    for (const result of [viaWhole, viaDelta]) {
      if (once.ok) expect(result.ok && result.resolved).toEqual(once.resolved);
      else expect(result).toEqual({ ok: false, issues: once.issues });
    }
  });

  it("after a rejected document the key index still matches the last accepted one", () => {
    const validator = new DesiredStateValidator();
    validator.validate(docOf(first, 1));
    expect(validator.validate(docOf([...first, first[0]], 2)).ok).toBe(false);
    expect(validator.validate(docOf([...first.slice(1), svc(1, "rr")], 3)).ok).toBe(true);
    const clash = validator.validate(docOf([...first.slice(1), svc(1, "rr"), svc(1)], 4));
    expect(!clash.ok && clash.issues).toEqual([{ path: "ipvs.services[20]", message: "duplicate service tcp 192.0.2.1:80 (also ipvs.services[19])" }]);
  });
});
