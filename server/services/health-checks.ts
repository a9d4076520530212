/**
 * Health settings of a virtual service (issue #6): merge, validation with the
 * shared rules, and the role rule for exec checks. Called by the virtual
 * service create/update paths (server/services/virtual-services.ts) inside
 * their transaction, so a service and its health settings change together
 * (all or nothing, one audit event).
 */
import { setServiceHealth } from "@/server/repositories/health";
import type { Tx } from "@/server/repositories/db";
import {
  canonicalJson,
} from "@/shared/revisions";
import {
  checkServiceHealth,
  roleAtLeast,
  type FieldIssue,
  type HealthCheckFields,
  type Protocol,
  type ServiceHealthFields,
} from "@/shared/cluster";
import type { Actor } from "./actor";
import { forbidden, invalid } from "./errors";

export const EXEC_ADMIN_ONLY =
  "Only admins may define or change an exec health check: the command runs as root on every director. Choose HTTP, HTTPS, TCP or DNS, or ask an admin";

export const NO_HEALTH: ServiceHealthFields = { healthCheck: null, onFailure: "QUIESCE", slowStartSeconds: 0, sorryServer: null };

/** Omitted fields of an update keep the stored value; null removes (check, sorry server). */
export function mergeHealth(
  before: ServiceHealthFields,
  patch: { healthCheck?: HealthCheckFields | null; onFailure?: ServiceHealthFields["onFailure"]; slowStartSeconds?: number; sorryServer?: ServiceHealthFields["sorryServer"] },
): ServiceHealthFields {
  return {
    healthCheck: patch.healthCheck !== undefined ? patch.healthCheck : before.healthCheck,
    onFailure: patch.onFailure ?? before.onFailure,
    slowStartSeconds: patch.slowStartSeconds ?? before.slowStartSeconds,
    sorryServer: patch.sorryServer !== undefined ? patch.sorryServer : before.sorryServer,
  };
}

/**
 * An exec check runs an admin-chosen command as root on the directors: only
 * an admin may create one or change one. Removing it, or replacing it with
 * another type, is allowed to operators (it takes a privilege away).
 */
export function assertExecAllowed(actor: Actor, before: HealthCheckFields | null, after: HealthCheckFields | null): void {
  if (after?.type !== "exec") return;
  if (before && canonicalJson(before) === canonicalJson(after)) return;
  if (!roleAtLeast(actor.role, "admin")) throw forbidden(EXEC_ADMIN_ONLY);
}

/** Shared rules; throws BAD_REQUEST with field errors ("healthCheck.timeoutMs", "sorryServer.address"). */
export function validateHealth(
  vs: { protocol: Protocol; address: string; port: number | null },
  health: ServiceHealthFields,
  realServers: { address: string | null; port: number | null }[],
  pathPrefix: FieldIssue["path"] = [],
): void {
  const issues = checkServiceHealth(vs, health, realServers);
  if (issues.length > 0) throw invalid(issues.map((i) => ({ path: [...pathPrefix, ...i.path], message: i.message })));
}

export async function writeHealth(tx: Tx, serviceId: string, health: ServiceHealthFields): Promise<void> {
  await setServiceHealth(tx, serviceId, health);
}

/** Health fields as they differ, for audit summaries ("health check HTTP → TCP"). */
export function describeHealthChange(before: ServiceHealthFields, after: ServiceHealthFields): string[] {
  const parts: string[] = [];
  if (canonicalJson(before.healthCheck) !== canonicalJson(after.healthCheck)) {
    parts.push(`health check ${before.healthCheck?.type ?? "none"} → ${after.healthCheck?.type ?? "none"}`);
  }
  if (before.onFailure !== after.onFailure) parts.push(`on failure ${before.onFailure} → ${after.onFailure}`);
  if (before.slowStartSeconds !== after.slowStartSeconds) parts.push(`slow start ${before.slowStartSeconds}s → ${after.slowStartSeconds}s`);
  if (canonicalJson(before.sorryServer) !== canonicalJson(after.sorryServer)) {
    parts.push(`sorry server ${before.sorryServer?.address ?? "none"} → ${after.sorryServer?.address ?? "none"}`);
  }
  return parts;
}
