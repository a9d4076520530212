/**
 * What the API needs from an HTTP request: client address, credentials,
 * whether it is same-origin (CSRF) and whether it arrived over HTTPS.
 *
 * Client address: server/main.ts writes the socket's peer address into the
 * x-lvs-client-address header (overwriting anything a client sent). Behind a
 * TLS reverse proxy set TRUST_PROXY=1: the address then comes from the last
 * X-Forwarded-For entry (the one the proxy appended), the scheme from
 * X-Forwarded-Proto and the host from X-Forwarded-Host.
 */
import { SESSION_COOKIE } from "@/server/services/auth/secrets";

export const CLIENT_ADDRESS_HEADER = "x-lvs-client-address";

export interface RequestInfo {
  clientAddress: string;
  sessionToken: string | null;
  bearerToken: string | null;
  /** true: same-origin browser request; false: cross-site; null: no Origin / Sec-Fetch-Site (not a browser). */
  sameOrigin: boolean | null;
  /** HTTPS (directly or at the trusted proxy): cookies get the Secure flag. */
  secure: boolean;
  userAgent: string;
  /** scheme://host the client used (through a trusted proxy: the proxy's), null when unknown */
  origin: string | null;
}

export function trustProxy(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TRUST_PROXY === "1" || env.TRUST_PROXY === "true";
}

export function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, decodeURIComponent(part.slice(eq + 1).trim()));
  }
  return out;
}

/** Request details from a Headers object (fetch Request, next/headers) and the request URL if known. */
export function requestInfoFromHeaders(headers: Headers, url?: string): RequestInfo {
  const proxied = trustProxy();
  const forwardedFor = headers.get("x-forwarded-for");
  const clientAddress =
    (proxied && forwardedFor ? forwardedFor.split(",").map((s) => s.trim()).filter(Boolean).pop() : null) ??
    headers.get(CLIENT_ADDRESS_HEADER) ??
    "unknown";

  const proto = (proxied ? headers.get("x-forwarded-proto")?.split(",")[0]?.trim() : null) ?? (url ? new URL(url).protocol.replace(":", "") : "http");
  const host = (proxied ? headers.get("x-forwarded-host")?.split(",")[0]?.trim() : null) ?? headers.get("host") ?? (url ? new URL(url).host : null);

  let sameOrigin: boolean | null = null;
  const fetchSite = headers.get("sec-fetch-site");
  const origin = headers.get("origin");
  if (fetchSite) sameOrigin = fetchSite === "same-origin" || fetchSite === "none";
  if (origin && origin !== "null" && host) {
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    sameOrigin = (sameOrigin ?? true) && originHost === host;
  } else if (origin === "null") {
    sameOrigin = false;
  }

  const authorization = headers.get("authorization");
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;

  return {
    clientAddress: clientAddress.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1"),
    sessionToken: parseCookies(headers.get("cookie")).get(SESSION_COOKIE) || null,
    bearerToken: bearer,
    sameOrigin,
    secure: proto === "https",
    userAgent: headers.get("user-agent") ?? "",
    origin: host ? `${proto}://${host}` : null,
  };
}

export function sessionCookie(token: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? "; Secure" : ""}`;
}
