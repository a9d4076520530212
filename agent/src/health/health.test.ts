import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HealthReportSchema } from "../../../shared/agent-protocol";
import { validateDesiredState } from "../../../shared/desired-state/resolve";
import { HealthCheckSchema } from "../../../shared/desired-state/schema";
import { Daemon, type DaemonEvent } from "../daemon";
import { FakeKernel } from "../kernel/fake";
import { MemoryStore, Reconciler } from "../reconciler";
import { dnsCheck, dnsQuery, execCheck, httpCheck, judgeDnsAnswer, statusMatcher, tcpCheck, type Outcome } from "./checkers";
import { checkedServices, EffectiveStateBuilder, overlayService, slowStartWeight, type CheckTarget } from "./overlay";
import { healthReport, reportHealth } from "./report";
import { initialState, step, type HealthState } from "./state";

const result = (ok: boolean, at = 1000, reason = ok ? "HTTP 200" : "HTTP 503") => ({ ok, reason, latencyMs: 2, at });

describe("health state machine (rise/fall)", () => {
  const run = (seq: string, rise: number, fall: number) => {
    let state = initialState(0);
    const out: string[] = [];
    for (const c of seq) {
      const next = step(state, result(c === "+"), rise, fall);
      state = next.state;
      out.push({ unknown: "?", up: "U", down: "D" }[state.status]);
    }
    return out.join("");
  };
  it.each([
    // results (+ ok, - fail) → status after each (? unknown, U up, D down)
    ["+", 2, 2, "U"],
    ["-", 2, 2, "?"],
    ["--", 2, 2, "?D"],
    ["-+", 2, 2, "?U"],
    ["++--", 2, 2, "UUUD"],
    ["+-+-+-", 2, 2, "UUUUUU"], // flapping single failures never take it down
    ["+--+", 2, 2, "UUDD"], // one success after going down is not enough with rise 2
    ["+--++", 2, 2, "UUDDU"],
    ["+--+-++", 2, 2, "UUDDDDU"], // a failure resets the rise count
    ["+-", 3, 1, "UD"],
    ["+---+++", 3, 3, "UUUDDDU"],
    ["-", 1, 1, "D"],
    ["-+", 1, 1, "DU"],
  ])("%s with rise %i fall %i → %s", (seq, rise, fall, want) => {
    expect(run(seq, rise, fall)).toBe(want);
  });
  it("reports transitions with the reason ldirectord-style and marks recoveries", () => {
    let s = initialState(0);
    const t: string[] = [];
    for (const r of [result(true, 1), result(false, 2), result(false, 3), result(true, 4), result(true, 5)]) {
      const next = step(s, r, 2, 2);
      if (next.transition) t.push(`${next.transition.from}->${next.transition.to}: ${next.transition.reason}`);
      s = next.state;
    }
    expect(t).toEqual(["unknown->up: HTTP 200 (first check)", "up->down: HTTP 503 (fall 2/2)", "down->up: HTTP 200 (rise 2/2)"]);
    expect(s.recovered).toBe(true);
    expect(s.since).toBe(5 + 2);
  });
  it("an unknown destination that keeps failing stays unknown until fall is reached, with the running count as reason", () => {
    const next = step(initialState(0), result(false), 2, 3);
    expect(next.state.status).toBe("unknown");
    expect(next.state.reason).toBe("HTTP 503 (fall 1/3)");
    expect(next.transition).toBeNull();
  });
});

function doc(service: Record<string, unknown>, more: Record<string, unknown>[] = []) {
  return {
    schemaVersion: 1,
    generation: 1,
    ipvs: {
      services: [
        {
          protocol: "tcp",
          address: "192.0.2.10",
          port: 80,
          scheduler: "wrr",
          destinations: [
            { address: "10.0.0.11", forwarding: "dr", weight: 10 },
            { address: "10.0.0.12", forwarding: "dr", weight: 5 },
          ],
          healthCheck: { type: "http", path: "/health", host: "www.example.com", expectBody: "OK" },
          ...service,
        },
        ...more,
      ],
    },
    addresses: [],
    realServer: null,
    sysctls: {},
    fwmarks: [],
  };
}
function resolvedOf(document: unknown) {
  const v = validateDesiredState(document);
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  return v.resolved;
}
const st = (status: HealthState["status"], extra: Partial<HealthState> = {}): HealthState => ({ ...initialState(0), status, ...extra });

describe("effective state (health overlay)", () => {
  const weights = (document: unknown, states: Record<string, HealthState>, now = 0) => {
    const resolved = resolvedOf(document);
    const [checked] = checkedServices(document, resolved);
    const overlay = overlayService(checked, (id) => states[id.split(" ")[2]], now);
    return {
      dests: overlay.service.destinations.map((d) => `${d.key}=${d.weight}`).join(" "),
      actions: [...overlay.actions.values()].join(" "),
      sorry: overlay.sorryActive,
      same: overlay.service === resolved.ipvs.services[0],
      next: overlay.nextChangeAt,
    };
  };
  const up = st("up");
  const down = st("down");
  it.each([
    ["both unknown: as desired", {}, {}, "10.0.0.11:80=10 10.0.0.12:80=5", "none none", false, true],
    ["both up", {}, { "10.0.0.11:80": up, "10.0.0.12:80": up }, "10.0.0.11:80=10 10.0.0.12:80=5", "none none", false, true],
    ["one down, quiesce", {}, { "10.0.0.11:80": down, "10.0.0.12:80": up }, "10.0.0.11:80=0 10.0.0.12:80=5", "quiesced none", false, false],
    ["one down, remove", { onFailure: "remove" }, { "10.0.0.11:80": down, "10.0.0.12:80": up }, "10.0.0.12:80=5", "removed none", false, false],
    ["one down + one unknown, sorry not yet", { sorryServer: { address: "10.0.0.99", forwarding: "dr" } }, { "10.0.0.11:80": down }, "10.0.0.11:80=0 10.0.0.12:80=5", "quiesced none", false, false],
    [
      "all down, sorry server added with weight 1",
      { sorryServer: { address: "10.0.0.99", forwarding: "dr" } },
      { "10.0.0.11:80": down, "10.0.0.12:80": down },
      "10.0.0.11:80=0 10.0.0.12:80=0 10.0.0.99:80=1",
      "quiesced quiesced",
      true,
      false,
    ],
    [
      "all down, remove + sorry: only the sorry server",
      { onFailure: "remove", sorryServer: { address: "10.0.0.99", forwarding: "dr" } },
      { "10.0.0.11:80": down, "10.0.0.12:80": down },
      "10.0.0.99:80=1",
      "removed removed",
      true,
      false,
    ],
    ["all down without a sorry server", {}, { "10.0.0.11:80": down, "10.0.0.12:80": down }, "10.0.0.11:80=0 10.0.0.12:80=0", "quiesced quiesced", false, false],
  ])("%s", (_name, service, states, dests, actions, sorry, same) => {
    const got = weights(doc(service), states as Record<string, HealthState>);
    expect(got).toMatchObject({ dests, actions, sorry, same });
  });

  it("a destination drained to weight 0 by the admin that goes down changes nothing (same object)", () => {
    const d = doc({ destinations: [{ address: "10.0.0.11", forwarding: "dr", weight: 0 }] });
    expect(weights(d, { "10.0.0.11:80": down })).toMatchObject({ dests: "10.0.0.11:80=0", same: true });
  });

  it.each([
    // weight 10 over 10 s: 1/5 … 4/5 of it, then all of it at 10 s
    [0, 2, 2500],
    [2499, 2, 2500],
    [2500, 4, 5000],
    [6500, 6, 7500],
    [9999, 8, 10000],
    [10000, 10, null],
  ])("slow start: %i ms after recovery → weight %i, next step at %s", (elapsed, weight, next) => {
    expect(slowStartWeight(10, elapsed, 10)).toEqual({ weight, nextChangeAt: next });
  });
  it("slow start never gives a recovering weight-1 server weight 0, and applies only after a recovery from down", () => {
    expect(slowStartWeight(1, 0, 10).weight).toBe(1);
    const recovered = st("up", { recovered: true, since: 1000 });
    const d = doc({ slowStartSeconds: 10 });
    expect(weights(d, { "10.0.0.11:80": recovered }, 1000 + 2500)).toMatchObject({ dests: "10.0.0.11:80=4 10.0.0.12:80=5", actions: "slow-start none", next: 1000 + 5000 });
    expect(weights(d, { "10.0.0.11:80": st("up", { since: 1000 }) }, 1000)).toMatchObject({ same: true });
  });

  it("the builder keeps object identity: unchanged services and unchanged overlays are the same objects", () => {
    const d = doc({}, [{ protocol: "tcp", address: "192.0.2.11", port: 80, scheduler: "rr", destinations: [{ address: "10.0.0.21", forwarding: "dr" }] }]);
    const resolved = resolvedOf(d);
    const checked = checkedServices(d, resolved);
    const builder = new EffectiveStateBuilder();
    const states = new Map<string, HealthState>();
    const stateOf = (id: string) => states.get(id);
    const a = builder.build(checked, resolved, stateOf, 0).resolved;
    expect(a).toBe(resolved);
    states.set(checked[0].targets[0].id, down);
    const b = builder.build(checked, resolved, stateOf, 0).resolved;
    expect(b.ipvs.services[0]).not.toBe(resolved.ipvs.services[0]);
    expect(b.ipvs.services[1]).toBe(resolved.ipvs.services[1]);
    const c = builder.build(checked, resolved, stateOf, 5).resolved;
    expect(c.ipvs.services[0]).toBe(b.ipvs.services[0]);
  });

  it("check ids survive a change elsewhere and change with the check definition", () => {
    const d1 = doc({});
    const d2 = doc({ scheduler: "wlc" });
    const d3 = doc({ healthCheck: { type: "http", path: "/other" } });
    const ids = (d: unknown) => checkedServices(d, resolvedOf(d))[0].targets.map((t) => t.id);
    expect(ids(d2)).toEqual(ids(d1));
    expect(ids(d3)[0]).not.toBe(ids(d1)[0]);
    const t = checkedServices(d1, resolvedOf(d1))[0].targets[1];
    expect(t).toMatchObject({ service: "tcp 192.0.2.10:80", destination: "10.0.0.12:80", address: "10.0.0.12", port: 80, vip: "192.0.2.10", vipPort: 80 });
  });
});

const target = (check: unknown, port: number, address = "127.0.0.1"): CheckTarget => ({
  id: "x",
  service: "tcp 192.0.2.10:80",
  destination: `${address}:${port}`,
  address,
  port,
  vip: "192.0.2.10",
  vipPort: 80,
  check: HealthCheckSchema.parse(check),
});

describe("checkers", () => {
  let server: http.Server;
  let port = 0;
  let lastHost = "";
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      lastHost = req.headers.host ?? "";
      if (req.url === "/slow") return setTimeout(() => res.end("late"), 2000);
      if (req.url === "/503") {
        res.statusCode = 503;
        return res.end("down");
      }
      if (req.url === "/moved") {
        res.statusCode = 301;
        return res.end();
      }
      res.end(req.headers.host === "www.example.com" ? "site www: status OK v2" : "default site");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it.each([
    ["200-399", 200, true],
    ["200-399", 399, true],
    ["200-399", 400, false],
    ["200,301-302", 302, true],
    ["200,301-302", 300, false],
    ["204", 204, true],
  ])("status %s matches %i: %s", (pattern, status, want) => expect(statusMatcher(pattern)(status)).toBe(want));

  it("HTTP: Host header and body text or regex decide; status outside the set fails", async () => {
    const ok = await httpCheck(target({ type: "http", host: "www.example.com", expectBody: "status OK" }, port));
    expect(ok).toEqual({ ok: true, reason: "HTTP 200, body matches" });
    expect(lastHost).toBe("www.example.com");
    const wrongHost = await httpCheck(target({ type: "http", host: "other.example.com", expectBody: "status OK" }, port));
    expect(wrongHost).toEqual({ ok: false, reason: 'HTTP 200, body does not contain "status OK"' });
    expect(await httpCheck(target({ type: "http", host: "www.example.com", expectBody: "OK v\\d", bodyIsRegex: true }, port))).toMatchObject({ ok: true });
    expect(await httpCheck(target({ type: "http", path: "/503" }, port))).toEqual({ ok: false, reason: "HTTP 503 (expected 200-399)" });
    expect(await httpCheck(target({ type: "http", path: "/moved", expectStatus: "200" }, port))).toMatchObject({ ok: false, reason: "HTTP 301 (expected 200)" });
    expect(await httpCheck(target({ type: "http", path: "/moved" }, port))).toMatchObject({ ok: true });
    await httpCheck(target({ type: "http" }, port));
    expect(lastHost).toBe(`127.0.0.1:${port}`);
  });

  it("HTTP: a slow answer is a timeout, a closed port a refused connect", async () => {
    expect(await httpCheck(target({ type: "http", path: "/slow", timeoutMs: 100 }, port))).toEqual({ ok: false, reason: "timeout after 100 ms" });
    const closed = await freePort();
    expect(await httpCheck(target({ type: "http" }, closed))).toEqual({ ok: false, reason: "connect ECONNREFUSED" });
    expect(await httpCheck(target({ type: "https" }, port))).toMatchObject({ ok: false });
  });

  it("TCP connect", async () => {
    expect(await tcpCheck(target({ type: "tcp" }, port))).toEqual({ ok: true, reason: "connected" });
    expect(await tcpCheck(target({ type: "tcp" }, await freePort()))).toEqual({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("exec: arguments + address, port, VIP, VIP port appended, environment set, exit code decides, killed on timeout", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lvs-health-"));
    const script = path.join(dir, "check.sh");
    const out = path.join(dir, "out");
    writeFileSync(script, `#!/bin/sh\necho "$@|$LVS_RS_ADDRESS $LVS_RS_PORT $LVS_VIP $LVS_VIP_PORT" > ${out}\n[ "$1" = pass ] && exit 0\n[ "$1" = sleep ] && sleep 5\necho "backend says no" >&2\nexit 3\n`);
    chmodSync(script, 0o755);
    expect(await execCheck(target({ type: "exec", command: script, args: ["pass", "a b"] }, 8080, "10.0.0.11"))).toEqual({ ok: true, reason: "exit 0" });
    expect(readFileSync(out, "utf8").trim()).toBe("pass a b 10.0.0.11 8080 192.0.2.10 80|10.0.0.11 8080 192.0.2.10 80");
    expect(await execCheck(target({ type: "exec", command: script, args: ["fail"] }, 8080))).toEqual({ ok: false, reason: "exit 3: backend says no" });
    const started = Date.now();
    expect(await execCheck(target({ type: "exec", command: script, args: ["sleep"], timeoutMs: 200 }, 8080))).toEqual({ ok: false, reason: "timeout after 200 ms (killed)" });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await execCheck(target({ type: "exec", command: "/nonexistent/check" }, 8080))).toEqual({ ok: false, reason: "cannot run /nonexistent/check: ENOENT" });
  });

  it("DNS: query encoding and answer judgement", () => {
    const q = dnsQuery(0x1234, "www.example.com", "AAAA");
    expect([...q.subarray(0, 4)]).toEqual([0x12, 0x34, 0x01, 0x00]);
    expect(q.subarray(12).toString("latin1")).toBe("\x03www\x07example\x03com\x00\x00\x1c\x00\x01");
    const answer = (id: number, flags: number, an: number) => Buffer.from([id >> 8, id & 255, flags >> 8, flags & 255, 0, 1, 0, an, 0, 0, 0, 0]);
    expect(judgeDnsAnswer(7, answer(7, 0x8180, 1))).toEqual({ ok: true, reason: "DNS NOERROR, 1 answer" });
    expect(judgeDnsAnswer(7, answer(7, 0x8183, 0))).toEqual({ ok: false, reason: "DNS NXDOMAIN" });
    expect(judgeDnsAnswer(7, answer(7, 0x8180, 0))).toEqual({ ok: false, reason: "DNS NOERROR without answers" });
    expect(judgeDnsAnswer(7, answer(8, 0x8180, 1))).toBeNull();
  });

  it("DNS over UDP against a tiny server; a server that never answers is a timeout", async () => {
    const dns = dgram.createSocket("udp4");
    let answers = 1;
    dns.on("message", (msg, rinfo) => {
      const reply = Uint8Array.from(msg);
      reply[2] = 0x81;
      reply[3] = answers > 0 ? 0x80 : 0x83;
      reply[7] = answers;
      dns.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((r) => dns.bind(0, "127.0.0.1", r));
    const dnsPort = dns.address().port;
    expect(await dnsCheck(target({ type: "dns", name: "www.example.com" }, dnsPort))).toEqual({ ok: true, reason: "DNS NOERROR, 1 answer" });
    answers = 0;
    expect(await dnsCheck(target({ type: "dns", name: "www.example.com" }, dnsPort))).toEqual({ ok: false, reason: "DNS NXDOMAIN" });
    dns.close();
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    expect(await dnsCheck(target({ type: "dns", name: "x.example", timeoutMs: 100 }, silent.address().port))).toEqual({ ok: false, reason: "timeout after 100 ms" });
    silent.close();
  });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

describe("daemon with health checks (fake kernel, scripted checker)", () => {
  const document = (generation: number, extra: Record<string, unknown> = {}) => ({
    ...doc({ healthCheck: { type: "tcp", intervalMs: 100, rise: 1, fall: 2 }, ...extra }),
    generation,
  });
  const setup = () => {
    const kernel = new FakeKernel();
    const store = new MemoryStore();
    const events: DaemonEvent[] = [];
    const healthy = new Map<string, boolean>([
      ["10.0.0.11", true],
      ["10.0.0.12", true],
    ]);
    let checks = 0;
    const daemon = new Daemon(new Reconciler(kernel, store), {
      intervalMs: 3_600_000,
      log: (e) => events.push(e),
      healthChecker: async (t): Promise<Outcome> => {
        checks++;
        return healthy.get(t.address) ? { ok: true, reason: "connected" } : { ok: false, reason: "connect ECONNREFUSED" };
      },
    });
    const weightsNow = () =>
      kernel.services
        .get("tcp 192.0.2.10:80")
        ?.destinations.map((d) => `${d.key}=${d.weight}`)
        .join(" ");
    return { kernel, events, healthy, daemon, weightsNow, checks: () => checks };
  };
  const until = async (what: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("a server that stops answering is quiesced after fall failures (a health reconcile, no drift), restored when it answers; state survives an unrelated change", async () => {
    const h = setup();
    await h.daemon.setDesired(document(1), "panel");
    expect(h.weightsNow()).toBe("10.0.0.11:80=10 10.0.0.12:80=5");
    await until(() => h.daemon.health.entries().every((e) => e.state.status === "up"));
    h.healthy.set("10.0.0.12", false);
    await until(() => h.weightsNow() === "10.0.0.11:80=10 10.0.0.12:80=0");
    const down = h.events.find((e) => e.event === "health" && e.status === "down");
    expect(down).toMatchObject({ message: "rs 10.0.0.12:80 of tcp 192.0.2.10:80 down: connect ECONNREFUSED (fall 2/2)" });
    expect(h.events.some((e) => e.event === "reconcile" && e.source === "health" && e.ops === 1)).toBe(true);
    // a periodic full reconcile plans against the effective state: nothing to repair
    const outcome = await h.daemon.repair();
    expect(outcome?.ops).toEqual([]);
    // an unrelated change (scheduler) keeps the down state: still quiesced right after the push
    const pushed = await h.daemon.setDesired(document(2, { scheduler: "wlc" }), "panel");
    expect(pushed?.ops.map((o) => o.kind)).toEqual(["ipvs-edit-service"]);
    expect(h.weightsNow()).toBe("10.0.0.11:80=10 10.0.0.12:80=0");
    h.healthy.set("10.0.0.12", true);
    await until(() => h.weightsNow() === "10.0.0.11:80=10 10.0.0.12:80=5");
    await h.daemon.stop("SIGTERM");
  });

  it("remove mode + sorry server: all down → only the sorry server; one back → sorry server gone", async () => {
    const h = setup();
    await h.daemon.setDesired(document(1, { onFailure: "remove", sorryServer: { address: "10.0.0.99", forwarding: "dr" } }), "panel");
    h.healthy.set("10.0.0.11", false);
    h.healthy.set("10.0.0.12", false);
    await until(() => h.weightsNow() === "10.0.0.99:80=1");
    expect(h.daemon.health.sorryActive()).toEqual(["tcp 192.0.2.10:80"]);
    h.healthy.set("10.0.0.11", true);
    await until(() => h.weightsNow() === "10.0.0.11:80=10");
    expect(h.daemon.health.sorryActive()).toEqual([]);
    // health reports: what the panel gets validates against the contract
    const report = healthReport(h.daemon.health, h.daemon.health.entries(), true);
    expect(HealthReportSchema.safeParse(report).success).toBe(true);
    expect(report.entries.find((e) => e.destination === "10.0.0.12:80")).toMatchObject({ status: "down", action: "removed", lastOk: false });
    await h.daemon.stop("SIGTERM");
  });

  it("panel reports: full on connect, transitions at once, other results batched", async () => {
    const h = setup();
    const sent: Array<{ full: boolean; entries: Array<{ destination: string; status: string }> }> = [];
    const listeners: Array<() => void> = [];
    const socket = { connected: true, on: (_e: "connect", l: () => void) => listeners.push(l), emit: (_e: string, p: unknown) => sent.push(p as (typeof sent)[number]) };
    const reporter = reportHealth(socket, h.daemon.health);
    await h.daemon.setDesired(document(1), "panel");
    listeners.forEach((l) => l());
    expect(sent[0]).toMatchObject({ full: true });
    expect(sent[0].entries.map((e) => e.destination).sort()).toEqual(["10.0.0.11:80", "10.0.0.12:80"]);
    h.healthy.set("10.0.0.11", false);
    await until(() => sent.some((r) => !r.full && r.entries.some((e) => e.destination === "10.0.0.11:80" && e.status === "down")));
    reporter.close();
    await h.daemon.stop("SIGTERM");
  });
});

describe("desired-state validation of health checks and sorry servers (shared/desired-state/resolve.ts)", () => {
  const issues = (service: Record<string, unknown>) => {
    const v = validateDesiredState(doc(service));
    return v.ok ? [] : v.issues.map((i) => `${i.path}: ${i.message}`);
  };
  it.each<[string, Record<string, unknown>, RegExp]>([
    ["unknown check type", { healthCheck: { type: "icmp" } }, /unknown health check type "icmp"/],
    ["bad status set", { healthCheck: { type: "http", expectStatus: "2xx" } }, /expected status must look like 200, 200-399/],
    ["relative exec command", { healthCheck: { type: "exec", command: "check.sh" } }, /command must be an absolute path/],
    ["invalid body regex", { healthCheck: { type: "http", expectBody: "(", bodyIsRegex: true } }, /healthCheck.expectBody: not a valid regular expression/],
    ["interval too short", { healthCheck: { type: "tcp", intervalMs: 10 } }, /healthCheck.intervalMs/],
    ["sorry server of the other family", { sorryServer: { address: "2001:db8::9", forwarding: "dr" } }, /sorryServer.address: 2001:db8::9 is IPv6 but the service is IPv4/],
    ["DR sorry server on another port", { sorryServer: { address: "10.0.0.99", port: 8080, forwarding: "dr" } }, /sorryServer.port: DR forwarding cannot change the port/],
    ["sorry server that is a real server", { sorryServer: { address: "10.0.0.11", forwarding: "dr" } }, /the sorry server 10.0.0.11:80 is also a real server/],
  ])("rejects %s", (_name, service, message) => {
    expect(issues(service).join("\n")).toMatch(message);
  });
  it("rejects a fwmark service's check without a port, accepts it with one", () => {
    const fwmark = (healthCheck: Record<string, unknown>) => {
      const d = doc({});
      d.ipvs.services = [{ protocol: "fwmark", fwmark: 5, family: "ipv4", scheduler: "rr", destinations: [{ address: "10.0.0.11", forwarding: "dr" }], healthCheck } as never];
      const v = validateDesiredState(d);
      return v.ok ? "ok" : v.issues.map((i) => `${i.path}: ${i.message}`).join("\n");
    };
    expect(fwmark({ type: "tcp" })).toMatch(/healthCheck.port: a fwmark service's destinations have no port/);
    expect(fwmark({ type: "tcp", port: 443 })).toBe("ok");
  });
  it("accepts the defaults (timeout 500 ms > interval 300 ms is fine: runs never overlap)", () => {
    expect(issues({ healthCheck: { type: "http" }, sorryServer: { address: "10.0.0.99", forwarding: "nat", port: 8080 } })).toEqual([]);
  });
});
