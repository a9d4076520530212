/** Display helpers shared by the pages (ipvsadm vocabulary, dates, counts). */
import type { ForwardingMethod } from "@/shared/cluster/constants";

/** ipvsadm's switch for each forwarding method. */
export const FORWARDING_FLAG: Record<ForwardingMethod, string> = { DR: "-g", NAT: "-m", TUN: "-i" };

/** "192.0.2.10:80", "[2001:db8::1]:443", or just the address when the port is null. */
export function endpoint(address: string, port: number | null): string {
  const host = address.includes(":") ? `[${address}]` : address;
  return port === null ? host : `${host}:${port}`;
}

/** Persistence as ipvsadm would print it: "120 s", "3600 s /24", or "—". */
export function persistenceText(timeout: number | null, netmask: number | null, engine: string | null): string {
  if (timeout === null) return "—";
  const parts = [`${timeout} s`];
  if (netmask !== null) parts.push(`/${netmask}`);
  if (engine) parts.push(`pe ${engine}`);
  return parts.join(" ");
}

/** An FWMARK service's mark rule: "tcp 80,443", "udp every port", or "marked elsewhere" (no rule). */
export function markRuleText(vs: { markProtocol: string | null; markPorts: ReadonlyArray<number> }): string {
  if (!vs.markProtocol) return "marked elsewhere";
  return `${vs.markProtocol} ${vs.markPorts.length === 0 ? "every port" : vs.markPorts.join(",")}`;
}

/** Connection thresholds (-x upper / -y lower); 0 means no limit. */
export function thresholdText(upper: number, lower: number): string {
  if (upper === 0 && lower === 0) return "—";
  return `${upper === 0 ? "∞" : upper} / ${lower}`;
}

const dateOnly = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "2-digit" });

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time as "2026-11-21 13:05:09": sortable, unambiguous, fixed width. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}

/** "3 min ago", "2 h ago", "5 d ago"; falls back to the date beyond 30 days. */
export function relativeTime(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "never";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 0) return formatDate(iso);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d <= 30) return `${d} d ago`;
  return formatDate(iso);
}

export { plural } from "@/shared/text";
