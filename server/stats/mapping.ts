/**
 * Stats keys → panel ids (issue #5). An agent names what it samples with the
 * desired-state keys ("tcp 192.0.2.10:80", destination "10.0.0.11:80"); the
 * panel charts VirtualService and RealServer rows. The mapping of a host comes
 * from what that director RUNS: its current applied deployment (desired state
 * of generation G) and, for every cluster it directs there, the revision
 * snapshot that deployment was compiled from. Only keys present in the
 * deployed desired state are mapped. Pure; cached per (host, generation) by
 * the ingest.
 */
import { serviceKey, validateDesiredState } from "@/shared/desired-state";
import { formatEndpoint, normalizeIp } from "@/shared/net";
import type { ClusterSnapshot, SnapshotRealServer, SnapshotService } from "@/shared/revisions";
import { endpointLabel, virtualServiceLabel } from "@/shared/cluster/rules";

export interface MappedDestination {
  realServerId: string;
  /** Prometheus label real_server, "10.0.0.11:80" */
  label: string;
}

export interface MappedService {
  serviceId: string;
  clusterId: string;
  clusterName: string;
  /** Prometheus label service, "TCP 192.0.2.10:80" / "FWMARK 5 (192.0.2.10)" */
  label: string;
  destinations: Map<string, MappedDestination>;
}

export interface HostMapping {
  hostId: string;
  generation: number;
  /** service key → service */
  services: Map<string, MappedService>;
}

/** The desired-state key of a snapshot service (as shared/desired-state/resolve.ts computes it). */
export function snapshotServiceKey(s: Pick<SnapshotService, "protocol" | "address" | "port" | "fwmark" | "family">): string {
  return serviceKey({
    protocol: s.protocol === "FWMARK" ? "fwmark" : s.protocol === "TCP" ? "tcp" : "udp",
    address: normalizeIp(s.address) ?? s.address,
    port: s.port ?? 0,
    fwmark: s.fwmark ?? 0,
    family: s.family === "ipv6" ? 6 : 4,
  });
}

/** The destination key of a real server in a service: NAT may remap the port, DR/TUN keep the service's (0 for fwmark). */
export function snapshotDestinationKey(s: Pick<SnapshotService, "port">, r: Pick<SnapshotRealServer, "address" | "port" | "forwarding">): string {
  const port = r.forwarding === "NAT" && r.port !== null ? r.port : (s.port ?? 0);
  return formatEndpoint(normalizeIp(r.address) ?? r.address, port);
}

/** Service and destination keys of a deployed desired state (JSON as stored in HostDeployment); empty when it does not validate. */
export function deployedKeys(desiredStateJson: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(desiredStateJson);
  } catch {
    return out;
  }
  const result = validateDesiredState(parsed);
  if (!result.ok) return out;
  for (const s of result.resolved.ipvs.services) out.set(s.key, new Set(s.destinations.map((d) => d.key)));
  return out;
}

export function buildHostMapping(hostId: string, generation: number, deployed: Map<string, Set<string>>, snapshots: ClusterSnapshot[]): HostMapping {
  const services = new Map<string, MappedService>();
  for (const snap of snapshots) {
    if (!snap.directors.some((d) => d.hostId === hostId)) continue;
    for (const s of snap.services) {
      if (!s.enabled) continue;
      const key = snapshotServiceKey(s);
      const keys = deployed.get(key);
      if (!keys || services.has(key)) continue;
      const destinations = new Map<string, MappedDestination>();
      for (const r of s.realServers) {
        if (!r.enabled) continue;
        const dkey = snapshotDestinationKey(s, r);
        if (!keys.has(dkey)) continue;
        destinations.set(dkey, { realServerId: r.id, label: endpointLabel(normalizeIp(r.address) ?? r.address, r.forwarding === "NAT" && r.port !== null ? r.port : s.port) });
      }
      services.set(key, { serviceId: s.id, clusterId: snap.cluster.id, clusterName: snap.cluster.name, label: virtualServiceLabel({ ...s, address: normalizeIp(s.address) ?? s.address }), destinations });
    }
  }
  return { hostId, generation, services };
}
