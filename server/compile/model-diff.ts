/**
 * The model diff a reviewer reads: clusters, directors, services and real
 * servers added / removed / changed between two snapshots (by id), with
 * field-level before → after. PURE.
 */
import { endpointLabel, virtualServiceLabel } from "@/shared/cluster/rules";
import { healthCheckSummary } from "@/shared/cluster/health";
import type { ClusterSnapshot, FieldChange, ModelChange, SnapshotRealServer, SnapshotService } from "@/shared/revisions";
import type { HostRole } from "./index";

function show(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.length === 0 ? "" : value.join(",");
  return String(value);
}

function fieldChanges<T extends object>(before: T, after: T, fields: (keyof T)[]): FieldChange[] {
  const out: FieldChange[] = [];
  for (const f of fields) {
    const b = show(before[f]);
    const a = show(after[f]);
    if (b !== a) out.push({ field: String(f), before: b, after: a });
  }
  return out;
}

function allFields<T extends object>(value: T, fields: (keyof T)[], side: "before" | "after"): FieldChange[] {
  return fields
    .map((f) => ({ field: String(f), before: side === "before" ? show(value[f]) : null, after: side === "after" ? show(value[f]) : null }))
    .filter((c) => (side === "before" ? c.before : c.after) !== null && (side === "before" ? c.before : c.after) !== "");
}

/** A service as the diff compares it: health settings as one readable line each (absent = the default). */
type ServiceView = Omit<SnapshotService, "healthCheck" | "sorryServer"> & { healthCheck?: string; sorryServer?: string };
function view(s: SnapshotService): ServiceView {
  const { healthCheck, sorryServer, ...rest } = s;
  return {
    ...rest,
    ...(healthCheck ? { healthCheck: healthCheckSummary(healthCheck) } : {}),
    ...(sorryServer ? { sorryServer: `${endpointLabel(sorryServer.address, sorryServer.port)} ${sorryServer.forwarding}` } : {}),
  };
}

const SERVICE_FIELDS: (keyof ServiceView)[] = [
  "protocol",
  "address",
  "port",
  "fwmark",
  "markProtocol",
  "markPorts",
  "scheduler",
  "schedulerFlags",
  "persistenceTimeout",
  "persistenceNetmask",
  "persistenceEngine",
  "description",
  "enabled",
  "healthCheck",
  "onFailure",
  "slowStartSeconds",
  "sorryServer",
];
const REAL_SERVER_FIELDS: (keyof SnapshotRealServer)[] = ["hostName", "address", "port", "forwarding", "weight", "upperThreshold", "lowerThreshold", "enabled"];

const rsLabel = (r: SnapshotRealServer) => endpointLabel(r.address, r.port) + (r.hostName ? ` (${r.hostName})` : "");

export function modelDiff(before: ClusterSnapshot | null, after: ClusterSnapshot): ModelChange[] {
  const changes: ModelChange[] = [];
  if (before) {
    const fields = fieldChanges(before.cluster, after.cluster, ["name", "description"]);
    if (fields.length > 0) changes.push({ kind: "changed", entity: "cluster", id: after.cluster.id, label: after.cluster.name, parentLabel: null, fields });
  }

  const dBefore = new Map((before?.directors ?? []).map((d) => [d.id, d]));
  const dAfter = new Map(after.directors.map((d) => [d.id, d]));
  const directorFields = ["hostName", "vipInterface", "priority"] as const;
  for (const d of after.directors) {
    const old = dBefore.get(d.id);
    if (!old) changes.push({ kind: "added", entity: "director", id: d.id, label: d.hostName, parentLabel: null, fields: allFields(d, [...directorFields], "after") });
    else {
      const fields = fieldChanges(old, d, [...directorFields]);
      if (fields.length > 0) changes.push({ kind: "changed", entity: "director", id: d.id, label: d.hostName, parentLabel: null, fields });
    }
  }
  for (const d of before?.directors ?? []) {
    if (!dAfter.has(d.id)) changes.push({ kind: "removed", entity: "director", id: d.id, label: d.hostName, parentLabel: null, fields: allFields(d, [...directorFields], "before") });
  }

  const sBefore = new Map((before?.services ?? []).map((s) => [s.id, s]));
  const sAfter = new Map(after.services.map((s) => [s.id, s]));
  for (const s of after.services) {
    const label = virtualServiceLabel(s);
    const old = sBefore.get(s.id);
    if (!old) {
      changes.push({ kind: "added", entity: "service", id: s.id, label, parentLabel: null, fields: allFields(view(s), SERVICE_FIELDS, "after") });
      for (const r of s.realServers) {
        changes.push({ kind: "added", entity: "realServer", id: r.id, label: rsLabel(r), parentLabel: label, fields: allFields(r, REAL_SERVER_FIELDS, "after") });
      }
      continue;
    }
    const fields = fieldChanges(view(old), view(s), SERVICE_FIELDS);
    if (fields.length > 0) changes.push({ kind: "changed", entity: "service", id: s.id, label, parentLabel: null, fields });
    const rBefore = new Map(old.realServers.map((r) => [r.id, r]));
    const rAfter = new Map(s.realServers.map((r) => [r.id, r]));
    for (const r of s.realServers) {
      const was = rBefore.get(r.id);
      if (!was) changes.push({ kind: "added", entity: "realServer", id: r.id, label: rsLabel(r), parentLabel: label, fields: allFields(r, REAL_SERVER_FIELDS, "after") });
      else {
        const rf = fieldChanges(was, r, REAL_SERVER_FIELDS);
        if (rf.length > 0) changes.push({ kind: "changed", entity: "realServer", id: r.id, label: rsLabel(r), parentLabel: label, fields: rf });
      }
    }
    for (const r of old.realServers) {
      if (!rAfter.has(r.id)) changes.push({ kind: "removed", entity: "realServer", id: r.id, label: rsLabel(r), parentLabel: label, fields: allFields(r, REAL_SERVER_FIELDS, "before") });
    }
  }
  for (const s of before?.services ?? []) {
    if (!sAfter.has(s.id)) {
      changes.push({ kind: "removed", entity: "service", id: s.id, label: virtualServiceLabel(s), parentLabel: null, fields: allFields(view(s), SERVICE_FIELDS, "before") });
    }
  }
  return changes;
}

/** Hosts of a snapshot and their roles in it (id → name, roles). */
export function hostsOfSnapshot(snapshot: ClusterSnapshot | null): Map<string, { name: string; roles: Set<HostRole> }> {
  const out = new Map<string, { name: string; roles: Set<HostRole> }>();
  if (!snapshot) return out;
  const add = (id: string, name: string, role: HostRole) => {
    const entry = out.get(id) ?? { name, roles: new Set<HostRole>() };
    entry.roles.add(role);
    out.set(id, entry);
  };
  for (const d of snapshot.directors) add(d.hostId, d.hostName, "director");
  for (const s of snapshot.services) for (const r of s.realServers) if (r.hostId) add(r.hostId, r.hostName ?? r.hostId, "realServer");
  return out;
}
