/**
 * Virtual services and real servers: the rules that need the database
 * (duplicates in a cluster, the same VIP:port in another cluster, the same
 * real server twice, host addresses) on top of the shared pure rules.
 */
import type { Database } from "@/server/db";
import { findCluster } from "@/server/repositories/clusters";
import { read, serializableTransaction, transaction, type Tx } from "@/server/repositories/db";
import { findHostRef } from "@/server/repositories/hosts";
import * as repo from "@/server/repositories/services";
import { plural } from "@/shared/text";
import {
  addressFamily,
  addressSortKey,
  checkRealServer,
  checkRealServerDuplicates,
  endpointLabel,
  realServerEndpointKey,
  virtualServiceFieldsSchema,
  virtualServiceKey,
  virtualServiceLabel,
  type FieldIssue,
  type RealServer,
  type RealServerFields,
  type VirtualService,
  type VirtualServiceFields,
  type VirtualServicePage,
  type realServerCreateInput,
  type realServerUpdateInput,
  type virtualServiceCreateInput,
  type virtualServiceListInput,
  type virtualServiceUpdateInput,
} from "@/shared/cluster";
import type { z } from "zod";
import type { ServiceContext } from "./actor";
import { recordAudit, snapshot } from "./audit";
import { conflict, invalid, notFound } from "./errors";
import { NO_HEALTH, assertExecAllowed, describeHealthChange, mergeHealth, validateHealth, writeHealth } from "./health-checks";

export async function listServices(db: Database, input: z.output<typeof virtualServiceListInput>): Promise<VirtualServicePage> {
  const page = await read(db, async (q) => {
    const result = await repo.listServices(q, input);
    // An empty page may mean a wrong cluster id: only then is the existence check worth a query.
    if (result.total === 0 && !(await findCluster(q, input.clusterId))) throw notFound("Cluster");
    return result;
  });
  return { ...page, page: input.page, pageSize: input.pageSize };
}

export async function getService(db: Database, id: string): Promise<VirtualService> {
  const service = await read(db, (q) => repo.getService(q, id));
  if (!service) throw notFound("Virtual service");
  return service;
}

/** Stored form of validated service fields. */
export function serviceData(fields: VirtualServiceFields): repo.VirtualServiceData {
  const key = virtualServiceKey(fields);
  const mark = fields.protocol === "FWMARK" ? String(fields.fwmark).padStart(10, "0") : String(fields.port).padStart(5, "0");
  return {
    protocol: fields.protocol,
    address: fields.address,
    family: addressFamily(fields.address) ?? "ipv4",
    port: fields.port,
    fwmark: fields.fwmark,
    scheduler: fields.scheduler,
    schedulerFlags: fields.schedulerFlags,
    persistenceTimeout: fields.persistenceTimeout,
    persistenceNetmask: fields.persistenceNetmask,
    persistenceEngine: fields.persistenceEngine,
    markProtocol: fields.markProtocol,
    markPorts: fields.markPorts,
    description: fields.description,
    enabled: fields.enabled,
    serviceKey: key,
    sortKey: `${addressSortKey(fields.address)}|${fields.protocol}|${mark}`,
  };
}

/** Stored form of a real server whose address is resolved. */
export function realServerData(service: { port: number | null }, rs: RealServerFields & { address: string }): repo.RealServerData {
  return {
    hostId: rs.hostId,
    address: rs.address,
    port: rs.port,
    forwarding: rs.forwarding,
    weight: rs.weight,
    upperThreshold: rs.upperThreshold,
    lowerThreshold: rs.lowerThreshold,
    enabled: rs.enabled,
    endpointKey: realServerEndpointKey(service, rs),
  };
}

/** Fills a host-backed real server's address from the host (unless given). Issues are relative to the real server. */
async function resolveRealServerAddress(
  tx: Tx,
  rs: RealServerFields,
): Promise<{ fields: RealServerFields & { address: string | null }; issues: FieldIssue[] }> {
  if (rs.hostId === null) return { fields: rs, issues: [] };
  const host = await findHostRef(tx, rs.hostId);
  if (!host) return { fields: rs, issues: [{ path: ["hostId"], message: "Unknown host" }] };
  return { fields: { ...rs, address: rs.address ?? host.managementAddress }, issues: [] };
}

/** Duplicate in the cluster and the same VIP:port in another cluster. */
async function checkServiceConflicts(tx: Tx, clusterId: string, fields: VirtualServiceFields, selfId: string | null) {
  const existing = await repo.findServiceByKey(tx, clusterId, virtualServiceKey(fields));
  if (existing && existing.id !== selfId) {
    const field = fields.protocol === "FWMARK" ? "fwmark" : "port";
    throw conflict(field, `${virtualServiceLabel(fields)} already exists in this cluster`);
  }
  if (fields.port !== null) {
    const others = await repo.findEndpointInOtherClusters(tx, fields.address, fields.port, clusterId);
    if (others.length > 0) {
      const o = others[0];
      throw conflict(
        "address",
        `${endpointLabel(fields.address, fields.port)} is already used by cluster ${o.clusterName} (${o.protocol}); a VIP:port belongs to one cluster`,
      );
    }
  }
}

function serviceSnapshot(s: VirtualService) {
  const { realServers, ...rest } = snapshot(s) as VirtualService;
  return { ...rest, realServers: realServers.map((r) => realServerSnapshot(r)) };
}

function serviceFieldsSnapshot(s: VirtualService) {
  const { realServers: _r, ...rest } = snapshot(s) as VirtualService;
  return rest;
}

function realServerSnapshot(r: RealServer) {
  const { host, ...rest } = snapshot(r) as RealServer;
  return { ...rest, host: host?.name ?? null };
}

export async function createService(
  ctx: ServiceContext,
  input: z.output<typeof virtualServiceCreateInput>,
): Promise<VirtualService> {
  const { clusterId, realServers, healthCheck, onFailure, slowStartSeconds, sorryServer, ...fields } = input;
  const health = { healthCheck, onFailure, slowStartSeconds, sorryServer };
  assertExecAllowed(ctx.actor, null, healthCheck);
  return serializableTransaction(ctx.db, async (tx) => {
    const cluster = await findCluster(tx, clusterId);
    if (!cluster) throw notFound("Cluster");

    // Host-backed real servers get their address now; then the real-server rules run on all of them.
    const issues: FieldIssue[] = [];
    const resolved: (RealServerFields & { address: string })[] = [];
    for (const [i, rs] of realServers.entries()) {
      const r = await resolveRealServerAddress(tx, rs);
      issues.push(...r.issues.map((x) => ({ path: ["realServers", i, ...x.path], message: x.message })));
      if (r.issues.length === 0 && rs.address === null) {
        issues.push(...checkRealServer(fields, r.fields).map((x) => ({ path: ["realServers", i, ...x.path], message: x.message })));
      }
      resolved.push(r.fields as RealServerFields & { address: string });
    }
    if (issues.length === 0) {
      issues.push(...checkRealServerDuplicates(fields, resolved).map((x) => ({ path: ["realServers", ...x.path], message: x.message })));
    }
    if (issues.length > 0) throw invalid(issues);
    validateHealth(fields, health, resolved);
    // Serializable (PostgreSQL): two clusters cannot claim the same VIP:port concurrently.
    await checkServiceConflicts(tx, clusterId, fields, null);

    const id = await repo.createService(
      tx,
      clusterId,
      serviceData(fields),
      resolved.map((rs) => realServerData(fields, rs)),
    );
    if (health.healthCheck || health.sorryServer || health.onFailure !== NO_HEALTH.onFailure || health.slowStartSeconds !== 0) {
      await writeHealth(tx, id, health);
    }
    const created = (await repo.getService(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "virtualService.create",
      entityType: "virtualService",
      entityId: id,
      clusterId,
      clusterName: cluster.name,
      summary: `Created ${virtualServiceLabel(created)} (${created.scheduler}) with ${plural(created.realServers.length, "real server")} in ${cluster.name}`,
      after: serviceSnapshot(created),
    });
    return created;
  });
}

export async function updateService(
  ctx: ServiceContext,
  input: z.output<typeof virtualServiceUpdateInput>,
): Promise<VirtualService> {
  return serializableTransaction(ctx.db, async (tx) => {
    const before = await repo.getService(tx, input.id);
    if (!before) throw notFound("Virtual service");
    const cluster = (await findCluster(tx, before.clusterId))!;
    const { id: _id, healthCheck, onFailure, slowStartSeconds, sorryServer, ...patch } = input;
    const healthBefore = { healthCheck: before.healthCheck, onFailure: before.onFailure, slowStartSeconds: before.slowStartSeconds, sorryServer: before.sorryServer };
    const health = mergeHealth(healthBefore, { healthCheck, onFailure, slowStartSeconds, sorryServer });
    assertExecAllowed(ctx.actor, before.healthCheck, health.healthCheck);
    const definedPatch = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const parsed = virtualServiceFieldsSchema.safeParse({ ...serviceFieldsOf(before), ...definedPatch });
    if (!parsed.success) {
      throw invalid(parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })));
    }
    const fields = parsed.data;

    // The service's real servers must still fit (port remap, family, duplicates after a port change).
    const issues: FieldIssue[] = [];
    for (const rs of before.realServers) {
      for (const x of checkRealServer(fields, rs)) {
        issues.push({
          path: [x.path[0] === "port" ? "port" : "address"],
          message: `Real server ${endpointLabel(rs.address, rs.port)}: ${x.message}`,
        });
      }
    }
    for (const x of checkRealServerDuplicates(fields, before.realServers)) {
      issues.push({ path: ["port"], message: `Two real servers would become the same endpoint: ${x.message}` });
    }
    if (issues.length > 0) throw invalid(issues);
    validateHealth(fields, health, before.realServers);
    await checkServiceConflicts(tx, before.clusterId, fields, before.id);

    await repo.updateService(tx, before.id, serviceData(fields));
    const healthChanges = describeHealthChange(healthBefore, health);
    if (healthChanges.length > 0) await writeHealth(tx, before.id, health);
    for (const rs of before.realServers) {
      const key = realServerEndpointKey(fields, rs);
      if (key !== realServerEndpointKey(before, rs)) await repo.setRealServerEndpointKey(tx, rs.id, key);
    }
    const after = (await repo.getService(tx, before.id))!;
    await recordAudit(tx, ctx.actor, {
      action: "virtualService.update",
      entityType: "virtualService",
      entityId: before.id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Updated ${virtualServiceLabel(after)} in ${cluster.name}${healthChanges.length > 0 ? `: ${healthChanges.join(", ")}` : ""}`,
      before: serviceFieldsSnapshot(before),
      after: serviceFieldsSnapshot(after),
    });
    return after;
  });
}

function serviceFieldsOf(s: VirtualService) {
  return {
    protocol: s.protocol,
    address: s.address,
    port: s.port,
    fwmark: s.fwmark,
    scheduler: s.scheduler,
    schedulerFlags: s.schedulerFlags,
    persistenceTimeout: s.persistenceTimeout,
    persistenceNetmask: s.persistenceNetmask,
    persistenceEngine: s.persistenceEngine,
    markProtocol: s.markProtocol,
    markPorts: s.markPorts,
    description: s.description,
    enabled: s.enabled,
  };
}

export async function deleteService(ctx: ServiceContext, id: string): Promise<void> {
  await transaction(ctx.db, async (tx) => {
    const before = await repo.getService(tx, id);
    if (!before) throw notFound("Virtual service");
    const cluster = (await findCluster(tx, before.clusterId))!;
    await repo.deleteService(tx, id);
    await recordAudit(tx, ctx.actor, {
      action: "virtualService.delete",
      entityType: "virtualService",
      entityId: id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Deleted ${virtualServiceLabel(before)} and its ${plural(before.realServers.length, "real server")} from ${cluster.name}`,
      before: serviceSnapshot(before),
    });
  });
}

// --- real servers -------------------------------------------------------------------

async function loadServiceForRealServer(tx: Tx, virtualServiceId: string) {
  const service = await repo.getService(tx, virtualServiceId);
  if (!service) throw notFound("Virtual service");
  const cluster = (await findCluster(tx, service.clusterId))!;
  return { service, cluster };
}

async function validateRealServer(
  tx: Tx,
  service: VirtualService,
  rs: RealServerFields,
  selfId: string | null,
): Promise<RealServerFields & { address: string }> {
  const resolved = await resolveRealServerAddress(tx, rs);
  if (resolved.issues.length > 0) throw invalid(resolved.issues);
  const issues = checkRealServer(service, resolved.fields);
  if (issues.length > 0) throw invalid(issues);
  const fields = resolved.fields as RealServerFields & { address: string };
  const clash = await repo.findRealServerByEndpoint(tx, service.id, realServerEndpointKey(service, fields));
  if (clash && clash.id !== selfId) {
    throw conflict(
      "address",
      `${endpointLabel(fields.address, fields.port ?? service.port)} is already a real server of ${virtualServiceLabel(service)}`,
    );
  }
  return fields;
}

export async function createRealServer(ctx: ServiceContext, input: z.output<typeof realServerCreateInput>): Promise<RealServer> {
  const { virtualServiceId, ...rs } = input;
  return transaction(ctx.db, async (tx) => {
    const { service, cluster } = await loadServiceForRealServer(tx, virtualServiceId);
    const fields = await validateRealServer(tx, service, rs, null);
    const id = await repo.createRealServer(tx, service.id, realServerData(service, fields));
    const created = (await repo.getRealServer(tx, id))!;
    await recordAudit(tx, ctx.actor, {
      action: "realServer.create",
      entityType: "realServer",
      entityId: id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Added real server ${endpointLabel(created.address, created.port ?? service.port)} (${created.forwarding}, weight ${created.weight}) to ${virtualServiceLabel(service)}`,
      after: realServerSnapshot(created),
    });
    return created;
  });
}

export async function updateRealServer(ctx: ServiceContext, input: z.output<typeof realServerUpdateInput>): Promise<RealServer> {
  return transaction(ctx.db, async (tx) => {
    const before = await repo.getRealServer(tx, input.id);
    if (!before) throw notFound("Real server");
    const { service, cluster } = await loadServiceForRealServer(tx, before.virtualServiceId);
    const hostChanged = input.hostId !== undefined && input.hostId !== before.hostId;
    const merged: RealServerFields = {
      hostId: input.hostId !== undefined ? input.hostId : before.hostId,
      // Choosing another host without an address takes that host's address.
      address: input.address !== undefined ? input.address : hostChanged && input.hostId ? null : before.address,
      port: input.port !== undefined ? input.port : before.port,
      forwarding: input.forwarding ?? before.forwarding,
      weight: input.weight ?? before.weight,
      upperThreshold: input.upperThreshold ?? before.upperThreshold,
      lowerThreshold: input.lowerThreshold ?? before.lowerThreshold,
      enabled: input.enabled ?? before.enabled,
    };
    if (merged.hostId === null && merged.address === null) throw invalid({ address: ["Choose a host or enter an address"] });
    const fields = await validateRealServer(tx, service, merged, before.id);
    await repo.updateRealServer(tx, before.id, realServerData(service, fields));
    const after = (await repo.getRealServer(tx, before.id))!;
    const changes = describeRealServerChange(before, after);
    await recordAudit(tx, ctx.actor, {
      action: "realServer.update",
      entityType: "realServer",
      entityId: before.id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Real server ${endpointLabel(after.address, after.port ?? service.port)} of ${virtualServiceLabel(service)}: ${changes}`,
      before: realServerSnapshot(before),
      after: realServerSnapshot(after),
    });
    return after;
  });
}

function describeRealServerChange(before: RealServer, after: RealServer): string {
  const keys = ["address", "port", "forwarding", "weight", "upperThreshold", "lowerThreshold", "enabled", "hostId"] as const;
  const parts = keys
    .filter((k) => before[k] !== after[k])
    .map((k) => `${k} ${String(before[k] ?? "—")} → ${String(after[k] ?? "—")}`);
  return parts.length > 0 ? parts.join(", ") : "no changes";
}

export async function deleteRealServer(ctx: ServiceContext, id: string): Promise<void> {
  await transaction(ctx.db, async (tx) => {
    const before = await repo.getRealServer(tx, id);
    if (!before) throw notFound("Real server");
    const { service, cluster } = await loadServiceForRealServer(tx, before.virtualServiceId);
    await repo.deleteRealServer(tx, id);
    await recordAudit(tx, ctx.actor, {
      action: "realServer.delete",
      entityType: "realServer",
      entityId: id,
      clusterId: cluster.id,
      clusterName: cluster.name,
      summary: `Removed real server ${endpointLabel(before.address, before.port ?? service.port)} from ${virtualServiceLabel(service)}`,
      before: realServerSnapshot(before),
    });
  });
}
