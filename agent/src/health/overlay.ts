/**
 * The EFFECTIVE desired state = desired state + health overlay (pure).
 *
 * Health results are never written into the desired state: the daemon plans
 * and reconciles against this overlay instead, so a quiesced server is not
 * drift and the periodic repair never undoes a health action.
 *
 * Per checked destination:
 *   unknown             → as desired (a new destination keeps its weight until it has results)
 *   down + quiesce      → weight 0 (existing connections finish; IPVS sends it no new ones)
 *   down + remove       → not in the service
 *   up after down, slowStartSeconds > 0
 *                       → the weight ramps up in SLOW_START_STEPS steps over slowStartSeconds
 *   up                  → as desired
 * Sorry server: added with weight 1 while EVERY destination of the service is
 * down (unknown is not down), gone as soon as one is not.
 *
 * Identity matters: the reconciler plans only services whose resolved object
 * changed (by identity), so a service whose overlay is a no-op is returned as
 * the very same object, and `EffectiveStateBuilder` hands out the same overlaid
 * object while its overlay stays the same.
 */
import type { IpvsDestination, IpvsService, ResolvedState } from "../../../shared/desired-state/resolve";
import { z } from "zod";
import { HealthCheckSchema, SorryServerSchema, type HealthCheck, type SorryServer } from "../../../shared/desired-state/schema";
import { formatEndpoint, normalizeIp } from "../../../shared/net";
import type { HealthState } from "./state";

/** A slow start reaches the full weight in this many steps (1/5, 2/5, 3/5, 4/5 of it, then all of it at slowStartSeconds). */
export const SLOW_START_STEPS = 4;

export type HealthAction = "none" | "quiesced" | "removed" | "slow-start";

/** One destination of a service with a health check. */
export interface CheckTarget {
  /** identity of this check: a state survives a desired-state change that keeps the id */
  id: string;
  service: string;
  destination: string;
  /** where the check goes */
  address: string;
  port: number;
  /** the virtual service, for exec checks ("" and 0 for fwmark services) */
  vip: string;
  vipPort: number;
  check: HealthCheck;
}

/** What the overlay needs of one service with a health check. */
export interface CheckedService {
  service: IpvsService;
  onFailure: "quiesce" | "remove";
  slowStartSeconds: number;
  /** the sorry server as a destination (weight 1), null without one */
  sorry: IpvsDestination | null;
  targets: CheckTarget[];
}

/** JSON with sorted keys: the same check definition gives the same text whatever the key order. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function sorryDestination(service: IpvsService, sorry: SorryServer): IpvsDestination | null {
  const address = normalizeIp(sorry.address);
  if (!address) return null;
  const port = sorry.port ?? service.port;
  return { key: formatEndpoint(address, port), address, port, forwarding: sorry.forwarding, weight: 1, upperThreshold: 0, lowerThreshold: 0 };
}

/** The health-related fields of a service entry, parsed with the contract's own schemas (defaults filled in). */
const HealthFieldsSchema = z.object({
  healthCheck: HealthCheckSchema.optional(),
  onFailure: z.enum(["quiesce", "remove"]).default("quiesce"),
  slowStartSeconds: z.int().min(0).max(3600).default(0),
  sorryServer: SorryServerSchema.optional(),
});

/** Resolved services are immutable and reused by identity for unchanged entries: their health config is computed once. */
const checkedMemo = new WeakMap<IpvsService, CheckedService | null>();

/** The checked service for one service entry of a VALID document and its resolved form (null without a health check). */
export function checkedService(entry: unknown, service: IpvsService): CheckedService | null {
  const memo = checkedMemo.get(service);
  if (memo !== undefined) return memo;
  let value: CheckedService | null = null;
  if (entry && typeof entry === "object" && (entry as { healthCheck?: unknown }).healthCheck !== undefined) {
    const fields = HealthFieldsSchema.parse(entry);
    const check = fields.healthCheck!;
    const definition = stableJson(check);
    value = {
      service,
      onFailure: fields.onFailure,
      slowStartSeconds: fields.slowStartSeconds,
      sorry: fields.sorryServer ? sorryDestination(service, fields.sorryServer) : null,
      targets: service.destinations.map((d) => ({
        id: `${service.key} ${d.key} ${definition}`,
        service: service.key,
        destination: d.key,
        address: d.address,
        port: check.port ?? d.port,
        vip: service.address ?? "",
        vipPort: service.port,
        check,
      })),
    };
  }
  checkedMemo.set(service, value);
  return value;
}

/**
 * Every service of a valid desired state that has a health check. `document`
 * is the document as received (its service entries and the resolved services
 * are in the same order); only entries not seen before are parsed.
 */
export function checkedServices(document: unknown, resolved: ResolvedState): CheckedService[] {
  const entries = (document as { ipvs?: { services?: unknown[] } } | null)?.ipvs?.services;
  if (!Array.isArray(entries)) return [];
  const out: CheckedService[] = [];
  const services = resolved.ipvs.services;
  for (let i = 0; i < services.length; i++) {
    const checked = checkedService(entries[i], services[i]);
    if (checked) out.push(checked);
  }
  return out;
}

export interface ServiceOverlay {
  /** the service as the kernel should have it now (the desired object itself when nothing changes) */
  service: IpvsService;
  /** what the overlay does per destination key */
  actions: Map<string, HealthAction>;
  sorryActive: boolean;
  /** ms since the epoch when a slow start moves to its next step (null: nothing scheduled) */
  nextChangeAt: number | null;
  /** same signature ⇒ same overlaid service */
  signature: string;
}

/** The weight a recovering destination gets `elapsedMs` into a slow start of `seconds`. */
export function slowStartWeight(weight: number, elapsedMs: number, seconds: number): { weight: number; nextChangeAt: number | null } {
  const totalMs = seconds * 1000;
  if (weight === 0 || seconds <= 0 || elapsedMs >= totalMs) return { weight, nextChangeAt: null };
  const stepMs = totalMs / SLOW_START_STEPS;
  const stepIndex = Math.max(0, Math.floor(elapsedMs / stepMs));
  return { weight: Math.max(1, Math.round((weight * (stepIndex + 1)) / (SLOW_START_STEPS + 1))), nextChangeAt: (stepIndex + 1) * stepMs };
}

export function overlayService(checked: CheckedService, stateOf: (id: string) => HealthState | undefined, now: number): ServiceOverlay {
  const { service } = checked;
  const actions = new Map<string, HealthAction>();
  const destinations: IpvsDestination[] = [];
  let changed = false;
  let down = 0;
  let nextChangeAt: number | null = null;
  const parts: string[] = [];
  for (let j = 0; j < service.destinations.length; j++) {
    const d = service.destinations[j];
    const state = stateOf(checked.targets[j].id);
    const status = state?.status ?? "unknown";
    if (status === "down") {
      down++;
      if (checked.onFailure === "remove") {
        actions.set(d.key, "removed");
        parts.push(`${d.key}=x`);
        changed = true;
        continue;
      }
      actions.set(d.key, "quiesced");
      parts.push(`${d.key}=0`);
      if (d.weight !== 0) changed = true;
      destinations.push(d.weight === 0 ? d : { ...d, weight: 0 });
      continue;
    }
    if (status === "up" && state!.recovered && checked.slowStartSeconds > 0) {
      const ramp = slowStartWeight(d.weight, now - state!.since, checked.slowStartSeconds);
      if (ramp.nextChangeAt !== null) {
        actions.set(d.key, "slow-start");
        parts.push(`${d.key}=${ramp.weight}`);
        const at = state!.since + ramp.nextChangeAt;
        nextChangeAt = nextChangeAt === null ? at : Math.min(nextChangeAt, at);
        if (ramp.weight !== d.weight) changed = true;
        destinations.push(ramp.weight === d.weight ? d : { ...d, weight: ramp.weight });
        continue;
      }
    }
    actions.set(d.key, "none");
    destinations.push(d);
  }
  const sorryActive = checked.sorry !== null && service.destinations.length > 0 && down === service.destinations.length && !service.destinations.some((d) => d.key === checked.sorry!.key);
  if (sorryActive) {
    destinations.push(checked.sorry!);
    parts.push(`sorry ${checked.sorry!.key}`);
    changed = true;
  }
  return {
    service: changed ? { ...service, destinations } : service,
    actions,
    sorryActive,
    nextChangeAt,
    signature: parts.join(" "),
  };
}

export interface EffectiveState {
  resolved: ResolvedState;
  overlays: Map<string, ServiceOverlay>;
  /** earliest slow-start step still to come (ms since the epoch), null if none */
  nextChangeAt: number | null;
}

/**
 * Builds effective states and keeps overlaid service objects stable: the same
 * desired service with the same overlay signature yields the same object.
 */
export class EffectiveStateBuilder {
  private memo = new WeakMap<IpvsService, { signature: string; service: IpvsService }>();

  build(checked: CheckedService[], resolved: ResolvedState, stateOf: (id: string) => HealthState | undefined, now: number): EffectiveState {
    const overlays = new Map<string, ServiceOverlay>();
    const replaced = new Map<IpvsService, IpvsService>();
    let nextChangeAt: number | null = null;
    for (const c of checked) {
      const overlay = overlayService(c, stateOf, now);
      if (overlay.service !== c.service) {
        const memo = this.memo.get(c.service);
        if (memo && memo.signature === overlay.signature) overlay.service = memo.service;
        else this.memo.set(c.service, { signature: overlay.signature, service: Object.freeze(overlay.service) });
        replaced.set(c.service, overlay.service);
      }
      overlays.set(c.service.key, overlay);
      if (overlay.nextChangeAt !== null) nextChangeAt = nextChangeAt === null ? overlay.nextChangeAt : Math.min(nextChangeAt, overlay.nextChangeAt);
    }
    if (replaced.size === 0) return { resolved, overlays, nextChangeAt };
    const services = resolved.ipvs.services.map((s) => replaced.get(s) ?? s);
    return { resolved: { ...resolved, ipvs: { ...resolved.ipvs, services } }, overlays, nextChangeAt };
  }
}
