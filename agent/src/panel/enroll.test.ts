import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../cli";
import { FakeKernel } from "../kernel/fake";
import { credentialPath, enroll, EnrollError, normalizePanelUrl, readCredential } from "./enroll";

const TOKEN = `lvse_${"t".repeat(43)}`;
const USED_TOKEN = `lvse_${"u".repeat(43)}`;
const CREDENTIAL = `lvsh_${"c".repeat(43)}`;

/** A panel's enroll endpoint: TOKEN works, USED_TOKEN is refused like the real route does. */
function fakePanel(handler?: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const requests: Array<{ url: string; body: unknown }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      requests.push({ url: req.url ?? "", body: JSON.parse(body || "null") });
      if (handler) return handler(req, body, res);
      const { token } = JSON.parse(body) as { token: string };
      res.setHeader("content-type", "application/json");
      if (req.url !== "/api/agent/enroll" || req.method !== "POST") return res.writeHead(404).end("{}");
      if (token === TOKEN) return res.end(JSON.stringify({ hostId: "host-1", hostName: "lb1", credential: CREDENTIAL }));
      if (token === USED_TOKEN) return res.writeHead(401).end(JSON.stringify({ error: "this enrollment token was already used; ask an admin for a new one" }));
      res.writeHead(401).end(JSON.stringify({ error: "unknown enrollment token" }));
    });
  });
  return { server, requests };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const freshDir = () => path.join(mkdtempSync(path.join(tmpdir(), "lvs-enroll-")), "etc", "lvs-agent");

async function cli(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {}, kernel: new FakeKernel() });
  return { code, stdout, stderr };
}

describe("lvs-agent enroll", () => {
  const panel = fakePanel();
  let url = "";
  let closedUrl = "";
  beforeAll(async () => {
    url = await listen(panel.server);
    const closed = createServer();
    closedUrl = await listen(closed);
    await new Promise<void>((r) => closed.close(() => r()));
  });
  afterAll(() => new Promise<void>((r) => panel.server.close(() => r())));

  it("stores {panelUrl, hostId, credential} with mode 0600 in a 0700 directory, atomically, and never prints the credential", async () => {
    const dir = freshDir();
    const r = await cli(["enroll", "--panel", `${url}/`, "--token", TOKEN, "--hostname", "lb1.example", "--config-dir", dir]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain("enrolled as host lb1 (host-1)");
    expect(r.stdout).toContain(`\`lvs-agent run --config-dir ${dir}\``);
    expect(r.stdout + r.stderr).not.toContain(CREDENTIAL);
    expect(panel.requests.at(-1)).toEqual({ url: "/api/agent/enroll", body: { token: TOKEN, hostname: "lb1.example" } });
    const file = credentialPath(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ panelUrl: url, hostId: "host-1", credential: CREDENTIAL });
    expect(readdirSync(dir)).toEqual(["credential.json"]); // no temporary file left behind
    expect(readCredential(dir)).toEqual({ panelUrl: url, hostId: "host-1", credential: CREDENTIAL });
  });

  it("enrolling again replaces the credential file whole", async () => {
    const dir = freshDir();
    await enroll({ panelUrl: url, token: TOKEN, hostname: "h", configDir: dir });
    writeFileSync(credentialPath(dir), "{}", { mode: 0o644 });
    await enroll({ panelUrl: url, token: TOKEN, hostname: "h", configDir: dir });
    expect(statSync(credentialPath(dir)).mode & 0o777).toBe(0o600);
    expect(readCredential(dir)?.credential).toBe(CREDENTIAL);
  });

  it.each([
    ["a used token", () => ["--panel", url, "--token", USED_TOKEN], /the panel refused the token: this enrollment token was already used; ask an admin for a new one\n/],
    ["an unknown token", () => ["--panel", url, "--token", `lvse_${"z".repeat(43)}`], /the panel refused the token: unknown enrollment token; ask an admin for a new one\n/],
    ["an unreachable panel", () => ["--panel", closedUrl, "--token", TOKEN], /cannot reach the panel at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/],
    ["not a token", () => ["--panel", url, "--token", "lvsh_nope"], /--token is not an enrollment token/],
    ["not a URL", () => ["--panel", "ftp://x", "--token", TOKEN], /--panel must be an http:\/\/ or https:\/\/ URL/],
  ])("%s → exit 2, a clear message, nothing written", async (_name, args, message) => {
    const dir = freshDir();
    const before = panel.requests.length;
    const r = await cli(["enroll", ...args(), "--config-dir", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain("nothing was written.");
    expect(existsSync(dir)).toBe(false);
    if (/not a/.test(String(message))) expect(panel.requests.length).toBe(before);
  });

  it("a server that is not the panel → clear error, nothing written", async () => {
    const other = fakePanel((_req, _body, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>hello</html>"));
    const otherUrl = await listen(other.server);
    const dir = freshDir();
    await expect(enroll({ panelUrl: otherUrl, token: TOKEN, hostname: "h", configDir: dir })).rejects.toThrow(/not an enrollment response \(is .* the panel\?\)/);
    expect(existsSync(dir)).toBe(false);
    await new Promise<void>((r) => other.server.close(() => r()));
  });

  it("usage: enroll needs --panel and --token; they belong to enroll only", async () => {
    expect((await cli(["enroll", "--panel", url])).stderr).toMatch(/enroll needs --panel URL and --token/);
    expect((await cli(["status", "--token", TOKEN])).stderr).toMatch(/belong to enroll/);
  });

  it("panel URL normalisation", () => {
    expect(normalizePanelUrl("https://lvs.example.net/")).toBe("https://lvs.example.net");
    expect(normalizePanelUrl("http://10.0.2.100:3000")).toBe("http://10.0.2.100:3000");
    expect(() => normalizePanelUrl("lvs.example.net")).toThrow(EnrollError);
  });

  it("a damaged credential file is a clear error that does not echo its content", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "lvs-cred-"));
    expect(readCredential(dir)).toBeNull();
    writeFileSync(credentialPath(dir), JSON.stringify({ panelUrl: "http://x", hostId: "h", credential: `${CREDENTIAL}x` }));
    expect(() => readCredential(dir)).toThrow(/is not an agent credential file \(credential\); enroll again/);
    try {
      readCredential(dir);
    } catch (error) {
      expect((error as Error).message).not.toContain(CREDENTIAL);
    }
  });
});
