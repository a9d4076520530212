/**
 * Agents (issue #4): enrollment (one-time token → per-host credential),
 * revocation, credential checks for the gateway, and repair.
 *
 * Secrets: enrollment tokens (`lvse_…`, 1 h, one use) and credentials
 * (`lvsh_…`) are 32 random bytes, shown once and stored as sha256. Enrolling a
 * host again revokes its previous credential.
 */
import { randomBytes } from "node:crypto";
import { getAgentGateway } from "@/server/agent-gateway/registry";
import type { Database } from "@/server/db";
import * as agents from "@/server/repositories/agents";
import { read, transaction } from "@/server/repositories/db";
import { findHostRef } from "@/server/repositories/hosts";
import { CREDENTIAL_PATTERN, ENROLLMENT_TOKEN_PATTERN, INSTALL_SCRIPT_PATH, type EnrollResponse } from "@/shared/agent-protocol";
import type { EnrollResult, RepairResult } from "@/shared/revisions";
import type { ServiceContext } from "./actor";
import { recordAudit } from "./audit";
import { hashSecret } from "./auth/secrets";
import { ServiceError, conflict, notFound } from "./errors";

export const ENROLLMENT_TOKEN_PREFIX = "lvse_";
export const CREDENTIAL_PREFIX = "lvsh_";
export const ENROLLMENT_TOKEN_TTL_MS = 60 * 60 * 1000;

const newSecret = (prefix: string) => `${prefix}${randomBytes(32).toString("base64url")}`;
/** "lvsh_" and the next 6 characters, for recognising a credential. */
export const credentialDisplayPrefix = (credential: string) => credential.slice(0, CREDENTIAL_PREFIX.length + 6);

/** The panel's base URL for the install command: PANEL_URL when set, else the request's origin. */
export function panelBaseUrl(requestOrigin: string | null): string {
  const configured = process.env.PANEL_URL?.trim();
  return (configured || requestOrigin || "http://127.0.0.1:3000").replace(/\/+$/, "");
}

/** The copy-paste command shown once in the enroll dialog. */
export function installCommand(panelUrl: string, token: string): string {
  const quoted = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return `curl -fsSL ${quoted(`${panelUrl}${INSTALL_SCRIPT_PATH}`)} | sudo sh -s -- --panel ${quoted(panelUrl)} --token ${quoted(token)}`;
}

export async function enrollHost(ctx: ServiceContext & { panelUrl: string }, hostId: string): Promise<EnrollResult> {
  const token = newSecret(ENROLLMENT_TOKEN_PREFIX);
  const now = new Date();
  const expiresAt = new Date(now.getTime() + ENROLLMENT_TOKEN_TTL_MS);
  await transaction(ctx.db, async (tx) => {
    const host = await findHostRef(tx, hostId);
    if (!host) throw notFound("Host");
    // A new token replaces unused ones: only the latest command works.
    await agents.expireEnrollmentTokens(tx, hostId, now);
    await agents.createEnrollmentToken(tx, { hostId, tokenHash: hashSecret(token), expiresAt, createdById: ctx.actor.userId });
    await recordAudit(tx, ctx.actor, {
      action: "agent.enroll",
      entityType: "host",
      entityId: hostId,
      summary: `Issued a one-time enrollment token for ${host.name} (valid until ${expiresAt.toISOString()})`,
      after: { host: host.name, expiresAt: expiresAt.toISOString() },
    });
  });
  return { hostId, token, command: installCommand(ctx.panelUrl, token), expiresAt: expiresAt.toISOString() };
}

export async function revokeAgent(ctx: ServiceContext, hostId: string): Promise<void> {
  await transaction(ctx.db, async (tx) => {
    const host = await findHostRef(tx, hostId);
    if (!host) throw notFound("Host");
    const now = new Date();
    const prefix = await agents.activeCredentialPrefix(tx, hostId);
    const revoked = await agents.revokeCredentials(tx, hostId, now);
    const expired = await agents.expireEnrollmentTokens(tx, hostId, now);
    if (revoked === 0 && expired === 0) throw conflict(null, `${host.name} has no agent credential or enrollment token to revoke`);
    await recordAudit(tx, ctx.actor, {
      action: "agent.revoke",
      entityType: "host",
      entityId: hostId,
      summary: `Revoked the agent credential of ${host.name}${prefix ? ` (${prefix}…)` : ""}${expired ? " and its unused enrollment token" : ""}`,
      before: { host: host.name, credential: prefix },
    });
  });
  getAgentGateway().disconnect(hostId);
}

export async function repairHost(ctx: ServiceContext, hostId: string): Promise<RepairResult> {
  const gateway = getAgentGateway();
  const host = await read(ctx.db, (q) => findHostRef(q, hostId));
  if (!host) throw notFound("Host");
  if (!gateway.isOnline(hostId)) throw conflict(null, `The agent of ${host.name} is not connected; it repairs when it reconnects and receives its state`);
  await transaction(ctx.db, async (tx) => {
    await recordAudit(tx, ctx.actor, {
      action: "agent.repair",
      entityType: "host",
      entityId: hostId,
      summary: `Asked the agent of ${host.name} to repair drift (re-apply its desired state)`,
      after: { host: host.name },
    });
  });
  return gateway.repair(hostId);
}

// --- the agent's side: HTTP enrollment and socket authentication ----------------------------

export class EnrollmentError extends ServiceError {
  constructor(message: string) {
    super("UNAUTHORIZED", message);
  }
}

/**
 * POST /api/agent/enroll: a valid, unused, unexpired token becomes the host's
 * credential (the previous one is revoked). Anything else is refused and
 * nothing is stored.
 */
export async function exchangeEnrollmentToken(db: Database, token: string, hostname: string, clientAddress: string): Promise<EnrollResponse> {
  if (!ENROLLMENT_TOKEN_PATTERN.test(token)) throw new EnrollmentError("not an enrollment token");
  const credential = newSecret(CREDENTIAL_PREFIX);
  return transaction(db, async (tx) => {
    const now = new Date();
    const row = await agents.findEnrollmentToken(tx, hashSecret(token));
    if (!row) throw new EnrollmentError("unknown enrollment token; ask an admin for a new one");
    if (row.usedAt) throw new EnrollmentError("this enrollment token was already used; ask an admin for a new one");
    if (row.expiresAt <= now) throw new EnrollmentError("this enrollment token has expired (tokens are valid for 1 hour); ask an admin for a new one");
    if (!(await agents.useEnrollmentToken(tx, row.id, now))) throw new EnrollmentError("this enrollment token was already used; ask an admin for a new one");
    const replaced = await agents.revokeCredentials(tx, row.hostId, now);
    await agents.createCredential(tx, { hostId: row.hostId, tokenHash: hashSecret(credential), prefix: credentialDisplayPrefix(credential) });
    await recordAudit(tx, { userId: null, tokenId: null, name: `agent:${row.host.name}`, clientAddress }, {
      action: "agent.credentialIssued",
      entityType: "host",
      entityId: row.hostId,
      summary: `The agent on ${hostname} enrolled as ${row.host.name}${replaced ? " (the previous credential was revoked)" : ""}`,
      after: { host: row.host.name, hostname, credential: credentialDisplayPrefix(credential) },
    });
    return { hostId: row.hostId, hostName: row.host.name, credential };
  });
}

export interface AuthenticatedAgent {
  hostId: string;
  hostName: string;
  credentialId: string;
}

/** The gateway's handshake check: the credential must be active and belong to `hostId`. */
export async function authenticateAgent(db: Database, hostId: string, credential: string): Promise<AuthenticatedAgent | null> {
  if (!CREDENTIAL_PATTERN.test(credential)) return null;
  return read(db, async (q) => {
    const row = await agents.findCredential(q, hashSecret(credential));
    if (!row || row.revokedAt || row.hostId !== hostId) return null;
    const name = await agents.findHostName(q, hostId);
    return name ? { hostId, hostName: name, credentialId: row.id } : null;
  });
}
