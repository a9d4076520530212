/**
 * Stable test ids of service and real-server rows (documented in docs/ui.md;
 * the browser tests find rows by them).
 */
import type { RealServer, VirtualService } from "@/shared/cluster/dto";

/** `service-row-<vip>:<port>` for TCP/UDP, `service-row-fwmark-<n>` for FWMARK services. */
export function serviceTestId(vs: Pick<VirtualService, "protocol" | "address" | "port" | "fwmark">): string {
  return vs.protocol === "FWMARK" ? `service-row-fwmark-${vs.fwmark}` : `service-row-${vs.address}:${vs.port}`;
}

/** `rs-row-<address>:<effective port>`; without any port (FWMARK service, no own port) `rs-row-<address>`. */
export function realServerTestId(vs: Pick<VirtualService, "port">, rs: Pick<RealServer, "address" | "port">): string {
  const port = rs.port ?? vs.port;
  return port === null ? `rs-row-${rs.address}` : `rs-row-${rs.address}:${port}`;
}
