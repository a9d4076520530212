/**
 * Authentication: first-run setup, login/logout with session cookies,
 * password changes, and resolving a request's session or API token to an Actor.
 */
import type { Database } from "@/server/db";
import { read, serializableTransaction, transaction, type Tx } from "@/server/repositories/db";
import * as users from "@/server/repositories/users";
import type { AuthStatus, SessionUser, changePasswordInput, loginInput, setupInput } from "@/shared/cluster";
import type { z } from "zod";
import type { Actor } from "../actor";
import { recordAudit } from "../audit";
import { ServiceError, invalid } from "../errors";
import { hashPassword, verifyPassword } from "./passwords";
import { loginLimits } from "./rate-limit";
import { hashSecret, newSessionToken } from "./secrets";

/** A session ends after 12 hours without use, and at the latest 7 days after login. */
export const SESSION_IDLE_MS = 12 * 3600 * 1000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 3600 * 1000;
/** Sliding expiry is written at most once per minute per session. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export interface RequestCredentials {
  sessionToken: string | null;
  bearerToken: string | null;
  clientAddress: string;
}

export interface ResolvedAuth {
  actor: Actor | null;
  /** Why credentials that were presented did not authenticate (for the UNAUTHORIZED message). */
  problem: string | null;
}

export function sessionUserOf(actor: Actor): SessionUser {
  return { id: actor.userId ?? actor.tokenId ?? "", username: actor.name, role: actor.role, via: actor.via };
}

export async function resolveAuth(db: Database, creds: RequestCredentials, now = new Date()): Promise<ResolvedAuth> {
  if (creds.bearerToken) {
    const token = await read(db, (q) => users.findTokenByHash(q, hashSecret(creds.bearerToken!)));
    if (!token) return { actor: null, problem: "Unknown API token" };
    if (token.revokedAt) return { actor: null, problem: "This API token was revoked" };
    if (token.expiresAt && token.expiresAt <= now) return { actor: null, problem: "This API token has expired" };
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      await read(db, (q) => users.markTokenUsed(q, token.id, now));
    }
    return {
      actor: {
        via: "token",
        userId: null,
        tokenId: token.id,
        name: `token:${token.name}`,
        role: token.role,
        sessionId: null,
        clientAddress: creds.clientAddress,
      },
      problem: null,
    };
  }
  if (creds.sessionToken) {
    const session = await read(db, (q) => users.findSessionByHash(q, hashSecret(creds.sessionToken!)));
    if (!session) return { actor: null, problem: "Your session has ended; sign in again" };
    const absoluteEnd = session.createdAt.getTime() + SESSION_ABSOLUTE_MS;
    if (session.expiresAt <= now || absoluteEnd <= now.getTime()) {
      await read(db, (q) => users.deleteSession(q, session.id));
      return { actor: null, problem: "Your session has expired; sign in again" };
    }
    if (session.user.disabled) return { actor: null, problem: "This account is disabled" };
    if (now.getTime() - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
      const expiresAt = new Date(Math.min(now.getTime() + SESSION_IDLE_MS, absoluteEnd));
      await read(db, (q) => users.touchSession(q, session.id, { expiresAt, lastSeenAt: now }));
    }
    return {
      actor: {
        via: "session",
        userId: session.user.id,
        tokenId: null,
        name: session.user.username,
        role: session.user.role,
        sessionId: session.id,
        clientAddress: creds.clientAddress,
      },
      problem: null,
    };
  }
  return { actor: null, problem: null };
}

export async function authStatus(db: Database, actor: Actor | null): Promise<AuthStatus> {
  const needsSetup = (await read(db, (q) => users.countUsers(q))) === 0;
  return { needsSetup, user: actor ? sessionUserOf(actor) : null };
}

export interface LoginResult {
  user: SessionUser;
  /** The cookie value; only its hash is stored. */
  sessionToken: string;
}

interface ClientInfo {
  clientAddress: string;
  userAgent: string;
}

async function startSession(
  tx: Tx,
  user: { id: string; username: string },
  client: ClientInfo,
  now: Date,
) {
  await users.deleteExpiredSessions(tx, now);
  const sessionToken = newSessionToken();
  const sessionId = await users.createSession(tx, {
    tokenHash: hashSecret(sessionToken),
    userId: user.id,
    expiresAt: new Date(now.getTime() + SESSION_IDLE_MS),
    clientAddress: client.clientAddress,
    userAgent: client.userAgent.slice(0, 300),
  });
  await users.updateUser(tx, user.id, { lastLoginAt: now });
  return { sessionToken, sessionId };
}

/** First run: creates the admin account and signs it in. Refused once any user exists. */
export async function setup(db: Database, input: z.output<typeof setupInput>, client: ClientInfo): Promise<LoginResult> {
  const passwordHash = await hashPassword(input.password);
  const now = new Date();
  // Serializable (PostgreSQL): two simultaneous first-run setups cannot both create an admin.
  return serializableTransaction(db, async (tx) => {
    if ((await users.countUsers(tx)) > 0) {
      throw new ServiceError("FORBIDDEN", "The panel is already set up; sign in instead");
    }
    const userId = await users.createUser(tx, { username: input.username, passwordHash, role: "admin" });
    const { sessionToken } = await startSession(tx, { id: userId, username: input.username }, client, now);
    const actor = { userId, tokenId: null, name: input.username, clientAddress: client.clientAddress };
    await recordAudit(tx, actor, {
      action: "auth.setup",
      entityType: "user",
      entityId: userId,
      summary: `First-run setup: created admin ${input.username}`,
      after: { id: userId, username: input.username, role: "admin", disabled: false },
    });
    return { user: { id: userId, username: input.username, role: "admin", via: "session" }, sessionToken };
  });
}

function tooManyAttempts(seconds: number): ServiceError {
  const minutes = Math.ceil(seconds / 60);
  return new ServiceError(
    "TOO_MANY_REQUESTS",
    `Too many failed sign-in attempts; try again in ${minutes} minute${minutes === 1 ? "" : "s"}`,
    null,
    seconds,
  );
}

export async function login(db: Database, input: z.output<typeof loginInput>, client: ClientInfo): Promise<LoginResult> {
  const userKey = `user:${input.username}`;
  const addressKey = `addr:${client.clientAddress}`;
  const wait = Math.max(loginLimits.byUsername.retryAfterSeconds(userKey), loginLimits.byAddress.retryAfterSeconds(addressKey));
  if (wait > 0) throw tooManyAttempts(wait);

  const user = await read(db, (q) => users.findUserRecordByName(q, input.username));
  // Unknown users are verified against a dummy hash: same work, same answer.
  const ok = await verifyPassword(user?.passwordHash ?? null, input.password);
  if (!user || !ok) {
    loginLimits.byUsername.recordFailure(userKey);
    loginLimits.byAddress.recordFailure(addressKey);
    throw new ServiceError("UNAUTHORIZED", "Wrong username or password");
  }
  if (user.disabled) throw new ServiceError("FORBIDDEN", "This account is disabled; ask an admin");
  loginLimits.byUsername.clear(userKey);

  const now = new Date();
  return transaction(db, async (tx) => {
    const { sessionToken, sessionId } = await startSession(tx, user, client, now);
    await recordAudit(tx, { userId: user.id, tokenId: null, name: user.username, clientAddress: client.clientAddress }, {
      action: "auth.login",
      entityType: "session",
      entityId: sessionId,
      summary: `${user.username} signed in`,
      after: { userId: user.id, clientAddress: client.clientAddress, userAgent: client.userAgent.slice(0, 300) },
    });
    return { user: { id: user.id, username: user.username, role: user.role, via: "session" }, sessionToken };
  });
}

export async function logout(db: Database, actor: Actor): Promise<void> {
  if (!actor.sessionId) throw new ServiceError("BAD_REQUEST", "API tokens have no session to end; revoke the token instead");
  await transaction(db, async (tx) => {
    await users.deleteSession(tx, actor.sessionId!);
    await recordAudit(tx, actor, {
      action: "auth.logout",
      entityType: "session",
      entityId: actor.sessionId!,
      summary: `${actor.name} signed out`,
    });
  });
}

export async function changePassword(db: Database, actor: Actor, input: z.output<typeof changePasswordInput>): Promise<void> {
  if (!actor.userId || !actor.sessionId) throw new ServiceError("BAD_REQUEST", "Only signed-in users have a password");
  const userKey = `user:${actor.name}`;
  const wait = loginLimits.byUsername.retryAfterSeconds(userKey);
  if (wait > 0) throw tooManyAttempts(wait);
  const user = await read(db, (q) => users.findUserRecord(q, actor.userId!));
  if (!user) throw new ServiceError("UNAUTHORIZED", "Your account no longer exists");
  if (!(await verifyPassword(user.passwordHash, input.currentPassword))) {
    loginLimits.byUsername.recordFailure(userKey);
    throw invalid({ currentPassword: ["Wrong password"] });
  }
  if (input.newPassword === input.currentPassword) {
    throw invalid({ newPassword: ["Choose a password different from the current one"] });
  }
  const passwordHash = await hashPassword(input.newPassword);
  await transaction(db, async (tx) => {
    await users.updateUser(tx, user.id, { passwordHash });
    const ended = await users.deleteSessionsOfUser(tx, user.id, actor.sessionId!);
    await recordAudit(tx, actor, {
      action: "auth.changePassword",
      entityType: "user",
      entityId: user.id,
      summary: `${user.username} changed their password${ended ? ` (ended ${ended} other session${ended === 1 ? "" : "s"})` : ""}`,
    });
  });
}
