/** Vocabulary of the cluster model: the values IPVS and the panel accept. */

export const PROTOCOLS = ["TCP", "UDP", "FWMARK"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** IPVS schedulers (ipvsadm -s), with a one-line explanation for forms. */
export const SCHEDULERS = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "mh", "fo", "ovf"] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export const SCHEDULER_LABELS: Record<Scheduler, string> = {
  rr: "Round robin",
  wrr: "Weighted round robin",
  lc: "Least connections",
  wlc: "Weighted least connections",
  lblc: "Locality-based least connections",
  lblcr: "Locality-based least connections with replication",
  dh: "Destination hashing",
  sh: "Source hashing",
  sed: "Shortest expected delay",
  nq: "Never queue",
  mh: "Maglev hashing",
  fo: "Weighted failover",
  ovf: "Weighted overflow",
};

/** Scheduler flags (ipvsadm -b) exist only for the hashing schedulers sh and mh. */
export const SCHEDULER_FLAGS: Record<Scheduler, readonly string[]> = {
  rr: [],
  wrr: [],
  lc: [],
  wlc: [],
  lblc: [],
  lblcr: [],
  dh: [],
  sh: ["sh-fallback", "sh-port"],
  sed: [],
  nq: [],
  mh: ["mh-fallback", "mh-port"],
  fo: [],
  ovf: [],
};

/** Protocols an FWMARK service's nft mark rule can match (the agent writes `tcp dport { … }`). */
export const MARK_PROTOCOLS = ["tcp", "udp"] as const;
export type MarkProtocol = (typeof MARK_PROTOCOLS)[number];

export const FORWARDING_METHODS = ["DR", "NAT", "TUN"] as const;
export type ForwardingMethod = (typeof FORWARDING_METHODS)[number];

export const FORWARDING_LABELS: Record<ForwardingMethod, string> = {
  DR: "Direct routing (gatewaying)",
  NAT: "NAT (masquerading)",
  TUN: "IP-in-IP tunnelling",
};

/** Persistence engines (ipvsadm --pe). The kernel ships one: SIP. */
export const PERSISTENCE_ENGINES = ["sip"] as const;
export type PersistenceEngine = (typeof PERSISTENCE_ENGINES)[number];

/** Roles, least to most privileged. */
export const ROLES = ["viewer", "operator", "admin"] as const;
export type Role = (typeof ROLES)[number];

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

export const LIMITS = {
  port: { min: 1, max: 65535 },
  /** Firewall marks are 32-bit in the kernel; the panel stores them as signed 32-bit integers. */
  fwmark: { min: 1, max: 2147483647 },
  weight: { min: 0, max: 65535 },
  /** Connection thresholds (ipvsadm -x / -y); 0 means no limit. */
  threshold: { min: 0, max: 2147483647 },
  /** Persistence timeout in seconds (ipvsadm -p). */
  persistenceTimeout: { min: 1, max: 31 * 24 * 3600 },
  /** Director priority for later high availability (VRRP priority range). */
  directorPriority: { min: 1, max: 254 },
  password: { min: 12, max: 256 },
  description: { max: 500 },
  name: { max: 64 },
  pageSize: { max: 200 },
  /** Ports in one FWMARK mark rule. */
  markPorts: { max: 15 },
  /** Revision notes. */
  note: { max: 500 },
} as const;

/** Entity types recorded in the audit log. */
export const AUDIT_ENTITY_TYPES = [
  "cluster",
  "director",
  "virtualService",
  "realServer",
  "host",
  "user",
  "apiToken",
  "session",
  "revision",
] as const;
export type AuditEntityType = (typeof AUDIT_ENTITY_TYPES)[number];
