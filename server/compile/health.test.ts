/** compile: health settings, sorry server and drains land in each director's desired state (issue #6). */
import { describe, expect, it } from "vitest";
import { validateDesiredState } from "@/shared/desired-state";
import type { ClusterSnapshot, SnapshotRealServer, SnapshotService } from "@/shared/revisions";
import { EXPIRE_NODEST_CONN, EXPIRE_QUIESCENT_TEMPLATE, compile, describeState, type CompileHostInfo } from "./index";
import { modelDiff } from "./model-diff";

const host = (id: string): CompileHostInfo => ({ id, name: id, managementAddress: "198.51.100.1", interfaceAddresses: [], kernel: null });
const HOSTS = ["lb1", "lb2", "rs1", "rs2"].map(host);

function rs(id: string, address: string, extra: Partial<SnapshotRealServer> = {}): SnapshotRealServer {
  return { id, hostId: null, hostName: null, address, port: null, forwarding: "DR", weight: 5, upperThreshold: 0, lowerThreshold: 0, enabled: true, ...extra };
}
function svc(extra: Partial<SnapshotService> = {}): SnapshotService {
  return {
    id: "s1",
    protocol: "TCP",
    address: "192.0.2.10",
    family: "ipv4",
    port: 80,
    fwmark: null,
    markProtocol: null,
    markPorts: [],
    scheduler: "wlc",
    schedulerFlags: [],
    persistenceTimeout: null,
    persistenceNetmask: null,
    persistenceEngine: null,
    description: "",
    enabled: true,
    realServers: [rs("r1", "10.0.0.11", { hostId: "rs1", hostName: "rs1" }), rs("r2", "10.0.0.12", { hostId: "rs2", hostName: "rs2" })],
    ...extra,
  };
}
const cluster = (services: SnapshotService[], directors = ["lb1", "lb2"]): ClusterSnapshot => ({
  cluster: { id: "c1", name: "web", description: "" },
  directors: directors.map((hostId, i) => ({ id: `d${i}`, hostId, hostName: hostId, vipInterface: "eth0", priority: 100 })),
  services,
});
const HTTP = {
  type: "http" as const,
  intervalMs: 300,
  timeoutMs: 500,
  rise: 2,
  fall: 2,
  port: null,
  path: "/health",
  host: "www.example.com",
  expectStatus: "200",
  expectBody: "ok",
  bodyIsRegex: false,
  tlsVerify: false,
};

function state(out: ReturnType<typeof compile>, hostId: string) {
  const s = out.byHost.get(hostId)?.state;
  if (!s) throw new Error(`no state for ${hostId}`);
  expect(validateDesiredState({ ...s, generation: 1 }).ok).toBe(true);
  return s;
}

describe("compile: health settings", () => {
  it.each([
    ["HTTP with Host header and body", HTTP, { type: "http", intervalMs: 300, timeoutMs: 500, rise: 2, fall: 2, path: "/health", host: "www.example.com", expectStatus: "200", expectBody: "ok", bodyIsRegex: false, tlsVerify: false }],
    ["HTTPS with verification", { ...HTTP, type: "https" as const, host: null, expectBody: null, tlsVerify: true, port: 8443 }, { type: "https", intervalMs: 300, timeoutMs: 500, rise: 2, fall: 2, port: 8443, path: "/health", expectStatus: "200", bodyIsRegex: false, tlsVerify: true }],
    ["TCP connect", { type: "tcp" as const, intervalMs: 1000, timeoutMs: 200, rise: 3, fall: 1, port: null }, { type: "tcp", intervalMs: 1000, timeoutMs: 200, rise: 3, fall: 1 }],
    ["exec", { type: "exec" as const, intervalMs: 1000, timeoutMs: 900, rise: 1, fall: 1, port: null, command: "/usr/local/bin/check", args: ["--fast"] }, { type: "exec", intervalMs: 1000, timeoutMs: 900, rise: 1, fall: 1, command: "/usr/local/bin/check", args: ["--fast"] }],
    ["DNS", { type: "dns" as const, intervalMs: 500, timeoutMs: 400, rise: 2, fall: 2, port: 53, name: "www.example.com", queryType: "AAAA" as const }, { type: "dns", intervalMs: 500, timeoutMs: 400, rise: 2, fall: 2, port: 53, name: "www.example.com", queryType: "AAAA" }],
  ])("%s lands in every director's service, real servers' hosts get nothing new", (_name, healthCheck, expected) => {
    const out = compile({ clusters: [cluster([svc({ healthCheck, onFailure: "REMOVE", slowStartSeconds: 30 })])], hosts: HOSTS });
    for (const lb of ["lb1", "lb2"]) {
      const s = state(out, lb).ipvs.services[0];
      expect(s.healthCheck).toEqual(expected);
      expect(s.onFailure).toBe("remove");
      expect(s.slowStartSeconds).toBe(30);
    }
    for (const h of ["rs1", "rs2"]) {
      const s = state(out, h);
      expect(s.ipvs.services).toEqual([]);
      expect(s.realServer).toEqual({ forwarding: "dr", vips: ["192.0.2.10"] });
    }
    expect(out.lints.filter((l) => l.level === "error")).toEqual([]);
  });

  it("a service without health settings compiles exactly as before #6 (no default fields added)", () => {
    const s = state(compile({ clusters: [cluster([svc()])], hosts: HOSTS }), "lb1").ipvs.services[0];
    expect(Object.keys(s).sort()).toEqual(["address", "destinations", "port", "protocol", "scheduler", "schedulerFlags"]);
  });

  it("the sorry server: NAT keeps its port, DR takes the service's", () => {
    const nat = state(compile({ clusters: [cluster([svc({ healthCheck: HTTP, sorryServer: { address: "10.0.0.99", port: 8080, forwarding: "NAT" } })])], hosts: HOSTS }), "lb1");
    expect(nat.ipvs.services[0].sorryServer).toEqual({ address: "10.0.0.99", port: 8080, forwarding: "nat" });
    expect(nat.sysctls).toEqual({ "net.ipv4.ip_forward": 1 });
    const dr = state(compile({ clusters: [cluster([svc({ healthCheck: HTTP, sorryServer: { address: "10.0.0.99", port: null, forwarding: "DR" } })])], hosts: HOSTS }), "lb1");
    expect(dr.ipvs.services[0].sorryServer).toEqual({ address: "10.0.0.99", forwarding: "dr" });
  });

  it("a sorry server of the other family is left out with an error lint; without a check it is a warning", () => {
    const out = compile({ clusters: [cluster([svc({ healthCheck: HTTP, sorryServer: { address: "2001:db8::99", port: null, forwarding: "TUN" } })])], hosts: HOSTS });
    expect(state(out, "lb1").ipvs.services[0].sorryServer).toBeUndefined();
    expect(out.lints.some((l) => l.level === "error" && /sorry server 2001:db8::99/.test(l.message))).toBe(true);
    const noCheck = compile({ clusters: [cluster([svc({ sorryServer: { address: "10.0.0.99", port: null, forwarding: "DR" } })])], hosts: HOSTS });
    expect(noCheck.lints.some((l) => l.level === "warning" && /no health check/.test(l.message))).toBe(true);
  });

  it("a sorry server that is also a real server blocks apply with an error lint", () => {
    const out = compile({ clusters: [cluster([svc({ healthCheck: HTTP, sorryServer: { address: "10.0.0.12", port: null, forwarding: "DR" } })])], hosts: HOSTS });
    expect(out.lints.filter((l) => l.level === "error").map((l) => l.message)).toEqual([
      "web: the sorry server 10.0.0.12:80 of TCP 192.0.2.10:80 is also one of its real servers; choose another sorry server or remove that real server",
    ]);
  });

  it("describeState shows the check and the sorry server, so the review diff has them", () => {
    const out = compile({ clusters: [cluster([svc({ healthCheck: HTTP, sorryServer: { address: "10.0.0.99", port: null, forwarding: "DR" } })])], hosts: HOSTS });
    const lines = describeState(state(out, "lb1"));
    expect(lines).toContain('health tcp 192.0.2.10:80 http GET /health host www.example.com expect 200 body has "ok" every 300ms timeout 500ms rise 2 fall 2 on-failure quiesce');
    expect(lines).toContain("sorry tcp 192.0.2.10:80 -> 10.0.0.99 dr");
  });
});

describe("compile: drains", () => {
  it("a drained real server gets weight 0 on every director; the others keep theirs", () => {
    const out = compile({ clusters: [cluster([svc()])], hosts: HOSTS, drainedRealServerIds: ["r1"] });
    for (const lb of ["lb1", "lb2"]) {
      expect(state(out, lb).ipvs.services[0].destinations.map((d) => [d.address, d.weight])).toEqual([
        ["10.0.0.11", 0],
        ["10.0.0.12", 5],
      ]);
    }
    // the real server's own host is unaffected (still has the VIP on lo: existing connections finish)
    expect(state(out, "rs1").realServer).toEqual({ forwarding: "dr", vips: ["192.0.2.10"] });
  });

  it.each([
    ["persistent + drained", { persistenceTimeout: 300 }, ["r1"], true, false],
    ["persistent + quiescing health check", { persistenceTimeout: 300, healthCheck: HTTP }, [], true, false],
    ["persistent + health check that removes", { persistenceTimeout: 300, healthCheck: HTTP, onFailure: "REMOVE" as const }, [], false, true],
    ["not persistent + health check that removes", { healthCheck: HTTP, onFailure: "REMOVE" as const }, [], false, true],
    ["REMOVE without a check (nothing is ever removed)", { onFailure: "REMOVE" as const }, [], false, false],
    ["not persistent + drained", {}, ["r1"], false, false],
    ["persistent, no check, no drain", { persistenceTimeout: 300 }, [], false, false],
  ])("%s → expire_quiescent_template %s, expire_nodest_conn %s", (_n, extra, drained, quiescent, nodest) => {
    const out = compile({ clusters: [cluster([svc(extra)])], hosts: HOSTS, drainedRealServerIds: drained });
    expect(state(out, "lb1").sysctls[EXPIRE_QUIESCENT_TEMPLATE]).toBe(quiescent ? 1 : undefined);
    expect(state(out, "lb1").sysctls[EXPIRE_NODEST_CONN]).toBe(nodest ? 1 : undefined);
    expect(Object.keys(state(out, "rs1").sysctls).filter((k) => k.startsWith("net.ipv4.vs."))).toEqual([]);
  });
});

describe("model diff: health settings", () => {
  it("shows the check, on-failure action, slow start and sorry server as readable before → after", () => {
    const before = cluster([svc()]);
    const after = cluster([svc({ healthCheck: HTTP, onFailure: "REMOVE", slowStartSeconds: 10, sorryServer: { address: "10.0.0.99", port: null, forwarding: "DR" } })]);
    const [change] = modelDiff(before, after);
    expect(change.kind).toBe("changed");
    expect(change.fields).toEqual([
      { field: "healthCheck", before: null, after: 'HTTP GET /health Host www.example.com expect 200 body contains "ok", every 300 ms, timeout 500 ms, rise 2 fall 2' },
      { field: "onFailure", before: null, after: "REMOVE" },
      { field: "slowStartSeconds", before: null, after: "10" },
      { field: "sorryServer", before: null, after: "10.0.0.99 DR" },
    ]);
    expect(modelDiff(after, after)).toEqual([]);
  });
});
