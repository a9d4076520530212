/**
 * Audit events: append and read. Append-only by construction — this module
 * has no update or delete, and no other module touches the table.
 */
import type { AuditEvent, AuditFacets } from "@/shared/cluster";
import { iso, type Tx } from "./db";

export interface AuditEntry {
  actorUserId: string | null;
  actorTokenId: string | null;
  actorName: string;
  clientAddress: string;
  action: string;
  entityType: string;
  entityId: string;
  clusterId: string | null;
  clusterName: string | null;
  summary: string;
  before: unknown;
  after: unknown;
}

const toJson = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
const fromJson = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

export async function appendAuditEvent(tx: Tx, entry: AuditEntry): Promise<string> {
  const row = await tx.auditEvent.create({
    data: { ...entry, before: toJson(entry.before), after: toJson(entry.after) },
    select: { id: true },
  });
  return row.id;
}

export interface AuditQuery {
  userId?: string;
  clusterId?: string;
  entityType?: string;
  from?: Date;
  to?: Date;
  /** "<iso at>|<id>" of the last item of the previous page */
  cursor?: { at: Date; id: string };
  limit: number;
}

/** Newest first, keyset-paginated on (at, id). */
export async function listAuditEvents(q: Tx, query: AuditQuery): Promise<AuditEvent[]> {
  const at: { gte?: Date; lt?: Date } = {};
  if (query.from) at.gte = query.from;
  if (query.to) at.lt = query.to;
  const rows = await q.auditEvent.findMany({
    where: {
      actorUserId: query.userId,
      clusterId: query.clusterId,
      entityType: query.entityType,
      at: query.from || query.to ? at : undefined,
      ...(query.cursor
        ? { OR: [{ at: { lt: query.cursor.at } }, { at: query.cursor.at, id: { lt: query.cursor.id } }] }
        : {}),
    },
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: query.limit,
  });
  return rows.map((r) => ({
    id: r.id,
    at: iso(r.at),
    actor: { userId: r.actorUserId, tokenId: r.actorTokenId, name: r.actorName },
    clientAddress: r.clientAddress,
    action: r.action,
    entityType: r.entityType,
    entityId: r.entityId,
    clusterId: r.clusterId,
    clusterName: r.clusterName,
    summary: r.summary,
    before: fromJson(r.before),
    after: fromJson(r.after),
  }));
}

/** Distinct users, clusters and entity types that appear in the log (for filter menus). */
export async function auditFacets(q: Tx): Promise<AuditFacets> {
  const [users, clusters, types] = await Promise.all([
    q.auditEvent.groupBy({ by: ["actorUserId", "actorName"], where: { actorUserId: { not: null } } }),
    q.auditEvent.groupBy({ by: ["clusterId", "clusterName"], where: { clusterId: { not: null } } }),
    q.auditEvent.groupBy({ by: ["entityType"] }),
  ]);
  // A renamed cluster or user appears under several names: keep the latest-sorted one per id.
  const byId = <T extends { id: string; name: string }>(list: T[]) => {
    const map = new Map<string, T>();
    for (const item of list) map.set(item.id, item);
    return [...map.values()].sort((a, b) => a.name.localeCompare(b.name));
  };
  return {
    users: byId(users.map((u) => ({ id: u.actorUserId as string, name: u.actorName }))),
    clusters: byId(clusters.map((c) => ({ id: c.clusterId as string, name: c.clusterName ?? c.clusterId! }))),
    entityTypes: types.map((t) => t.entityType).sort(),
  };
}
