/**
 * The agent's view of the kernel (ActualState), what it owns (Ledger) and the
 * operations a plan is made of (Op).
 */
import type { IpFamily } from "../../shared/net";
import type { IpvsService, ResolvedAddress, ResolvedLink } from "../../shared/desired-state/resolve";
import type { IpvsTimeouts } from "../../shared/desired-state/schema";

/**
 * A service as read from the kernel. /proc/net/ip_vs (the cheap read) does
 * not show scheduler flags, persistence engine or thresholds, and `ipvsadm
 * -Ln` does not show thresholds: what was not read is marked unknown and the
 * planner does not compare it. A persistence timeout of -1 means "not known"
 * (/proc gives jiffies; HZ is learnt from the first full read).
 */
export interface ActualService extends IpvsService {
  /** scheduler flags and persistence engine were read */
  flagsKnown: boolean;
  /** destination thresholds were read */
  thresholdsKnown: boolean;
}

export interface ActualAddress {
  address: string;
  prefix: number;
  family: IpFamily;
  label: string | null;
}

export interface InterfaceState {
  name: string;
  up: boolean;
  addresses: ActualAddress[];
}

export interface NftTableState {
  exists: boolean;
  /** the table carries the agent's comment */
  managed: boolean;
  /** hash of `nft list table inet lvs_agent`, null when absent */
  listingHash: string | null;
}

export interface Ledger {
  version: 1;
  /** IPVS service keys the agent created */
  services: string[];
  /** address keys ("eth0 192.0.2.10/32") the agent added */
  addresses: string[];
  /** tunnel devices the agent brought up */
  links: string[];
  /** sysctl key → value before the agent first changed it */
  sysctls: Record<string, string>;
  /** IPVS timeouts before the agent first changed them */
  timeouts: IpvsTimeouts | null;
  nft: { specHash: string; listingHash: string } | null;
}

export function emptyLedger(): Ledger {
  return { version: 1, services: [], addresses: [], links: [], sysctls: {}, timeouts: null, nft: null };
}

export interface ActualState {
  ipvs: { available: boolean; reason: string | null; services: Map<string, ActualService> };
  /** null when not read (nothing desired or owned needs it) */
  timeouts: IpvsTimeouts | null;
  interfaces: Map<string, InterfaceState>;
  /** value text; null when the key does not exist on this host */
  sysctls: Record<string, string | null>;
  nft: NftTableState;
  ledger: Ledger;
}

interface OpBase {
  /** one line a human reads */
  summary: string;
  /** the command it amounts to (ipvsadm / ip / sysctl / nft syntax) */
  command: string;
}

export type IpvsOp = OpBase &
  (
    | { kind: "ipvs-add-service"; service: string; line: string }
    | { kind: "ipvs-edit-service"; service: string; line: string }
    | { kind: "ipvs-delete-service"; service: string; line: string }
    | { kind: "ipvs-add-dest"; service: string; destination: string; line: string }
    | { kind: "ipvs-edit-dest"; service: string; destination: string; line: string }
    | { kind: "ipvs-delete-dest"; service: string; destination: string; line: string }
  );

export type Op =
  | IpvsOp
  | (OpBase & { kind: "ipvs-conflict"; service: string })
  | (OpBase & { kind: "nft-conflict" })
  | (OpBase & { kind: "ipvs-set-timeouts"; timeouts: IpvsTimeouts; original: IpvsTimeouts | null })
  | (OpBase & { kind: "ipvs-restore-timeouts"; timeouts: IpvsTimeouts })
  | (OpBase & { kind: "link-up"; link: ResolvedLink; load: boolean })
  | (OpBase & { kind: "link-down"; name: string })
  | (OpBase & { kind: "address-add"; address: ResolvedAddress })
  | (OpBase & { kind: "address-delete"; address: ResolvedAddress })
  | (OpBase & { kind: "sysctl-set"; key: string; value: string; original: string | null })
  | (OpBase & { kind: "sysctl-restore"; key: string; value: string })
  | (OpBase & { kind: "nft-replace"; script: string; specHash: string; rules: number })
  | (OpBase & { kind: "nft-delete" });

export type OpKind = Op["kind"];

export function isIpvsOp(op: Op): op is IpvsOp {
  return "line" in op;
}

export interface OpResult {
  op: Op;
  ok: boolean;
  error?: string;
}
