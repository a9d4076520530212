import { describe, expect, it } from "vitest";
import { validateDesiredState, type ResolvedState } from "../../../shared/desired-state";
import { parseSavedRules } from "../ipvsadm/rules";
import { emptyLedger, type ActualState, type InterfaceState, type Ledger } from "../model";
import { hashText, renderNftScript } from "./nft";
import { plan } from "./plan";

function desired(overrides: Record<string, unknown> = {}): ResolvedState {
  const result = validateDesiredState({ schemaVersion: 1, generation: 1, ipvs: { services: [] }, addresses: [], realServer: null, sysctls: {}, fwmarks: [], ...overrides });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.resolved;
}

function actual(options: { rules?: string; ledger?: Partial<Ledger>; interfaces?: InterfaceState[]; sysctls?: Record<string, string | null>; ipvs?: boolean; nft?: ActualState["nft"]; timeouts?: ActualState["timeouts"] } = {}): ActualState {
  const services = parseSavedRules(options.rules ?? "").map((s) => ({ ...s, flagsKnown: true, thresholdsKnown: true }));
  return {
    ipvs: { available: options.ipvs ?? true, reason: null, services: new Map(services.map((s) => [s.key, s])) },
    timeouts: options.timeouts ?? null,
    interfaces: new Map((options.interfaces ?? [{ name: "lo", up: true, addresses: [] }, { name: "eth0", up: true, addresses: [] }]).map((i) => [i.name, i])),
    sysctls: options.sysctls ?? {},
    nft: options.nft ?? { exists: false, managed: false, listingHash: null },
    ledger: { ...emptyLedger(), ...options.ledger },
  };
}

const web = (extra: Record<string, unknown> = {}) => ({
  protocol: "tcp",
  address: "192.0.2.10",
  port: 80,
  scheduler: "wlc",
  destinations: [
    { address: "10.0.0.11", forwarding: "dr" },
    { address: "10.0.0.12", forwarding: "dr" },
  ],
  ...extra,
});

const WEB_RULES = `-A -t 192.0.2.10:80 -s wlc
-a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1
-a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1
`;
const OWNS_WEB = { services: ["tcp 192.0.2.10:80"] };
const commands = (d: ResolvedState, a: ActualState) => plan(d, a).map((op) => op.command);

describe("plan: IPVS services and destinations", () => {
  it.each<[string, ResolvedState, ActualState, string[]]>([
    ["add a service with its destinations", desired({ ipvs: { services: [web()] } }), actual(), [
      "ipvsadm -A -t 192.0.2.10:80 -s wlc",
      "ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1",
      "ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1",
    ]],
    ["nothing to do", desired({ ipvs: { services: [web()] } }), actual({ rules: WEB_RULES, ledger: OWNS_WEB }), []],
    [
      "add a destination",
      desired({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", forwarding: "dr" }, { address: "10.0.0.12", forwarding: "dr" }, { address: "10.0.0.13", forwarding: "dr", weight: 0 }] })] } }),
      actual({ rules: WEB_RULES, ledger: OWNS_WEB }),
      ["ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.13:80 -g -w 0"],
    ],
    [
      "edit a weight in place",
      desired({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 5 }, { address: "10.0.0.12", forwarding: "dr" }] })] } }),
      actual({ rules: WEB_RULES, ledger: OWNS_WEB }),
      ["ipvsadm -e -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 5"],
    ],
    [
      "edit thresholds and forwarding in place",
      desired({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.11", forwarding: "tun", upperThreshold: 100, lowerThreshold: 10 }, { address: "10.0.0.12", forwarding: "dr" }] })] } }),
      actual({ rules: WEB_RULES, ledger: OWNS_WEB }),
      ["ipvsadm -e -t 192.0.2.10:80 -r 10.0.0.11:80 -i -w 1 -x 100 -y 10 --tun-type ipip"],
    ],
    ["edit the scheduler in place", desired({ ipvs: { services: [web({ scheduler: "rr" })] } }), actual({ rules: WEB_RULES, ledger: OWNS_WEB }), ["ipvsadm -E -t 192.0.2.10:80 -s rr"]],
    [
      "edit persistence, engine and flags in place",
      desired({ ipvs: { services: [web({ scheduler: "sh", schedulerFlags: ["sh-port"], persistence: { timeout: 600, netmask: 24 }, persistenceEngine: "sip" })] } }),
      actual({ rules: WEB_RULES, ledger: OWNS_WEB }),
      ["ipvsadm -E -t 192.0.2.10:80 -s sh -p 600 -M 255.255.255.0 --pe sip -b sh-port"],
    ],
    ["turn persistence off in place", desired({ ipvs: { services: [web()] } }), actual({ rules: WEB_RULES.replace("-s wlc", "-s wlc -p 300"), ledger: OWNS_WEB }), ["ipvsadm -E -t 192.0.2.10:80 -s wlc"]],
    [
      "remove a destination",
      desired({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.12", forwarding: "dr" }] })] } }),
      actual({ rules: WEB_RULES, ledger: OWNS_WEB }),
      ["ipvsadm -d -t 192.0.2.10:80 -r 10.0.0.11:80"],
    ],
    [
      "replace a destination: add before delete",
      desired({ ipvs: { services: [web({ destinations: [{ address: "10.0.0.12", forwarding: "dr" }, { address: "10.0.0.14", forwarding: "dr" }] })] } }),
      actual({ rules: WEB_RULES, ledger: OWNS_WEB }),
      ["ipvsadm -a -t 192.0.2.10:80 -r 10.0.0.14:80 -g -w 1", "ipvsadm -d -t 192.0.2.10:80 -r 10.0.0.11:80"],
    ],
    ["remove an owned service", desired(), actual({ rules: WEB_RULES, ledger: OWNS_WEB }), ["ipvsadm -D -t 192.0.2.10:80"]],
    ["a foreign service is never touched", desired(), actual({ rules: WEB_RULES }), []],
    [
      "changing the protocol is an add of the new service, then a delete of the old one",
      desired({ ipvs: { services: [web({ protocol: "udp" })] } }),
      actual({ rules: WEB_RULES, ledger: OWNS_WEB }),
      [
        "ipvsadm -A -u 192.0.2.10:80 -s wlc",
        "ipvsadm -a -u 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1",
        "ipvsadm -a -u 192.0.2.10:80 -r 10.0.0.12:80 -g -w 1",
        "ipvsadm -D -t 192.0.2.10:80",
      ],
    ],
    [
      "fwmark IPv6 service",
      desired({ ipvs: { services: [{ protocol: "fwmark", fwmark: 8, family: "ipv6", scheduler: "rr", destinations: [{ address: "2001:db8::11", forwarding: "dr" }] }] } }),
      actual(),
      ["ipvsadm -A -f 8 -6 -s rr", "ipvsadm -a -f 8 -6 -r [2001:db8::11]:0 -g -w 1"],
    ],
  ])("%s", (_name, d, a, expected) => {
    expect(commands(d, a)).toEqual(expected);
  });

  it("a desired service that exists but is not owned is a conflict, and nothing else is planned for it", () => {
    const ops = plan(desired({ ipvs: { services: [web({ scheduler: "rr" })] } }), actual({ rules: WEB_RULES }));
    expect(ops).toHaveLength(1);
    expect(ops[0]).toMatchObject({ kind: "ipvs-conflict", service: "tcp 192.0.2.10:80" });
    expect(ops[0].summary).toMatch(/already exists but was not created by lvs-agent/);
  });

  it("does not compare what a cheap read could not see", () => {
    const a = actual({ rules: WEB_RULES, ledger: OWNS_WEB });
    const service = a.ipvs.services.get("tcp 192.0.2.10:80")!;
    service.flagsKnown = false;
    service.thresholdsKnown = false;
    service.persistence = { timeout: -1, netmask: "255.255.255.255" };
    const d = desired({ ipvs: { services: [web({ scheduler: "wlc", persistence: { timeout: 60 }, destinations: [{ address: "10.0.0.11", forwarding: "dr", upperThreshold: 5 }, { address: "10.0.0.12", forwarding: "dr" }] })] } });
    expect(commands(d, a)).toEqual([]);
  });
});

describe("plan: addresses, links, sysctls, timeouts, nft", () => {
  it("adds a VIP with the agent's label and removes only owned ones", () => {
    const eth0: InterfaceState = { name: "eth0", up: true, addresses: [{ address: "192.0.2.99", prefix: 32, family: 4, label: null }, { address: "192.0.2.11", prefix: 32, family: 4, label: "eth0:lvs" }] };
    const a = actual({ interfaces: [{ name: "lo", up: true, addresses: [] }, eth0], ledger: { addresses: ["eth0 192.0.2.11/32"] } });
    expect(commands(desired({ addresses: [{ interface: "eth0", address: "192.0.2.10" }, { interface: "eth0", address: "2001:db8::10" }] }), a)).toEqual([
      "ip addr add 192.0.2.10/32 dev eth0 label eth0:lvs",
      "ip -6 addr add 2001:db8::10/128 dev eth0 nodad",
      "ip addr del 192.0.2.11/32 dev eth0",
    ]);
  });

  it("an address that already exists is left as it is (the foreign 192.0.2.99 is never removed)", () => {
    const eth0: InterfaceState = { name: "eth0", up: true, addresses: [{ address: "192.0.2.99", prefix: 32, family: 4, label: null }] };
    expect(commands(desired({ addresses: [{ interface: "eth0", address: "192.0.2.99" }] }), actual({ interfaces: [eth0] }))).toEqual([]);
    expect(commands(desired(), actual({ interfaces: [eth0] }))).toEqual([]);
  });

  it("sets sysctls, recording the original, and restores the original when the key leaves", () => {
    const d = desired({ sysctls: { "net.ipv4.ip_forward": 1 } });
    const ops = plan(d, actual({ sysctls: { "net.ipv4.ip_forward": "0" } }));
    expect(ops).toEqual([expect.objectContaining({ kind: "sysctl-set", key: "net.ipv4.ip_forward", value: "1", original: "0", command: "sysctl -w net.ipv4.ip_forward=1" })]);
    expect(commands(desired(), actual({ sysctls: { "net.ipv4.ip_forward": "1" }, ledger: { sysctls: { "net.ipv4.ip_forward": "0" } } }))).toEqual(["sysctl -w net.ipv4.ip_forward=0"]);
    expect(commands(desired(), actual({ sysctls: { "net.ipv4.ip_forward": "0" }, ledger: { sysctls: { "net.ipv4.ip_forward": "0" } } }))).toEqual([]);
    // a later change keeps the very first original
    expect(plan(desired({ sysctls: { "net.ipv4.ip_forward": 2 } }), actual({ sysctls: { "net.ipv4.ip_forward": "1" }, ledger: { sysctls: { "net.ipv4.ip_forward": "0" } } }))[0]).toMatchObject({ original: "0" });
  });

  it("sets up a TUN real server: module + tunnel up first (its sysctls exist only then), then sysctls, then its address", () => {
    const d = desired({ realServer: { forwarding: "tun", vips: ["192.0.2.10"] } });
    const sysctls = { "net.ipv4.conf.lo.arp_ignore": "0", "net.ipv4.conf.lo.arp_announce": "0", "net.ipv4.conf.all.arp_ignore": "0", "net.ipv4.conf.all.arp_announce": "0", "net.ipv4.conf.tunl0.rp_filter": null, "net.ipv4.conf.all.rp_filter": "2" };
    expect(commands(d, actual({ sysctls }))).toEqual([
      "modprobe ipip && ip link set tunl0 up",
      "sysctl -w net.ipv4.conf.lo.arp_ignore=1",
      "sysctl -w net.ipv4.conf.lo.arp_announce=2",
      "sysctl -w net.ipv4.conf.all.arp_ignore=1",
      "sysctl -w net.ipv4.conf.all.arp_announce=2",
      "sysctl -w net.ipv4.conf.tunl0.rp_filter=0",
      "sysctl -w net.ipv4.conf.all.rp_filter=0",
      "ip addr add 192.0.2.10/32 dev tunl0 label tunl0:lvs",
    ]);
    const down = actual({ interfaces: [{ name: "tunl0", up: true, addresses: [] }], ledger: { links: ["tunl0"] } });
    expect(commands(desired(), down)).toEqual(["ip link set tunl0 down"]);
  });

  it("sets IPVS timeouts and restores them", () => {
    const d = desired({ ipvs: { services: [], timeouts: { tcp: 900, tcpfin: 30, udp: 60 } } });
    expect(plan(d, actual({ timeouts: { tcp: 900, tcpfin: 120, udp: 300 } }))).toEqual([
      expect.objectContaining({ kind: "ipvs-set-timeouts", command: "ipvsadm --set 900 30 60", original: { tcp: 900, tcpfin: 120, udp: 300 } }),
    ]);
    expect(commands(d, actual({ timeouts: { tcp: 900, tcpfin: 30, udp: 60 } }))).toEqual([]);
    expect(commands(desired(), actual({ timeouts: { tcp: 900, tcpfin: 30, udp: 60 }, ledger: { timeouts: { tcp: 900, tcpfin: 120, udp: 300 } } }))).toEqual(["ipvsadm --set 900 120 300"]);
  });

  it("replaces the owned nft table whole when the rules or the table changed, and deletes it when no rules remain", () => {
    const rules = [{ mark: 1, family: "ipv4" as const, protocol: "tcp" as const, destination: "192.0.2.10", ports: [80, 443] }];
    const d = desired({ fwmarks: rules });
    const script = renderNftScript(d.fwmarks);
    expect(script).toContain("ip daddr 192.0.2.10 tcp dport { 80, 443 } meta mark set 0x00000001");
    const created = plan(d, actual());
    expect(created).toEqual([expect.objectContaining({ kind: "nft-replace", script, specHash: hashText(script) })]);
    const inSync = actual({ nft: { exists: true, managed: true, listingHash: "L1" }, ledger: { nft: { specHash: hashText(script), listingHash: "L1" } } });
    expect(plan(d, inSync)).toEqual([]);
    const editedByHand = actual({ nft: { exists: true, managed: true, listingHash: "L2" }, ledger: { nft: { specHash: hashText(script), listingHash: "L1" } } });
    expect(plan(d, editedByHand).map((op) => op.kind)).toEqual(["nft-replace"]);
    expect(commands(desired(), inSync)).toEqual(["nft delete table inet lvs_agent"]);
  });

  it("a table named like the agent's but not created by it is a conflict", () => {
    const ops = plan(desired({ fwmarks: [{ mark: 1, family: "ipv4", protocol: "udp", destination: "192.0.2.10" }] }), actual({ nft: { exists: true, managed: false, listingHash: "X" } }));
    expect(ops.map((op) => op.kind)).toEqual(["nft-conflict"]);
  });

  it("orders a whole plan: sysctls, links, addresses, nft, services, destinations, then deletes and restores", () => {
    const d = desired({
      ipvs: { services: [web({ address: "192.0.2.20" })] },
      addresses: [{ interface: "eth0", address: "192.0.2.20" }],
      sysctls: { "net.ipv4.ip_forward": 1 },
      fwmarks: [{ mark: 2, family: "ipv4", protocol: "tcp", destination: "192.0.2.20" }],
    });
    const a = actual({
      rules: WEB_RULES,
      sysctls: { "net.ipv4.ip_forward": "0", "net.ipv4.vs.expire_nodest_conn": "1" },
      interfaces: [{ name: "eth0", up: true, addresses: [{ address: "192.0.2.10", prefix: 32, family: 4, label: "eth0:lvs" }] }],
      ledger: { services: ["tcp 192.0.2.10:80"], addresses: ["eth0 192.0.2.10/32"], sysctls: { "net.ipv4.vs.expire_nodest_conn": "0" } },
    });
    expect(plan(d, a).map((op) => op.kind)).toEqual([
      "sysctl-set",
      "address-add",
      "nft-replace",
      "ipvs-add-service",
      "ipvs-add-dest",
      "ipvs-add-dest",
      "ipvs-delete-service",
      "address-delete",
      "sysctl-restore",
    ]);
  });
});
