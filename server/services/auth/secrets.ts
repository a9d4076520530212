/** Random secrets and their stored form (sha256 hex; the secret itself is never stored). */
import { createHash, randomBytes } from "node:crypto";

export const SESSION_COOKIE = "lvs_session";
export const API_TOKEN_PREFIX = "lvsc_";

export function newSessionToken(): string {
  return randomBytes(32).toString("base64url");
}

export function newApiTokenSecret(): string {
  return `${API_TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** What the UI shows to recognise a token: "lvsc_" and the next 6 characters. */
export function apiTokenDisplayPrefix(secret: string): string {
  return secret.slice(0, API_TOKEN_PREFIX.length + 6);
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
