/** Health settings of a virtual service: bad definitions are refused with a message on the field (issue #6). */
import { describe, expect, it } from "vitest";
import { HEALTH_CHECK_DEFAULTS, issuesToFieldErrors, virtualServiceCreateInput, virtualServiceUpdateInput } from "./index";

const base = { clusterId: "c1", protocol: "TCP" as const, address: "192.0.2.10", port: 80 };

function errors(patch: Record<string, unknown>) {
  const r = virtualServiceCreateInput.safeParse({ ...base, ...patch });
  return r.success ? null : issuesToFieldErrors(r.error.issues);
}
function parsed(patch: Record<string, unknown>) {
  const r = virtualServiceCreateInput.safeParse({ ...base, ...patch });
  if (!r.success) throw new Error(JSON.stringify(issuesToFieldErrors(r.error.issues)));
  return r.data;
}

describe("health check: accepted definitions and defaults", () => {
  it("no health settings: none, quiesce, no slow start, no sorry server", () => {
    expect(parsed({})).toMatchObject({ healthCheck: null, onFailure: "QUIESCE", slowStartSeconds: 0, sorryServer: null });
  });

  it("an HTTP check gets the contract's timing defaults and HTTP defaults", () => {
    expect(parsed({ healthCheck: { type: "http" } }).healthCheck).toEqual({
      type: "http",
      ...HEALTH_CHECK_DEFAULTS,
      port: null,
      path: "/",
      host: null,
      expectStatus: "200-399",
      expectBody: null,
      bodyIsRegex: false,
      tlsVerify: false,
    });
  });

  it.each([
    ["HTTP with Host header and body regex", { type: "http", path: "/health", host: "www.example.com", expectStatus: "200,301-302", expectBody: "^ok$", bodyIsRegex: true }],
    ["HTTPS with verification on another port", { type: "https", port: 8443, tlsVerify: true, host: "www.example.com:8443" }],
    ["TCP with fall 1 (timeout ≤ interval)", { type: "tcp", intervalMs: 1000, timeoutMs: 1000, fall: 1 }],
    ["exec with arguments", { type: "exec", command: "/usr/local/bin/check-app", args: ["--port", "80"] }],
    ["DNS AAAA on port 53", { type: "dns", name: "www.example.com", queryType: "AAAA", port: 53 }],
  ])("%s", (_n, healthCheck) => {
    expect(errors({ healthCheck })).toBeNull();
  });

  it("empty optional texts are stored as null", () => {
    expect(parsed({ healthCheck: { type: "http", host: "  ", expectBody: "" } }).healthCheck).toMatchObject({ host: null, expectBody: null });
  });
});

describe("health check: bad definitions are refused on the field", () => {
  it.each([
    ["unknown type", { type: "icmp" }, "healthCheck.type", /Choose a check type/],
    ["interval below 100 ms", { type: "tcp", intervalMs: 50 }, "healthCheck.intervalMs", /between 100 and 3600000/],
    ["timeout above 60 s", { type: "tcp", timeoutMs: 60_001, intervalMs: 100_000 }, "healthCheck.timeoutMs", /between 50 and 60000/],
    ["rise 0", { type: "tcp", rise: 0 }, "healthCheck.rise", /between 1 and 100/],
    ["fall 101", { type: "tcp", fall: 101 }, "healthCheck.fall", /between 1 and 100/],
    ["fractional interval", { type: "tcp", intervalMs: 300.5 }, "healthCheck.intervalMs", /whole number/],
    ["timeout longer than interval × fall", { type: "tcp", intervalMs: 300, fall: 1, timeoutMs: 500 }, "healthCheck.timeoutMs", /must not exceed interval × fall \(300 ms\)/],
    ["check port 0", { type: "tcp", port: 0 }, "healthCheck.port", /between 1 and 65535/],
    ["path without leading /", { type: "http", path: "health" }, "healthCheck.path", /starts with \//],
    ["path with a space", { type: "http", path: "/a b" }, "healthCheck.path", /no spaces/],
    ["Host header with a slash", { type: "http", host: "www.example.com/x" }, "healthCheck.host", /host name/],
    ["status 600", { type: "http", expectStatus: "600" }, "healthCheck.expectStatus", /200-399/],
    ["status text", { type: "http", expectStatus: "ok" }, "healthCheck.expectStatus", /like 200/],
    ["regex without a body", { type: "http", bodyIsRegex: true }, "healthCheck.expectBody", /regular expression/],
    ["broken regex", { type: "http", bodyIsRegex: true, expectBody: "([a-z" }, "healthCheck.expectBody", /Not a valid regular expression/],
    ["TLS verify on plain HTTP", { type: "http", tlsVerify: true }, "healthCheck.tlsVerify", /HTTPS/],
    ["exec relative command", { type: "exec", command: "check-app" }, "healthCheck.command", /absolute path/],
    ["exec command with arguments inline", { type: "exec", command: "/bin/check --fast" }, "healthCheck.command", /without spaces/],
    ["exec without command", { type: "exec" }, "healthCheck.command", /absolute path/],
    ["DNS without a name", { type: "dns" }, "healthCheck.name", /name to query/],
    ["DNS bad query type", { type: "dns", name: "example.com", queryType: "ANY" }, "healthCheck.queryType", /Choose one of A, AAAA/],
    ["a field of another type", { type: "tcp", path: "/" }, "healthCheck", /Unrecognized key/],
  ])("%s", (_n, healthCheck, field, message) => {
    const e = errors({ healthCheck });
    expect(e?.[field]?.[0], JSON.stringify(e)).toMatch(message);
  });

  it("FWMARK services need a check port", () => {
    const fw = { protocol: "FWMARK", port: null, fwmark: 7 };
    expect(errors({ ...fw, healthCheck: { type: "tcp" } })?.["healthCheck.port"]?.[0]).toMatch(/FWMARK services need a check port/);
    expect(errors({ ...fw, healthCheck: { type: "tcp", port: 443 } })).toBeNull();
  });
});

describe("on failure, slow start, sorry server", () => {
  it.each([
    ["unknown on-failure action", { onFailure: "DELETE" }, "onFailure", /quiesce or remove/],
    ["slow start over an hour", { slowStartSeconds: 3601 }, "slowStartSeconds", /between 0 and 3600/],
    ["sorry server not an address", { sorryServer: { address: "sorry.example.com" } }, "sorryServer.address", /IPv4 or IPv6/],
    ["sorry server of the other family (DR)", { sorryServer: { address: "2001:db8::99" } }, "sorryServer.address", /IPv6 but the VIP is IPv4/],
    ["sorry server DR port remap", { sorryServer: { address: "10.0.0.99", port: 8080 } }, "sorryServer.port", /cannot remap port 80 to 8080/],
    ["sorry server is the VIP", { sorryServer: { address: "192.0.2.10" } }, "sorryServer.address", /cannot be the VIP/],
    [
      "sorry server is a real server",
      { sorryServer: { address: "10.0.0.11" }, realServers: [{ address: "10.0.0.11" }] },
      "sorryServer.address",
      /is a real server of this service/,
    ],
  ])("%s", (_n, patch, field, message) => {
    expect(errors(patch)?.[field]?.[0]).toMatch(message);
  });

  it("a NAT sorry server may use another port", () => {
    expect(parsed({ sorryServer: { address: "10.0.0.99", port: 8080, forwarding: "NAT" } }).sorryServer).toEqual({ address: "10.0.0.99", port: 8080, forwarding: "NAT" });
  });

  it("update: omitted health fields stay undefined (unchanged), null removes", () => {
    const r = virtualServiceUpdateInput.parse({ id: "s1", description: "x" });
    expect(r.healthCheck).toBeUndefined();
    expect(r.sorryServer).toBeUndefined();
    expect(virtualServiceUpdateInput.parse({ id: "s1", healthCheck: null }).healthCheck).toBeNull();
  });
});
