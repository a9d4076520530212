/** Users, sessions and API tokens. */
import type { ApiToken, Role, User } from "@/shared/cluster";
import { iso, isoOrNull, type Tx } from "./db";

export interface UserRecord {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  passwordHash: string;
}

function toUser(r: { id: string; username: string; role: string; disabled: boolean; createdAt: Date; lastLoginAt: Date | null }): User {
  return {
    id: r.id,
    username: r.username,
    role: r.role as Role,
    disabled: r.disabled,
    createdAt: iso(r.createdAt),
    lastLoginAt: isoOrNull(r.lastLoginAt),
  };
}

const recordSelect = { id: true, username: true, role: true, disabled: true, passwordHash: true } as const;

export async function countUsers(q: Tx): Promise<number> {
  return q.user.count();
}

export async function countActiveAdmins(q: Tx): Promise<number> {
  return q.user.count({ where: { role: "admin", disabled: false } });
}

export async function listUsers(q: Tx): Promise<User[]> {
  return (await q.user.findMany({ orderBy: { username: "asc" } })).map(toUser);
}

export async function getUser(q: Tx, id: string): Promise<User | null> {
  const r = await q.user.findUnique({ where: { id } });
  return r ? toUser(r) : null;
}

export async function findUserRecord(q: Tx, id: string): Promise<UserRecord | null> {
  return (await q.user.findUnique({ where: { id }, select: recordSelect })) as UserRecord | null;
}

export async function findUserRecordByName(q: Tx, username: string): Promise<UserRecord | null> {
  return (await q.user.findUnique({ where: { username }, select: recordSelect })) as UserRecord | null;
}

export async function createUser(tx: Tx, data: { username: string; passwordHash: string; role: Role }): Promise<string> {
  return (await tx.user.create({ data, select: { id: true } })).id;
}

export async function updateUser(
  tx: Tx,
  id: string,
  data: { role?: Role; disabled?: boolean; passwordHash?: string; lastLoginAt?: Date },
): Promise<void> {
  await tx.user.update({ where: { id }, data });
}

/** Deletes the user and their sessions; tokens they created stay (createdBy becomes empty). */
export async function deleteUser(tx: Tx, id: string): Promise<void> {
  await tx.user.delete({ where: { id } });
}

// --- sessions -----------------------------------------------------------------

export interface SessionRecord {
  id: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  lastSeenAt: Date;
  user: { id: string; username: string; role: Role; disabled: boolean };
}

export async function createSession(
  tx: Tx,
  data: { tokenHash: string; userId: string; expiresAt: Date; clientAddress: string; userAgent: string },
): Promise<string> {
  return (await tx.session.create({ data, select: { id: true } })).id;
}

export async function findSessionByHash(q: Tx, tokenHash: string): Promise<SessionRecord | null> {
  const r = await q.session.findUnique({
    where: { tokenHash },
    select: {
      id: true,
      userId: true,
      createdAt: true,
      expiresAt: true,
      lastSeenAt: true,
      user: { select: { id: true, username: true, role: true, disabled: true } },
    },
  });
  return r as SessionRecord | null;
}

export async function touchSession(q: Tx, id: string, data: { expiresAt: Date; lastSeenAt: Date }): Promise<void> {
  await q.session.updateMany({ where: { id }, data });
}

export async function deleteSession(tx: Tx, id: string): Promise<void> {
  await tx.session.deleteMany({ where: { id } });
}

export async function deleteSessionsOfUser(tx: Tx, userId: string, exceptSessionId?: string): Promise<number> {
  const r = await tx.session.deleteMany({ where: { userId, id: exceptSessionId ? { not: exceptSessionId } : undefined } });
  return r.count;
}

export async function deleteExpiredSessions(q: Tx, now: Date): Promise<number> {
  return (await q.session.deleteMany({ where: { expiresAt: { lt: now } } })).count;
}

// --- API tokens -------------------------------------------------------------------

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

const tokenInclude = { createdBy: { select: { id: true, username: true } } } as const;

function toToken(r: {
  id: string;
  name: string;
  prefix: string;
  role: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdBy: { id: string; username: string } | null;
}): ApiToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    role: r.role as Role,
    createdAt: iso(r.createdAt),
    createdBy: r.createdBy,
    lastUsedAt: isoOrNull(r.lastUsedAt),
    expiresAt: isoOrNull(r.expiresAt),
    revokedAt: isoOrNull(r.revokedAt),
  };
}

export async function listTokens(q: Tx): Promise<ApiToken[]> {
  const rows = await q.apiToken.findMany({ include: tokenInclude, orderBy: [{ revokedAt: "asc" }, { createdAt: "desc" }] });
  return rows.map(toToken);
}

export async function getToken(q: Tx, id: string): Promise<ApiToken | null> {
  const r = await q.apiToken.findUnique({ where: { id }, include: tokenInclude });
  return r ? toToken(r) : null;
}

export async function createToken(
  tx: Tx,
  data: { name: string; tokenHash: string; prefix: string; role: Role; createdById: string | null; expiresAt: Date | null },
): Promise<string> {
  return (await tx.apiToken.create({ data, select: { id: true } })).id;
}

export async function findTokenByHash(q: Tx, tokenHash: string): Promise<TokenRecord | null> {
  const r = await q.apiToken.findUnique({
    where: { tokenHash },
    select: { id: true, name: true, role: true, expiresAt: true, revokedAt: true, lastUsedAt: true },
  });
  return r as TokenRecord | null;
}

export async function markTokenUsed(q: Tx, id: string, at: Date): Promise<void> {
  await q.apiToken.updateMany({ where: { id }, data: { lastUsedAt: at } });
}

export async function revokeToken(tx: Tx, id: string, at: Date): Promise<void> {
  await tx.apiToken.update({ where: { id }, data: { revokedAt: at } });
}
