import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConnectionsReplySchema, ConnectionsRequestSchema, type ConnectionsRequest } from "../../../shared/agent-protocol";
import { FakeKernel } from "../kernel/fake";
import { connectionOwner, parseConnectionLine, parseServiceKey, readConnectionTable, zeroOwnedCounters } from "./connections";
import { parseIpvsList } from "../ipvsadm/listing";

// Recorded on the lab kernel by lab/scenarios/record-conn-fixtures.sh (see fixtures/conn/RECORDED.txt):
// DR 10.0.0.100 :80 rr (held connection + 4 requests), :443 persistent 60, UDP :53, fwmark 7 persistent (:8080), [fd00::100]:80.
const read = (name: string) => readFileSync(path.join(__dirname, "fixtures", "conn", name), "utf8");
const procLines = read("proc-net-ip_vs_conn.txt").split("\n");
const ipvsadmLcn = read("ipvsadm-Lcn.txt");

/** `ipvsadm -Lcn` rows as {protocol, client, virtual, destination, state, expiresIn} (mm:ss → seconds). */
function fromIpvsadm(text: string) {
  return text
    .split("\n")
    .slice(2)
    .filter(Boolean)
    .map((line) => {
      const [protocol, expire, state, client, virtual, destination] = line.trim().split(/\s+/);
      const [m, s] = expire.split(":").map(Number);
      return { protocol, client, virtual, destination, state, expiresIn: m * 60 + s };
    });
}

describe("/proc/net/ip_vs_conn parser", () => {
  it("reads every entry like ipvsadm -Lcn (IPv4, IPv6, UDP, templates), the fwmark template as 'fwmark 7'", () => {
    const parsed = procLines.map(parseConnectionLine).filter((c) => c !== null);
    const expected = fromIpvsadm(ipvsadmLcn).map((r) => (r.virtual === "0.0.0.7:0" ? { ...r, virtual: "fwmark 7" } : r));
    expect(parsed.map(({ protocol, client, virtual, destination, state, expiresIn }) => ({ protocol, client, virtual, destination, state, expiresIn }))).toEqual(expected);
    expect(parsed).toHaveLength(13);
    expect(new Set(parsed.map((c) => c.state))).toEqual(new Set(["ESTABLISHED", "ASSURED", "FIN_WAIT", "UDP", "CLOSE"]));
  });

  it.each([
    ["header", "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData"],
    ["blank", ""],
    ["truncated", "TCP 0A00000A DD20 0A000064 0050"],
    ["bad address", "TCP 0A00000Z DD20 0A000064 0050 0A00000C 0050 ESTABLISHED     899"],
    ["bad port", "TCP 0A00000A DD2 0A000064 0050 0A00000C 0050 ESTABLISHED     899"],
  ])("skips a %s line", (_name, line) => {
    expect(parseConnectionLine(line)).toBeNull();
  });

  it("an IPv6 fwmark template (mark in the first 32 bits) and persistence-engine columns", () => {
    const v6 = parseConnectionLine("IP  fd00:0000:0000:0000:0000:0000:0000:0010 0000 0000:0009:0000:0000:0000:0000:0000:0000 0000 fd00:0000:0000:0000:0000:0000:0000:0011 0000 ASSURED     300");
    expect(v6).toMatchObject({ virtual: "fwmark 9", client: "[fd00::10]:0", destination: "[fd00::11]:0" });
    const sip = parseConnectionLine("UDP 0A00000A 13C4 0A000064 13C4 0A00000B 13C4 UDP             299 sip 1234@example.test");
    expect(sip).toMatchObject({ protocol: "UDP", client: "10.0.0.10:5060", state: "UDP", expiresIn: 299 });
  });
});

describe("which service a connection belongs to", () => {
  const table = parseIpvsList(read("ipvsadm-Ln.txt"));
  const virtuals = new Set(table.filter((s) => s.protocol !== "fwmark").map((s) => `${s.protocol.toUpperCase()} ${s.key.split(" ")[1]}`));
  const rows = procLines.map(parseConnectionLine).filter((c) => c !== null);
  const ownerOf = connectionOwner(table, virtuals);
  const count = (key: string) => rows.filter((c) => ownerOf(c)?.key === key).length;

  it.each([
    ["tcp 10.0.0.100:80", 5], // held ESTABLISHED + 4 closed requests
    ["tcp 10.0.0.100:443", 3], // template (client port 0) + 2 connections
    ["udp 10.0.0.100:53", 2],
    ["fwmark 7 ipv4", 2], // its template + the :8080 connection (no TCP service there, real server 10.0.0.12)
    ["tcp [fd00::100]:80", 1],
  ])("%s: %i", (key, n) => {
    expect(count(key)).toBe(n);
  });

  it("every entry is claimed by exactly one service", () => {
    expect(rows.every((c) => ownerOf(c) !== null)).toBe(true);
  });
});

describe("connection table request", () => {
  const kernel = new FakeKernel();
  const setup = kernel.ipvs.restore(
    read("ipvsadm-Ln.txt")
      .split("\n")
      .flatMap((line) => {
        // the recorded table as ipvsadm -R lines
        const t = line.trim().split(/\s+/);
        if (t[0] === "TCP" || t[0] === "UDP") return [`-A ${t[0] === "TCP" ? "-t" : "-u"} ${t[1]} -s rr`];
        if (t[0] === "FWM") return [`-A -f ${t[1]} -s rr`];
        return [];
      }),
  );
  kernel.connectionLines = procLines.slice(1).filter(Boolean);
  const owned = new Set(["tcp 10.0.0.100:80", "tcp 10.0.0.100:443", "udp 10.0.0.100:53", "tcp [fd00::100]:80"]);
  const ask = async (request: ConnectionsRequest, own = owned) => {
    await setup;
    const reply = await readConnectionTable(kernel.stats, own, ConnectionsRequestSchema.parse(request));
    expect(ConnectionsReplySchema.safeParse(reply).success).toBe(true);
    return reply;
  };

  it.each<[string, ConnectionsRequest, number]>([
    ["everything owned (the fwmark service is not owned)", {}, 11],
    ["one service", { service: "tcp 10.0.0.100:80" }, 5],
    ["state (any case)", { state: "fin_wait" }, 6],
    ["state and service", { state: "ESTABLISHED", service: "tcp 10.0.0.100:80" }, 1],
    ["client address exact", { client: "10.0.0.10" }, 10],
    ["client address prefix", { client: "10.0.0." }, 10],
    ["a full address is exact, not a prefix", { client: "10.0.0.1" }, 0],
    ["client address:port", { client: "10.0.0.10:56608" }, 1],
    ["IPv6 client, not normalised", { client: "fd00:0:0::10" }, 1],
    ["destination", { destination: "10.0.0.12:80" }, 3],
    ["destination IPv6", { destination: "[fd00::11]:80" }, 1],
  ])("%s → %s", async (_name, request, total) => {
    const reply = await ask(request);
    expect(reply).toMatchObject({ ok: true, total });
    expect(reply.rows).toHaveLength(Math.min(total, 100));
  });

  it("offset and limit cut the rows, total counts every match", async () => {
    const all = await ask({});
    const page = await ask({ offset: 4, limit: 3 });
    expect(page.total).toBe(11);
    expect(page.rows).toEqual(all.rows.slice(4, 7));
    expect((await ask({ offset: 50 })).rows).toEqual([]);
  });

  it("refuses a service the agent does not own and a filter that is not an address", async () => {
    expect(await ask({ service: "fwmark 7 ipv4" })).toEqual({ ok: false, total: 0, rows: [], error: "fwmark 7 ipv4 is not a service this agent manages" });
    expect((await ask({ client: "example.com" })).error).toMatch(/not an address/);
    expect((await ask({ destination: "nowhere" })).error).toMatch(/not an address:port/);
  });

  it("without IPVS: an error, not an empty table", async () => {
    const reply = await readConnectionTable(new FakeKernel({ ipvsAvailable: false }).stats, owned, ConnectionsRequestSchema.parse({}));
    expect(reply).toMatchObject({ ok: false, error: "IPVS is not available in this kernel" });
  });
});

describe("zero counters", () => {
  it.each([
    ["tcp 192.0.2.10:80", { protocol: "tcp", family: 4, address: "192.0.2.10", port: 80, fwmark: 0 }],
    ["udp [2001:db8::1]:53", { protocol: "udp", family: 6, address: "2001:db8::1", port: 53, fwmark: 0 }],
    ["fwmark 5 ipv6", { protocol: "fwmark", family: 6, address: null, port: 0, fwmark: 5 }],
    ["tcp 192.0.2.010:80", null],
    ["tcp [2001:db8:0::1]:53", null],
    ["sctp 192.0.2.10:80", null],
    ["fwmark 0 ipv4", null],
  ])("parseServiceKey(%s)", (key, ref) => {
    expect(parseServiceKey(key)).toEqual(ref);
  });

  async function kernelWithTraffic() {
    const kernel = new FakeKernel();
    await kernel.ipvs.restore(["-A -t 192.0.2.10:80 -s rr", "-a -t 192.0.2.10:80 -r 10.0.0.11:80 -g -w 1", "-A -f 5 -s rr", "-A -t 198.51.100.1:80 -s rr"]);
    kernel.traffic("tcp 192.0.2.10:80", "10.0.0.11:80", { conns: 4 });
    kernel.traffic("tcp 198.51.100.1:80", "10.0.0.99:80", { conns: 9 });
    kernel.calls = [];
    return kernel;
  }
  const owned = new Set(["tcp 192.0.2.10:80", "fwmark 5 ipv4"]);

  it("one owned service: ipvsadm -Z for it only", async () => {
    const kernel = await kernelWithTraffic();
    expect(await zeroOwnedCounters(kernel.stats, owned, "tcp 192.0.2.10:80")).toEqual({ ok: true });
    expect(kernel.calls).toEqual(["ipvsadm -Z -t 192.0.2.10:80"]);
    expect(kernel.counters.get("tcp 192.0.2.10:80")!.conns).toBe(0);
    expect(kernel.counters.get("tcp 192.0.2.10:80|10.0.0.11:80")!.conns).toBe(0);
    expect(kernel.counters.get("tcp 198.51.100.1:80")!.conns).toBe(9);
  });

  it("every owned service, never a foreign one (and never a bare ipvsadm -Z)", async () => {
    const kernel = await kernelWithTraffic();
    expect(await zeroOwnedCounters(kernel.stats, owned, undefined)).toEqual({ ok: true });
    expect(kernel.calls).toEqual(["ipvsadm -Z -f 5", "ipvsadm -Z -t 192.0.2.10:80"]);
    expect(kernel.counters.get("tcp 198.51.100.1:80")!.conns).toBe(9);
  });

  it("a foreign service is refused and nothing is zeroed; a kernel error is reported", async () => {
    const kernel = await kernelWithTraffic();
    expect(await zeroOwnedCounters(kernel.stats, owned, "tcp 198.51.100.1:80")).toEqual({ ok: false, error: "tcp 198.51.100.1:80 is not a service this agent manages" });
    expect(kernel.calls).toEqual([]);
    expect(await zeroOwnedCounters(kernel.stats, new Set(["tcp 192.0.2.99:80"]), "tcp 192.0.2.99:80")).toEqual({ ok: false, error: "No such service" });
    expect(await zeroOwnedCounters(kernel.stats, new Set(), undefined)).toEqual({ ok: true });
  });
});
