/**
 * A fast path for the most common virtual-service entry: a TCP/UDP service
 * with a scheduler and plain destinations (optionally scheduler flags,
 * onFailure, slowStartSeconds). It returns exactly what
 * `VirtualServiceSchema` (zod) returns for such an entry, or null for
 * anything else — any other key, type or range — so that zod decides and
 * reports. It never rejects: errors and their messages are always zod's.
 *
 * Why: zod costs ~0.2 ms per service natively and far more under emulation
 * on a cold process (a 1,000-service push spent ~0.45 s in zod in the lab
 * VM). A differential test (fast-service.test.ts) holds it to zod's output
 * on thousands of generated and mutated entries.
 */
import { FORWARDING_METHODS, SCHEDULER_FLAGS, SCHEDULERS, type VirtualService } from "./schema";

const SERVICE_KEYS = new Set(["protocol", "address", "port", "scheduler", "schedulerFlags", "destinations", "onFailure", "slowStartSeconds"]);
const DESTINATION_KEYS = new Set(["address", "port", "forwarding", "weight", "upperThreshold", "lowerThreshold"]);
const SCHEDULER_SET = new Set<string>(SCHEDULERS);
const FLAG_SET = new Set<string>(SCHEDULER_FLAGS);
const FORWARDING_SET = new Set<string>(FORWARDING_METHODS);
const MAX_I32 = 2147483647;

function plainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own keys all allowed and none holding undefined (zod's handling of those is left to zod). */
function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) return false;
    if (!allowed.has(key) || value[key] === undefined) return false;
  }
  return Object.getOwnPropertySymbols(value).length === 0;
}

function intIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max;
}

type Destination = VirtualService["destinations"][number];

function destination(value: unknown): Destination | null {
  if (!plainObject(value) || !onlyKeys(value, DESTINATION_KEYS)) return null;
  const { address, port, forwarding, weight, upperThreshold, lowerThreshold } = value;
  if (typeof address !== "string" || typeof forwarding !== "string" || !FORWARDING_SET.has(forwarding)) return null;
  if ("port" in value && !intIn(port, 0, 65535)) return null;
  if ("weight" in value && !intIn(weight, 0, 65535)) return null;
  if ("upperThreshold" in value && !intIn(upperThreshold, 0, MAX_I32)) return null;
  if ("lowerThreshold" in value && !intIn(lowerThreshold, 0, MAX_I32)) return null;
  // the schema's key order, defaults filled in, an absent port stays absent
  const out = { address } as Destination;
  if ("port" in value) out.port = port as number;
  out.forwarding = forwarding as Destination["forwarding"];
  out.weight = "weight" in value ? (weight as number) : 1;
  out.upperThreshold = "upperThreshold" in value ? (upperThreshold as number) : 0;
  out.lowerThreshold = "lowerThreshold" in value ? (lowerThreshold as number) : 0;
  return out;
}

/** `VirtualServiceSchema.parse(entry)` for the common shape; null = not that shape (let zod decide). */
export function parseCommonService(entry: unknown): VirtualService | null {
  if (!plainObject(entry) || !onlyKeys(entry, SERVICE_KEYS)) return null;
  const { protocol, address, port, scheduler, schedulerFlags, destinations, onFailure, slowStartSeconds } = entry;
  if ((protocol !== "tcp" && protocol !== "udp") || typeof address !== "string" || !intIn(port, 0, 65535)) return null;
  if (typeof scheduler !== "string" || !SCHEDULER_SET.has(scheduler)) return null;
  let flags: VirtualService["schedulerFlags"] = [];
  if ("schedulerFlags" in entry) {
    if (!Array.isArray(schedulerFlags) || !schedulerFlags.every((f) => typeof f === "string" && FLAG_SET.has(f))) return null;
    flags = [...schedulerFlags] as VirtualService["schedulerFlags"];
  }
  if ("onFailure" in entry && onFailure !== "quiesce" && onFailure !== "remove") return null;
  if ("slowStartSeconds" in entry && !intIn(slowStartSeconds, 0, 3600)) return null;
  if (!Array.isArray(destinations)) return null;
  const parsed: Destination[] = new Array(destinations.length);
  for (let i = 0; i < destinations.length; i++) {
    // a sparse array (a hole) is left to zod
    if (!(i in destinations)) return null;
    const d = destination(destinations[i]);
    if (!d) return null;
    parsed[i] = d;
  }
  return {
    protocol,
    address,
    port: port as number,
    scheduler: scheduler as VirtualService["scheduler"],
    schedulerFlags: flags,
    destinations: parsed,
    onFailure: "onFailure" in entry ? (onFailure as "quiesce" | "remove") : "quiesce",
    slowStartSeconds: "slowStartSeconds" in entry ? (slowStartSeconds as number) : 0,
  } as VirtualService;
}
