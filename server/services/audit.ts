/**
 * Audit history: every mutation calls recordAudit inside its transaction,
 * so the event commits with the change or not at all.
 */
import type { Database } from "@/server/db";
import { appendAuditEvent, auditFacets, listAuditEvents } from "@/server/repositories/audit";
import { read, type Tx } from "@/server/repositories/db";
import type { AuditEntityType, AuditFacets, AuditPage, auditListInput } from "@/shared/cluster";
import type { z } from "zod";
import type { Actor } from "./actor";
import { invalid } from "./errors";

export interface AuditRecord {
  action: string;
  entityType: AuditEntityType;
  entityId: string;
  clusterId?: string | null;
  clusterName?: string | null;
  summary: string;
  before?: unknown;
  after?: unknown;
}

/** A snapshot for before/after: the DTO without bookkeeping timestamps. */
export function snapshot<T extends object>(value: T | null): Record<string, unknown> | null {
  if (!value) return null;
  const { createdAt: _c, updatedAt: _u, ...rest } = value as Record<string, unknown>;
  return rest;
}

export async function recordAudit(tx: Tx, actor: Pick<Actor, "userId" | "tokenId" | "name" | "clientAddress">, event: AuditRecord) {
  await appendAuditEvent(tx, {
    actorUserId: actor.userId,
    actorTokenId: actor.tokenId,
    actorName: actor.name,
    clientAddress: actor.clientAddress,
    action: event.action,
    entityType: event.entityType,
    entityId: event.entityId,
    clusterId: event.clusterId ?? null,
    clusterName: event.clusterName ?? null,
    summary: event.summary,
    before: event.before ?? null,
    after: event.after ?? null,
  });
}

function encodeCursor(at: string, id: string): string {
  return Buffer.from(`${at}|${id}`).toString("base64url");
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const date = new Date(at ?? "");
  if (!id || Number.isNaN(date.getTime())) throw invalid({ cursor: ["Invalid cursor"] });
  return { at: date, id };
}

export async function listAudit(db: Database, input: z.output<typeof auditListInput>): Promise<AuditPage> {
  const from = input.from ? new Date(input.from) : undefined;
  const to = input.to ? new Date(input.to) : undefined;
  if (from && to && from >= to) throw invalid({ to: ["The end must be after the start"] });
  const items = await read(db, (q) =>
    listAuditEvents(q, {
      userId: input.userId,
      clusterId: input.clusterId,
      entityType: input.entityType,
      from,
      to,
      cursor: input.cursor ? decodeCursor(input.cursor) : undefined,
      limit: input.limit + 1,
    }),
  );
  const more = items.length > input.limit;
  const page = more ? items.slice(0, input.limit) : items;
  const last = page[page.length - 1];
  return { items: page, nextCursor: more && last ? encodeCursor(last.at, last.id) : null };
}

export async function getAuditFacets(db: Database): Promise<AuditFacets> {
  return read(db, (q) => auditFacets(q));
}
