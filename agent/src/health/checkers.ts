/**
 * The checkers: one attempt against one destination, bounded by the check's
 * timeout. Each resolves (never rejects) with ok + a short reason in the
 * words an admin knows ("HTTP 503", "connect ECONNREFUSED", "timeout after
 * 500 ms", "exit 1: <last stderr line>", "DNS NXDOMAIN").
 */
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { HealthCheck } from "../../../shared/desired-state/schema";
import type { CheckTarget } from "./overlay";

export interface Outcome {
  ok: boolean;
  reason: string;
}

export type Checker = (target: CheckTarget) => Promise<Outcome>;

/** Bytes of an HTTP body read for a body match; a match must occur within them. */
export const MAX_BODY_BYTES = 64 * 1024;

/** "200-399", "200,301-302" → a predicate. The pattern is validated by the schema. */
export function statusMatcher(pattern: string): (status: number) => boolean {
  const ranges = pattern.split(",").map((part) => {
    const [lo, hi] = part.split("-").map(Number);
    return [lo, hi ?? lo] as const;
  });
  return (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

function errorReason(prefix: string, error: NodeJS.ErrnoException): string {
  return `${prefix} ${error.code ?? error.message}`;
}

function hostHeader(address: string, port: number, https: boolean): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return port === (https ? 443 : 80) ? host : `${host}:${port}`;
}

const regexCache = new Map<string, RegExp>();
function bodyMatches(check: Extract<HealthCheck, { type: "http" | "https" }>, body: string): boolean {
  if (!check.expectBody) return true;
  if (!check.bodyIsRegex) return body.includes(check.expectBody);
  let re = regexCache.get(check.expectBody);
  if (!re) {
    re = new RegExp(check.expectBody);
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(check.expectBody, re);
  }
  return re.test(body);
}

export function httpCheck(target: CheckTarget): Promise<Outcome> {
  const check = target.check as Extract<HealthCheck, { type: "http" | "https" }>;
  const secure = check.type === "https";
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      request.destroy();
      resolve(outcome);
    };
    const options: https.RequestOptions = {
      host: target.address,
      port: target.port,
      path: check.path,
      method: "GET",
      agent: false,
      headers: { Host: check.host ?? hostHeader(target.address, target.port, secure), "User-Agent": "lvs-agent health check", Connection: "close", Accept: "*/*" },
    };
    if (secure) {
      options.rejectUnauthorized = check.tlsVerify;
      const sniHost = check.host?.replace(/:\d+$/, "");
      if (sniHost && net.isIP(sniHost) === 0) options.servername = sniHost;
    }
    const request = (secure ? https : http).request(options, (response) => {
      const status = response.statusCode ?? 0;
      if (!statusMatcher(check.expectStatus)(status)) return finish({ ok: false, reason: `HTTP ${status} (expected ${check.expectStatus})` });
      if (!check.expectBody) return finish({ ok: true, reason: `HTTP ${status}` });
      const chunks: Uint8Array[] = [];
      let size = 0;
      const judge = () => {
        const body = Buffer.concat(chunks).toString("utf8");
        finish(bodyMatches(check, body) ? { ok: true, reason: `HTTP ${status}, body matches` } : { ok: false, reason: `HTTP ${status}, body does not ${check.bodyIsRegex ? "match" : "contain"} ${JSON.stringify(check.expectBody)}` });
      };
      response.on("data", (chunk: Uint8Array) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= MAX_BODY_BYTES) judge();
      });
      response.on("end", judge);
      response.on("error", (error) => finish({ ok: false, reason: errorReason("read", error) }));
    });
    request.on("error", (error: NodeJS.ErrnoException) => finish({ ok: false, reason: error.code?.startsWith("ERR_TLS") || error.code?.includes("CERT") ? `TLS ${error.code}` : errorReason("connect", error) }));
    const timer = setTimeout(() => finish({ ok: false, reason: `timeout after ${check.timeoutMs} ms` }), check.timeoutMs);
    request.end();
  });
}

export function tcpCheck(target: CheckTarget): Promise<Outcome> {
  return new Promise((resolve) => {
    let done = false;
    const socket = net.connect({ host: target.address, port: target.port });
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    socket.once("connect", () => finish({ ok: true, reason: "connected" }));
    socket.once("error", (error: NodeJS.ErrnoException) => finish({ ok: false, reason: errorReason("connect", error) }));
    const timer = setTimeout(() => finish({ ok: false, reason: `timeout after ${target.check.timeoutMs} ms` }), target.check.timeoutMs);
  });
}

/**
 * The admin's command, without a shell: `command ...args RS_ADDRESS RS_PORT VIP VIP_PORT`,
 * environment LVS_RS_ADDRESS, LVS_RS_PORT, LVS_VIP, LVS_VIP_PORT. Exit 0 = healthy.
 * On timeout its whole process group is killed.
 */
export function execCheck(target: CheckTarget): Promise<Outcome> {
  const check = target.check as Extract<HealthCheck, { type: "exec" }>;
  return new Promise((resolve) => {
    let done = false;
    let stderr = "";
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const child = spawn(check.command, [...check.args, target.address, String(target.port), target.vip, String(target.vipPort)], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
      env: { ...process.env, LVS_RS_ADDRESS: target.address, LVS_RS_PORT: String(target.port), LVS_VIP: target.vip, LVS_VIP_PORT: String(target.vipPort) },
    });
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    child.stderr!.on("data", (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => finish({ ok: false, reason: `cannot run ${check.command}: ${error.code ?? error.message}` }));
    child.on("close", (code, signal) => {
      const last = stderr.trim().split("\n").pop()?.slice(0, 200) ?? "";
      if (code === 0) finish({ ok: true, reason: "exit 0" });
      else finish({ ok: false, reason: `${signal ? `killed by ${signal}` : `exit ${code}`}${last ? `: ${last}` : ""}` });
    });
    const timer = setTimeout(() => {
      killGroup();
      finish({ ok: false, reason: `timeout after ${check.timeoutMs} ms (killed)` });
    }, check.timeoutMs);
  });
}

const DNS_TYPES: Record<string, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33 };
const DNS_RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];

/** A DNS query message (RD set) for `name`/`type`. */
export function dnsQuery(id: number, name: string, type: string): Buffer {
  const labels = name.replace(/\.$/, "").split(".").filter((l) => l.length > 0);
  const parts: Uint8Array[] = [Uint8Array.from([id >> 8, id & 0xff, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const label of labels) {
    const bytes = Buffer.from(label, "ascii");
    parts.push(Uint8Array.from([Math.min(bytes.length, 63)]), Uint8Array.from(bytes.subarray(0, 63)));
  }
  const code = DNS_TYPES[type] ?? 1;
  parts.push(Uint8Array.from([0, code >> 8, code & 0xff, 0, 1]));
  return Buffer.concat(parts);
}

/** Judges a DNS answer to query `id`: healthy = NOERROR with at least one answer record. */
export function judgeDnsAnswer(id: number, message: Buffer): Outcome | null {
  if (message.length < 12) return { ok: false, reason: "DNS answer too short" };
  if (message.readUInt16BE(0) !== id) return null; // not ours: keep waiting
  const flags = message.readUInt16BE(2);
  if ((flags & 0x8000) === 0) return null;
  const rcode = flags & 0x0f;
  const answers = message.readUInt16BE(6);
  if (rcode !== 0) return { ok: false, reason: `DNS ${DNS_RCODES[rcode] ?? `rcode ${rcode}`}` };
  if ((flags & 0x0200) !== 0 && answers === 0) return { ok: false, reason: "DNS answer truncated, no records" };
  if (answers === 0) return { ok: false, reason: "DNS NOERROR without answers" };
  return { ok: true, reason: `DNS NOERROR, ${answers} answer${answers === 1 ? "" : "s"}` };
}

export function dnsCheck(target: CheckTarget): Promise<Outcome> {
  const check = target.check as Extract<HealthCheck, { type: "dns" }>;
  return new Promise((resolve) => {
    let done = false;
    const id = Math.floor(Math.random() * 0x10000);
    const socket = dgram.createSocket(net.isIPv6(target.address) ? "udp6" : "udp4");
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve(outcome);
    };
    socket.on("message", (message, remote) => {
      if (remote.port !== target.port) return;
      const outcome = judgeDnsAnswer(id, message);
      if (outcome) finish(outcome);
    });
    socket.on("error", (error: NodeJS.ErrnoException) => finish({ ok: false, reason: errorReason("DNS", error) }));
    const timer = setTimeout(() => finish({ ok: false, reason: `timeout after ${check.timeoutMs} ms` }), check.timeoutMs);
    // connect() makes an ICMP port unreachable come back as ECONNREFUSED instead of a timeout
    socket.connect(target.port, target.address, () => {
      socket.send(new Uint8Array(dnsQuery(id, check.name, check.queryType)), (error) => {
        if (error) finish({ ok: false, reason: errorReason("DNS", error as NodeJS.ErrnoException) });
      });
    });
  });
}

export const runCheck: Checker = (target) => {
  switch (target.check.type) {
    case "http":
    case "https":
      return httpCheck(target);
    case "tcp":
      return tcpCheck(target);
    case "exec":
      return execCheck(target);
    case "dns":
      return dnsCheck(target);
  }
};
