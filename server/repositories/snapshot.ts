/**
 * A full dump of the stored model, for tests that prove "invalid input
 * changes nothing". Excludes usage bookkeeping (session lastSeenAt/expiry,
 * token lastUsedAt) that reads legitimately touch.
 */
import type { Database } from "@/server/db";

export async function databaseSnapshot(db: Database): Promise<string> {
  const c = db.client;
  const byId = { orderBy: { id: "asc" as const } };
  const [clusters, hosts, directors, services, realServers, users, sessions, tokens, audit, enrollmentTokens, credentials, revisions, deployments, healthChecks, drains, healthEvents] = await Promise.all([
    c.cluster.findMany(byId),
    c.host.findMany(byId),
    c.clusterDirector.findMany(byId),
    c.virtualService.findMany(byId),
    c.realServer.findMany(byId),
    c.user.findMany(byId),
    c.session.findMany({ ...byId, select: { id: true, userId: true, tokenHash: true } }),
    c.apiToken.findMany({ ...byId, omit: { lastUsedAt: true } }),
    c.auditEvent.findMany(byId),
    c.enrollmentToken.findMany(byId),
    c.agentCredential.findMany({ ...byId, omit: { lastSeenAt: true } }),
    c.revision.findMany(byId),
    c.hostDeployment.findMany(byId),
    c.healthCheck.findMany(byId),
    c.realServerDrain.findMany(byId),
    c.healthEvent.findMany(byId),
  ]);
  return JSON.stringify({ clusters, hosts, directors, services, realServers, users, sessions, tokens, audit, enrollmentTokens, credentials, revisions, deployments, healthChecks, drains, healthEvents });
}

export async function countRows(db: Database) {
  const c = db.client;
  const [clusters, hosts, directors, services, realServers, users, sessions, tokens, auditEvents] = await Promise.all([
    c.cluster.count(),
    c.host.count(),
    c.clusterDirector.count(),
    c.virtualService.count(),
    c.realServer.count(),
    c.user.count(),
    c.session.count(),
    c.apiToken.count(),
    c.auditEvent.count(),
  ]);
  return { clusters, hosts, directors, services, realServers, users, sessions, tokens, auditEvents };
}
