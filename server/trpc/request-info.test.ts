import { afterEach, describe, expect, it } from "vitest";
import { clearedSessionCookie, requestInfoFromHeaders, sessionCookie } from "./request-info";

const info = (headers: Record<string, string>, url = "http://panel.test/api/trpc") => requestInfoFromHeaders(new Headers(headers), url);

describe("same-origin detection (CSRF)", () => {
  it.each([
    [{ host: "panel.test", origin: "http://panel.test" }, true],
    [{ host: "panel.test:3000", origin: "http://panel.test:3000" }, true],
    [{ host: "panel.test", origin: "http://evil.test" }, false],
    [{ host: "panel.test", origin: "http://panel.test.evil.test" }, false],
    [{ host: "panel.test", origin: "null" }, false],
    [{ host: "panel.test", "sec-fetch-site": "same-origin" }, true],
    [{ host: "panel.test", "sec-fetch-site": "cross-site" }, false],
    [{ host: "panel.test", "sec-fetch-site": "same-site" }, false],
    [{ host: "panel.test", "sec-fetch-site": "same-origin", origin: "http://evil.test" }, false],
    [{ host: "panel.test", "sec-fetch-site": "cross-site", origin: "http://panel.test" }, false],
    [{ host: "panel.test" }, null],
  ])("%j → %s", (headers, expected) => {
    expect(info(headers).sameOrigin).toBe(expected);
  });
});

describe("credentials", () => {
  it("reads the session cookie among others and the bearer token", () => {
    const r = info({ cookie: "theme=dark; lvs_session=abc123; other=1", authorization: "Bearer lvsc_xyz" });
    expect(r.sessionToken).toBe("abc123");
    expect(r.bearerToken).toBe("lvsc_xyz");
  });
  it("ignores other authorization schemes and empty cookies", () => {
    const r = info({ cookie: "lvs_session=", authorization: "Basic YWRtaW46cHc=" });
    expect(r.sessionToken).toBeNull();
    expect(r.bearerToken).toBeNull();
  });
});

describe("client address and scheme behind a proxy", () => {
  const saved = process.env.TRUST_PROXY;
  afterEach(() => {
    if (saved === undefined) delete process.env.TRUST_PROXY;
    else process.env.TRUST_PROXY = saved;
  });

  it("uses the socket address and ignores X-Forwarded-* unless TRUST_PROXY=1", () => {
    delete process.env.TRUST_PROXY;
    const r = info({ "x-lvs-client-address": "::ffff:192.0.2.7", "x-forwarded-for": "203.0.113.9", "x-forwarded-proto": "https" });
    expect(r.clientAddress).toBe("192.0.2.7");
    expect(r.secure).toBe(false);
  });

  it("with TRUST_PROXY=1 takes the last X-Forwarded-For hop, the forwarded scheme and host", () => {
    process.env.TRUST_PROXY = "1";
    const r = info({
      host: "127.0.0.1:3000",
      "x-lvs-client-address": "127.0.0.1",
      "x-forwarded-for": "198.51.100.1, 203.0.113.9",
      "x-forwarded-proto": "https",
      "x-forwarded-host": "lvs.example.net",
      origin: "https://lvs.example.net",
    });
    expect(r.clientAddress).toBe("203.0.113.9");
    expect(r.secure).toBe(true);
    expect(r.sameOrigin).toBe(true);
  });

  it("an https request URL marks cookies Secure", () => {
    expect(info({}, "https://panel.test/api/trpc").secure).toBe(true);
    expect(sessionCookie("t", true)).toBe("lvs_session=t; Path=/; HttpOnly; SameSite=Strict; Secure");
    expect(sessionCookie("t", false)).not.toContain("Secure");
    expect(clearedSessionCookie(false)).toContain("Max-Age=0");
  });
});
