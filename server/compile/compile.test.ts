import { describe, expect, it } from "vitest";
import type { KernelInfo } from "@/shared/agent-protocol";
import { validateDesiredState } from "@/shared/desired-state";
import type { ClusterSnapshot, SnapshotRealServer, SnapshotService } from "@/shared/revisions";
import { compile, diffStates, sameState, type CompileHostInfo } from "./index";
import { hostsOfSnapshot, modelDiff } from "./model-diff";

function host(id: string, extra: Partial<CompileHostInfo> = {}): CompileHostInfo {
  return { id, name: id, managementAddress: "198.51.100.1", interfaceAddresses: [], kernel: null, ...extra };
}

function kernel(defaultGateways: string[], addresses: string[] = []): KernelInfo {
  return { release: "6.1", ipvs: true, ipvsVersion: "1.2.1", schedulers: ["rr"], interfaces: [{ name: "eth0", addresses, up: true }], defaultGateways };
}

function rs(id: string, address: string, extra: Partial<SnapshotRealServer> = {}): SnapshotRealServer {
  return { id, hostId: null, hostName: null, address, port: null, forwarding: "DR", weight: 1, upperThreshold: 0, lowerThreshold: 0, enabled: true, ...extra };
}

function svc(id: string, extra: Partial<SnapshotService> = {}): SnapshotService {
  return {
    id,
    protocol: "TCP",
    address: "192.0.2.10",
    family: "ipv4",
    port: 80,
    fwmark: null,
    markProtocol: null,
    markPorts: [],
    scheduler: "rr",
    schedulerFlags: [],
    persistenceTimeout: null,
    persistenceNetmask: null,
    persistenceEngine: null,
    description: "",
    enabled: true,
    realServers: [],
    ...extra,
  };
}

function cluster(id: string, services: SnapshotService[], directors: [string, string][] = [["lb1", "eth0"]]): ClusterSnapshot {
  return {
    cluster: { id, name: id, description: "" },
    directors: directors.map(([hostId, vipInterface], i) => ({ id: `${id}-d${i}`, hostId, hostName: hostId, vipInterface, priority: 100 })),
    services,
  };
}

const HOSTS = ["lb1", "lb2", "rs1", "rs2"].map((id) => host(id));

function stateOf(out: ReturnType<typeof compile>, hostId: string) {
  const h = out.byHost.get(hostId);
  if (!h) throw new Error(`no state for ${hostId}`);
  return h.state;
}

/** Every compiled state passes validateDesiredState (a failure is a compile bug). */
function expectAllValid(out: ReturnType<typeof compile>) {
  for (const [hostId, h] of out.byHost) {
    const r = validateDesiredState({ ...h.state, generation: 1 });
    expect(r.ok, `${hostId}: ${r.ok ? "" : JSON.stringify(r.issues)}`).toBe(true);
  }
  expect(out.lints.filter((l) => l.message.startsWith("internal"))).toEqual([]);
}

describe("compile: directors and real servers per forwarding method", () => {
  it.each([
    [
      "DR",
      { forwarding: "DR" as const },
      { destination: { address: "10.0.0.11", forwarding: "dr" }, realServer: { forwarding: "dr", vips: ["192.0.2.10"] }, sysctls: {} },
    ],
    [
      "TUN",
      { forwarding: "TUN" as const },
      { destination: { address: "10.0.0.11", forwarding: "tun" }, realServer: { forwarding: "tun", vips: ["192.0.2.10"] }, sysctls: {} },
    ],
    [
      "NAT with port remap",
      { forwarding: "NAT" as const, port: 8080 },
      { destination: { address: "10.0.0.11", port: 8080, forwarding: "nat" }, realServer: null, sysctls: { "net.ipv4.ip_forward": 1 } },
    ],
  ])("%s", (_name, rsFields, expected) => {
    const out = compile({
      clusters: [cluster("web", [svc("s1", { realServers: [rs("r1", "10.0.0.11", { hostId: "rs1", hostName: "rs1", weight: 3, ...rsFields })] })])],
      hosts: HOSTS,
    });
    expectAllValid(out);
    const director = stateOf(out, "lb1");
    expect(director.ipvs.services).toEqual([
      { protocol: "tcp", address: "192.0.2.10", port: 80, scheduler: "rr", schedulerFlags: [], destinations: [{ ...expected.destination, weight: 3, upperThreshold: 0, lowerThreshold: 0 }] },
    ]);
    expect(director.addresses).toEqual([{ interface: "eth0", address: "192.0.2.10" }]);
    expect(director.sysctls).toEqual(expected.sysctls);
    expect(director.realServer).toBeNull();
    const real = stateOf(out, "rs1");
    expect(real.realServer).toEqual(expected.realServer);
    expect(real.ipvs.services).toEqual([]);
    expect(real.addresses).toEqual([]);
  });

  it("FWMARK: IPVS fwmark service, the VIP, and the nft mark rule with sorted ports", () => {
    const out = compile({
      clusters: [
        cluster("media", [
          svc("s1", {
            protocol: "FWMARK",
            port: null,
            fwmark: 7,
            markProtocol: "tcp",
            markPorts: [443, 80],
            persistenceTimeout: 300,
            persistenceNetmask: 24,
            realServers: [rs("r1", "10.0.0.11", { hostId: "rs1", hostName: "rs1" })],
          }),
          svc("s2", { protocol: "FWMARK", port: null, fwmark: 8, address: "192.0.2.20", markProtocol: "udp", markPorts: [] }),
          svc("s3", { protocol: "FWMARK", port: null, fwmark: 9, address: "192.0.2.30", markProtocol: null }),
        ]),
      ],
      hosts: HOSTS,
    });
    expectAllValid(out);
    const director = stateOf(out, "lb1");
    expect(director.ipvs.services.map((s) => ("fwmark" in s ? s.fwmark : null))).toEqual([7, 8, 9]);
    expect(director.ipvs.services[0]).toMatchObject({ protocol: "fwmark", family: "ipv4", persistence: { timeout: 300, netmask: 24 } });
    expect(director.fwmarks).toEqual([
      { mark: 7, family: "ipv4", protocol: "tcp", destination: "192.0.2.10", ports: [80, 443] },
      { mark: 8, family: "ipv4", protocol: "udp", destination: "192.0.2.20" },
    ]);
    expect(director.addresses.map((a) => a.address)).toEqual(["192.0.2.10", "192.0.2.20", "192.0.2.30"]);
    expect(stateOf(out, "rs1").realServer).toEqual({ forwarding: "dr", vips: ["192.0.2.10"] });
    expect(out.lints).toContainEqual(expect.objectContaining({ level: "info", message: expect.stringMatching(/FWMARK 9 .* has no mark rule/) }));
  });

  it("IPv6: VIP on the director's interface, forwarding sysctl for NAT, DR VIP on the real server", () => {
    const out = compile({
      clusters: [
        cluster(
          "v6",
          [
            svc("s1", {
              address: "2001:db8::10",
              family: "ipv6",
              realServers: [rs("r1", "2001:db8::11", { hostId: "rs1", hostName: "rs1" }), rs("r2", "2001:db8::12", { forwarding: "NAT" })],
            }),
          ],
          [["lb1", "bond0.100"]],
        ),
      ],
      hosts: HOSTS,
    });
    expectAllValid(out);
    const director = stateOf(out, "lb1");
    expect(director.addresses).toEqual([{ interface: "bond0.100", address: "2001:db8::10" }]);
    expect(director.sysctls).toEqual({ "net.ipv6.conf.all.forwarding": 1 });
    expect(stateOf(out, "rs1").realServer).toEqual({ forwarding: "dr", vips: ["2001:db8::10"] });
  });

  it("a host that directs one cluster and is a real server in another gets the union", () => {
    const out = compile({
      clusters: [
        cluster("front", [svc("s1", { realServers: [rs("r1", "10.0.0.21", { hostId: "lb2", hostName: "lb2" })] })], [["lb1", "eth0"]]),
        cluster("back", [svc("s2", { address: "192.0.2.50", port: 5432, realServers: [rs("r2", "10.0.0.31")] })], [["lb2", "eth1"]]),
      ],
      hosts: HOSTS,
    });
    expectAllValid(out);
    const both = stateOf(out, "lb2");
    expect(both.ipvs.services.map((s) => ("address" in s ? `${s.address}:${s.port}` : ""))).toEqual(["192.0.2.50:5432"]);
    expect(both.addresses).toEqual([{ interface: "eth1", address: "192.0.2.50" }]);
    expect(both.realServer).toEqual({ forwarding: "dr", vips: ["192.0.2.10"] });
    const roles = out.byHost.get("lb2")!.roles;
    expect([...roles.get("front")!]).toEqual(["realServer"]);
    expect([...roles.get("back")!]).toEqual(["director"]);
  });

  it("a host that is a DR real server in one service and TUN in another: tun block plus the DR VIP on lo", () => {
    const out = compile({
      clusters: [
        cluster("mixed", [
          svc("s1", { realServers: [rs("r1", "10.0.0.11", { hostId: "rs1", hostName: "rs1", forwarding: "DR" })] }),
          svc("s2", { address: "192.0.2.20", realServers: [rs("r2", "10.0.0.11", { hostId: "rs1", hostName: "rs1", forwarding: "TUN" })] }),
        ]),
      ],
      hosts: HOSTS,
    });
    expectAllValid(out);
    const real = stateOf(out, "rs1");
    expect(real.realServer).toEqual({ forwarding: "tun", vips: ["192.0.2.20"] });
    expect(real.addresses).toEqual([{ interface: "lo", address: "192.0.2.10" }]);
  });

  it("disabled services and disabled real servers are absent (the host keeps an empty state)", () => {
    const out = compile({
      clusters: [
        cluster("web", [
          svc("s1", { enabled: false, realServers: [rs("r1", "10.0.0.11", { hostId: "rs1", hostName: "rs1" })] }),
          svc("s2", { address: "192.0.2.20", realServers: [rs("r2", "10.0.0.12", { hostId: "rs2", hostName: "rs2", enabled: false }), rs("r3", "10.0.0.13")] }),
        ]),
      ],
      hosts: HOSTS,
    });
    expectAllValid(out);
    const director = stateOf(out, "lb1");
    expect(director.ipvs.services).toHaveLength(1);
    expect(director.ipvs.services[0].destinations.map((d) => d.address)).toEqual(["10.0.0.13"]);
    expect(director.addresses.map((a) => a.address)).toEqual(["192.0.2.20"]);
    expect(stateOf(out, "rs1")).toMatchObject({ ipvs: { services: [] }, addresses: [], realServer: null, fwmarks: [] });
    expect(stateOf(out, "rs2").realServer).toBeNull();
  });

  it("scheduler flags, persistence engine and thresholds pass through", () => {
    const out = compile({
      clusters: [
        cluster("sip", [
          svc("s1", {
            protocol: "UDP",
            port: 5060,
            scheduler: "sh",
            schedulerFlags: ["sh-port"],
            persistenceTimeout: 60,
            persistenceEngine: "sip",
            realServers: [rs("r1", "10.0.0.11", { upperThreshold: 100, lowerThreshold: 50 })],
          }),
        ]),
      ],
      hosts: HOSTS,
    });
    expectAllValid(out);
    expect(stateOf(out, "lb1").ipvs.services[0]).toEqual({
      protocol: "udp",
      address: "192.0.2.10",
      port: 5060,
      scheduler: "sh",
      schedulerFlags: ["sh-port"],
      persistence: { timeout: 60 },
      persistenceEngine: "sip",
      destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 1, upperThreshold: 100, lowerThreshold: 50 }],
    });
  });
});

describe("compile: lints", () => {
  const natCluster = (rsHost: string) =>
    cluster("nat", [svc("s1", { realServers: [rs("r1", "10.0.0.11", { hostId: rsHost, hostName: rsHost, forwarding: "NAT" })] })]);

  it.each<[string, CompileHostInfo[], "warning" | "info" | null]>([
    ["gateway unknown (agent never connected)", [host("lb1"), host("rs1")], "info"],
    ["gateway is the director's management address", [host("lb1", { managementAddress: "10.0.0.1" }), host("rs1", { kernel: kernel(["10.0.0.1"]) })], null],
    ["gateway is an address the director's agent reported", [host("lb1", { kernel: kernel([], ["10.0.0.254/24"]) }), host("rs1", { kernel: kernel(["10.0.0.254"]) })], null],
    ["gateway is an inventory interface address", [host("lb1", { interfaceAddresses: ["10.0.0.253/24"] }), host("rs1", { kernel: kernel(["10.0.0.253"]) })], null],
    ["gateway is some other router", [host("lb1", { managementAddress: "10.0.0.1" }), host("rs1", { kernel: kernel(["10.0.0.99"]) })], "warning"],
    ["no default route", [host("lb1"), host("rs1", { kernel: kernel([]) })], "warning"],
  ])("NAT real server: %s", (_name, hosts, level) => {
    const out = compile({ clusters: [natCluster("rs1")], hosts });
    expectAllValid(out);
    const lints = out.lints.filter((l) => l.hostId === "rs1");
    if (level === null) expect(lints).toEqual([]);
    else expect(lints).toEqual([expect.objectContaining({ level, hostName: "rs1" })]);
    if (level === "warning") expect(lints[0].message).toMatch(/NAT real server rs1 does not route via the director/);
    // a NAT real server gets no state of its own
    expect(stateOf(out, "rs1")).toMatchObject({ ipvs: { services: [] }, addresses: [], realServer: null, sysctls: {} });
  });

  it("the same IPVS service on one host from two clusters is an error and compiled once", () => {
    const mark = { protocol: "FWMARK" as const, port: null, fwmark: 5 };
    const out = compile({
      clusters: [cluster("a", [svc("s1", mark)]), cluster("b", [svc("s2", { ...mark, address: "192.0.2.99" })])],
      hosts: HOSTS,
    });
    expectAllValid(out);
    expect(stateOf(out, "lb1").ipvs.services).toHaveLength(1);
    expect(out.lints[0]).toMatchObject({ level: "error", hostId: "lb1", message: expect.stringMatching(/lb1 directs fwmark 5 ipv4 in both a and b/) });
  });

  it("a real server of the other address family is an error and left out", () => {
    const out = compile({ clusters: [cluster("x", [svc("s1", { realServers: [rs("r1", "2001:db8::11", { forwarding: "TUN" }), rs("r2", "10.0.0.12")] })])], hosts: HOSTS });
    expectAllValid(out);
    expect(stateOf(out, "lb1").ipvs.services[0].destinations.map((d) => d.address)).toEqual(["10.0.0.12"]);
    expect(out.lints).toEqual([expect.objectContaining({ level: "error", message: expect.stringMatching(/2001:db8::11 .* is IPv6 but the VIP is not/) })]);
  });
});

describe("state diffs", () => {
  const one = compile({ clusters: [cluster("web", [svc("s1", { realServers: [rs("r1", "10.0.0.11", { weight: 1 })] })])], hosts: HOSTS });
  const two = compile({ clusters: [cluster("web", [svc("s1", { realServers: [rs("r1", "10.0.0.11", { weight: 5 })] })])], hosts: HOSTS });

  it.each([
    ["nothing before", null, one, ["+ service tcp 192.0.2.10:80 rr", "+ destination tcp 192.0.2.10:80 -> 10.0.0.11:80 dr weight 1", "+ address eth0 192.0.2.10/32"]],
    ["a weight change", one, two, ["- destination tcp 192.0.2.10:80 -> 10.0.0.11:80 dr weight 1", "+ destination tcp 192.0.2.10:80 -> 10.0.0.11:80 dr weight 5"]],
    ["no change", one, one, []],
  ])("%s", (_name, before, after, lines) => {
    const b = before ? before.byHost.get("lb1")!.state : null;
    const a = after.byHost.get("lb1")!.state;
    expect(diffStates(b, a)).toEqual(lines);
    expect(sameState(b, a)).toBe(lines.length === 0);
  });

  it("sameState ignores the informational host name", () => {
    const a = one.byHost.get("lb1")!.state;
    expect(sameState(a, { ...a, host: "renamed" })).toBe(true);
  });
});

describe("modelDiff", () => {
  const base = cluster("web", [svc("s1", { realServers: [rs("r1", "10.0.0.11"), rs("r2", "10.0.0.12")] })]);

  it.each<[string, (c: ClusterSnapshot) => ClusterSnapshot, object[]]>([
    ["nothing", (c) => c, []],
    [
      "a weight change",
      (c) => ({ ...c, services: [{ ...c.services[0], realServers: [{ ...c.services[0].realServers[0], weight: 7 }, c.services[0].realServers[1]] }] }),
      [{ kind: "changed", entity: "realServer", label: "10.0.0.11", parentLabel: "TCP 192.0.2.10:80", fields: [{ field: "weight", before: "1", after: "7" }] }],
    ],
    [
      "a real server removed and a service added",
      (c) => ({ ...c, services: [{ ...c.services[0], realServers: [c.services[0].realServers[0]] }, svc("s9", { port: 443 })] }),
      [
        { kind: "removed", entity: "realServer", label: "10.0.0.12", parentLabel: "TCP 192.0.2.10:80" },
        { kind: "added", entity: "service", label: "TCP 192.0.2.10:443", fields: expect.arrayContaining([{ field: "port", before: null, after: "443" }]) },
      ],
    ],
    [
      "a director's VIP interface and the scheduler",
      (c) => ({ ...c, directors: [{ ...c.directors[0], vipInterface: "eth1" }], services: [{ ...c.services[0], scheduler: "wlc" }] }),
      [
        { kind: "changed", entity: "director", label: "lb1", fields: [{ field: "vipInterface", before: "eth0", after: "eth1" }] },
        { kind: "changed", entity: "service", fields: [{ field: "scheduler", before: "rr", after: "wlc" }] },
      ],
    ],
  ])("%s", (_name, change, expected) => {
    const diff = modelDiff(base, change(structuredClone(base)));
    expect(diff).toHaveLength(expected.length);
    expected.forEach((e, i) => expect(diff[i]).toMatchObject(e));
  });

  it("everything is added when nothing was applied", () => {
    expect(modelDiff(null, base).map((c) => `${c.kind} ${c.entity}`)).toEqual(["added director", "added service", "added realServer", "added realServer"]);
  });

  it("hostsOfSnapshot lists directors and inventory real servers with their roles", () => {
    const snap = cluster("c", [svc("s1", { realServers: [rs("r1", "10.0.0.11", { hostId: "lb1", hostName: "lb1" }), rs("r2", "10.0.0.12", { hostId: "rs2", hostName: "rs2" })] })]);
    const hosts = hostsOfSnapshot(snap);
    expect([...hosts.get("lb1")!.roles].sort()).toEqual(["director", "realServer"]);
    expect([...hosts.get("rs2")!.roles]).toEqual(["realServer"]);
  });
});
