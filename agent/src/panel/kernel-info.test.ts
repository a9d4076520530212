import { describe, expect, it } from "vitest";
import { KernelInfoSchema } from "../../../shared/agent-protocol";
import { collectKernelInfo, loadedModules, parseDefaultGateways, parseIpAddrJson, parseIpvsVersion, schedulersFromModules } from "./kernel-info";

describe("kernel capabilities for hello", () => {
  it.each([
    ["IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n", "1.2.1"],
    ["garbage", null],
    [null, null],
  ])("IPVS version from /proc/net/ip_vs %#", (text, version) => {
    expect(parseIpvsVersion(text)).toBe(version);
  });

  it("schedulers: loaded modules and installed .ko files, helpers and engines are not schedulers, kernel order", () => {
    const proc = "ip_vs_wlc 16384 0 - Live 0x0\nip_vs_rr 16384 1 - Live 0x0\nip_vs_ftp 16384 0 - Live 0x0\nip_vs 184320 7 ip_vs_wlc,ip_vs_rr, Live 0x0\nnf_conntrack 1 1 - Live 0\n";
    expect(loadedModules(proc)).toEqual(["ip_vs_wlc", "ip_vs_rr", "ip_vs_ftp", "ip_vs", "nf_conntrack"]);
    expect(schedulersFromModules([...loadedModules(proc), "ip_vs_mh.ko", "ip_vs_sh.ko.xz", "ip_vs_pe_sip.ko", "ip_vs_rr.ko.zst", "ip_vs_nope.ko"])).toEqual(["rr", "wlc", "sh", "mh"]);
  });

  it("interfaces from ip -j addr (CIDR addresses, UP flag)", () => {
    const text = JSON.stringify([
      { ifindex: 1, ifname: "lo", flags: ["LOOPBACK", "UP", "LOWER_UP"], addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8 }, { family: "inet6", local: "::1", prefixlen: 128 }] },
      { ifindex: 2, ifname: "eth0", flags: ["BROADCAST", "MULTICAST"], addr_info: [] },
      { ifindex: 3, ifname: "veth-with-a-very-long-name", flags: ["UP"], addr_info: [] },
    ]);
    expect(parseIpAddrJson(text)).toEqual([
      { name: "lo", addresses: ["127.0.0.1/8", "::1/128"], up: true },
      { name: "eth0", addresses: [], up: false },
    ]);
    expect(() => parseIpAddrJson("{}")).toThrow(/not a JSON array/);
  });

  it("default gateways from ip -j route show default, multipath included, deduplicated", () => {
    expect(parseDefaultGateways(JSON.stringify([{ dst: "default", gateway: "10.0.2.2", dev: "eth0" }]))).toEqual(["10.0.2.2"]);
    expect(parseDefaultGateways(JSON.stringify([{ dst: "default", nexthops: [{ gateway: "198.51.100.1" }, { gateway: "198.51.100.2" }] }, { dst: "default", gateway: "198.51.100.1" }]))).toEqual([
      "198.51.100.1",
      "198.51.100.2",
    ]);
    expect(parseDefaultGateways("[]")).toEqual([]);
  });

  it("collecting on this machine gives a valid KernelInfo (whatever it has)", async () => {
    const info = await collectKernelInfo();
    expect(KernelInfoSchema.parse(info)).toEqual(info);
    expect(info.ipvs).toBe(info.ipvsVersion !== null);
  });
});
