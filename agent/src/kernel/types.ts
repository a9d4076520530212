/**
 * The small interfaces through which the agent touches the kernel. The Linux
 * implementations (linux.ts) shell out to ipvsadm / ip / nft / modprobe and
 * read and write /proc directly; fake.ts keeps the same behaviour in memory
 * for unit tests.
 */
import type { ResolvedAddress, ResolvedLink } from "../../../shared/desired-state/resolve";
import type { IpvsTimeouts } from "../../../shared/desired-state/schema";
import type { ServiceRef } from "../ipvsadm/rules";
import type { ActualService, InterfaceState, NftTableState } from "../model";

export class KernelError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

export type ServiceHandle = ServiceRef & { key: string };

export interface IpvsKernel {
  /** Whether IPVS is usable (module loaded or loadable); reason says why not. */
  probe(): Promise<{ available: boolean; reason: string | null }>;
  /**
   * The whole table. "basic" is the cheap read (/proc/net/ip_vs: no scheduler
   * flags, persistence engine or thresholds); "full" reads everything.
   */
  read(detail: "basic" | "full"): Promise<ActualService[]>;
  /** Full detail of a few services (null = not present). Thresholds are read only when asked. */
  readServices(services: readonly ServiceHandle[], withThresholds: boolean): Promise<Map<string, ActualService | null>>;
  /**
   * Runs a batch through `ipvsadm -R`. ipvsadm goes on after a failing line
   * and still exits 0, so ok=false means "some line failed" (errors = its
   * messages). `lineErrors`, when present, says which: one entry per line,
   * null for a line that worked (small batches through the ipvsadm session).
   */
  restore(lines: readonly string[]): Promise<RestoreResult>;
  /**
   * Optional: `restore(lines)` and then `readServices(services, withThresholds)`
   * in one go (the Linux kernel sends both down one ipvsadm session). `listed`
   * is null when the batch did not run through (read separately then).
   */
  restoreAndList?(lines: readonly string[], services: readonly ServiceHandle[], withThresholds: boolean): Promise<{ restore: RestoreResult; listed: Map<string, ActualService | null> | null }>;
  /** One ipvsadm command (rule syntax, without "ipvsadm"); throws KernelError. */
  run(line: string): Promise<void>;
  readTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(timeouts: IpvsTimeouts): Promise<void>;
  /** Releases long-lived helpers (the ipvsadm session); never changes the kernel. */
  close?(): void;
}

export interface RestoreResult {
  ok: boolean;
  errors: string[];
  lineErrors?: Array<string | null>;
}

export interface NetKernel {
  interfaces(): Promise<InterfaceState[]>;
  addAddress(address: ResolvedAddress): Promise<void>;
  deleteAddress(address: ResolvedAddress): Promise<void>;
  /** Brings a tunnel's fallback device up, loading its module first when `load`. */
  linkUp(link: ResolvedLink, load: boolean): Promise<void>;
  linkDown(name: string): Promise<void>;
}

export interface SysctlKernel {
  /** null when the key does not exist */
  read(key: string): Promise<string | null>;
  write(key: string, value: string): Promise<void>;
}

export interface NftKernel {
  read(): Promise<NftTableState>;
  /** Runs a whole script as one `nft -f` transaction. */
  apply(script: string): Promise<void>;
  deleteTable(): Promise<void>;
}

/** Raw kernel statistics text for the stats sampler. */
export interface StatsKernel {
  /** /proc/net/ip_vs (null without IPVS) */
  procIpvs(): Promise<string | null>;
  /** /proc/net/ip_vs_stats (null without IPVS) */
  procIpvsStats(): Promise<string | null>;
  /** `ipvsadm -Ln --stats --exact` */
  listStats(): Promise<string>;
  /** the lines of /proc/net/ip_vs_conn (both families; there is no ip_vs_conn6), streamed; none without IPVS */
  connections(): AsyncIterable<string>;
  /** `ipvsadm -Z` for exactly these services (one process); never the whole table. Throws KernelError. */
  zero(services: readonly ServiceRef[]): Promise<void>;
}

export interface Kernel {
  ipvs: IpvsKernel;
  net: NetKernel;
  sysctl: SysctlKernel;
  nft: NftKernel;
  stats: StatsKernel;
}
