/** User accounts and API tokens (admin only). */
import type { Database } from "@/server/db";
import { read, transaction } from "@/server/repositories/db";
import * as users from "@/server/repositories/users";
import type {
  ApiToken,
  CreatedApiToken,
  User,
  tokenCreateInput,
  userCreateInput,
  userUpdateInput,
} from "@/shared/cluster";
import type { z } from "zod";
import type { ServiceContext } from "./actor";
import { recordAudit, snapshot } from "./audit";
import { hashPassword } from "./auth/passwords";
import { apiTokenDisplayPrefix, hashSecret, newApiTokenSecret } from "./auth/secrets";
import { ServiceError, conflict, notFound } from "./errors";

export function listUsers(db: Database): Promise<User[]> {
  return read(db, (q) => users.listUsers(q));
}

const userSnapshot = (u: User) => {
  const { lastLoginAt: _l, ...rest } = snapshot(u) as User;
  return rest;
};

export async function createUser(ctx: ServiceContext, input: z.output<typeof userCreateInput>): Promise<User> {
  const passwordHash = await hashPassword(input.password);
  return transaction(ctx.db, async (tx) => {
    if (await users.findUserRecordByName(tx, input.username)) {
      throw conflict("username", `The username ${input.username} is taken`);
    }
    const id = await users.createUser(tx, { username: input.username, passwordHash, role: input.role });
    const created = (await users.getUser(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "user.create",
      entityType: "user",
      entityId: id,
      summary: `Created ${input.role} ${input.username}`,
      after: userSnapshot(created),
    });
    return created;
  });
}

export async function updateUser(ctx: ServiceContext, input: z.output<typeof userUpdateInput>): Promise<User> {
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return transaction(ctx.db, async (tx) => {
    const before = await users.getUser(tx, input.id);
    if (!before) throw notFound("User");
    const self = before.id === ctx.actor.userId;
    if (self && input.disabled === true) throw conflict("disabled", "You cannot disable your own account");
    const losesAdmin =
      before.role === "admin" && !before.disabled && ((input.role && input.role !== "admin") || input.disabled === true);
    if (losesAdmin && (await users.countActiveAdmins(tx)) <= 1) {
      throw conflict(input.role && input.role !== "admin" ? "role" : "disabled", `${before.username} is the last active admin; make another admin first`);
    }
    await users.updateUser(tx, before.id, { role: input.role, disabled: input.disabled, passwordHash });
    // Disabled accounts and reset passwords end the user's sessions.
    if (input.disabled === true || passwordHash) {
      await users.deleteSessionsOfUser(tx, before.id, self ? (ctx.actor.sessionId ?? undefined) : undefined);
    }
    const after = (await users.getUser(tx, before.id))!;
    const changes = [
      before.role !== after.role ? `role ${before.role} → ${after.role}` : null,
      before.disabled !== after.disabled ? (after.disabled ? "disabled" : "enabled") : null,
      passwordHash ? "password reset" : null,
    ].filter(Boolean);
    await recordAudit(tx, ctx.actor, {
      action: "user.update",
      entityType: "user",
      entityId: before.id,
      summary: `User ${before.username}: ${changes.join(", ") || "no changes"}`,
      before: userSnapshot(before),
      after: { ...userSnapshot(after), ...(passwordHash ? { passwordReset: true } : {}) },
    });
    return after;
  });
}

export async function deleteUser(ctx: ServiceContext, id: string): Promise<void> {
  await transaction(ctx.db, async (tx) => {
    const before = await users.getUser(tx, id);
    if (!before) throw notFound("User");
    if (before.id === ctx.actor.userId) throw conflict(null, "You cannot delete your own account");
    if (before.role === "admin" && !before.disabled && (await users.countActiveAdmins(tx)) <= 1) {
      throw conflict(null, `${before.username} is the last active admin`);
    }
    await users.deleteUser(tx, id);
    await recordAudit(tx, ctx.actor, {
      action: "user.delete",
      entityType: "user",
      entityId: id,
      summary: `Deleted user ${before.username}`,
      before: userSnapshot(before),
    });
  });
}

// --- API tokens ---------------------------------------------------------------------

export function listTokens(db: Database): Promise<ApiToken[]> {
  return read(db, (q) => users.listTokens(q));
}

const tokenSnapshot = (t: ApiToken) => {
  const { lastUsedAt: _l, createdBy, ...rest } = snapshot(t) as ApiToken;
  return { ...rest, createdBy: createdBy?.username ?? null };
};

export async function createToken(ctx: ServiceContext, input: z.output<typeof tokenCreateInput>): Promise<CreatedApiToken> {
  const secret = newApiTokenSecret();
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 24 * 3600 * 1000) : null;
  return transaction(ctx.db, async (tx) => {
    const id = await users.createToken(tx, {
      name: input.name,
      tokenHash: hashSecret(secret),
      prefix: apiTokenDisplayPrefix(secret),
      role: input.role,
      createdById: ctx.actor.userId,
      expiresAt,
    });
    const token = (await users.getToken(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "apiToken.create",
      entityType: "apiToken",
      entityId: id,
      summary: `Created ${input.role} API token ${input.name} (${token.prefix}…)`,
      after: tokenSnapshot(token),
    });
    return { token, secret };
  });
}

export async function revokeToken(ctx: ServiceContext, id: string): Promise<ApiToken> {
  return transaction(ctx.db, async (tx) => {
    const before = await users.getToken(tx, id);
    if (!before) throw notFound("API token");
    if (before.revokedAt) throw new ServiceError("CONFLICT", `API token ${before.name} is already revoked`);
    await users.revokeToken(tx, id, new Date());
    const after = (await users.getToken(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "apiToken.revoke",
      entityType: "apiToken",
      entityId: id,
      summary: `Revoked API token ${before.name} (${before.prefix}…)`,
      before: tokenSnapshot(before),
      after: tokenSnapshot(after),
    });
    return after;
  });
}
