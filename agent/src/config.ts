/**
 * Agent configuration: defaults < config file < LVS_AGENT_* environment <
 * command-line flags, validated with zod at start. Any problem is a clear
 * message and exit code 2, before the kernel is touched.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";

export const DEFAULT_CONFIG_FILE = "/etc/lvs-agent/config.json";
export const DEFAULT_STATE_DIR = "/var/lib/lvs-agent";
/** holds credential.json (from `lvs-agent enroll`) */
export const DEFAULT_CONFIG_DIR = "/etc/lvs-agent";

export const AgentConfigSchema = z.strictObject({
  stateDir: z.string().min(1, { error: "stateDir must not be empty" }).default(DEFAULT_STATE_DIR),
  intervalSeconds: z.number({ error: "intervalSeconds must be a number of seconds" }).min(1).max(86400).default(10),
  configDir: z.string().min(1, { error: "configDir must not be empty" }).default(DEFAULT_CONFIG_DIR),
  /** panel mode: seconds between drift checks (plan only) */
  driftCheckSeconds: z.number({ error: "driftCheckSeconds must be a number of seconds" }).min(1).max(86400).default(5),
  /** panel mode: repair drift found by the periodic check instead of only reporting it */
  repairDrift: z.boolean({ error: "repairDrift must be true or false" }).default(false),
  /** live stats (#5): milliseconds between kernel samples streamed to the panel and served on metricsListen */
  statsIntervalMs: z.int({ error: "statsIntervalMs must be a whole number of milliseconds" }).min(100).max(3_600_000).default(1000),
  /** local Prometheus endpoint, "HOST:PORT" (e.g. 127.0.0.1:9101); null = off */
  metricsListen: z
    .string()
    .regex(/^(\[[0-9A-Fa-f:.]+\]|[^:[\]]*):\d{1,5}$/, { error: "metricsListen must be HOST:PORT, e.g. 127.0.0.1:9101" })
    .nullable()
    .default(null),
});
export type AgentConfig = z.output<typeof AgentConfigSchema>;

/** Environment variables the agent reads; any other LVS_AGENT_* is a typo and is rejected. */
export const ENV_KEYS = {
  LVS_AGENT_CONFIG: "config file path",
  LVS_AGENT_STATE_DIR: "stateDir",
  LVS_AGENT_INTERVAL: "intervalSeconds",
} as const;

export class ConfigError extends Error {}

export interface ConfigSources {
  configFile?: string;
  stateDir?: string;
  configDir?: string;
  intervalSeconds?: number;
  statsIntervalMs?: number;
  metricsListen?: string;
  env: Record<string, string | undefined>;
  readFile?: (file: string) => string;
}

export function loadConfig(sources: ConfigSources): AgentConfig {
  const env = sources.env;
  const unknown = Object.keys(env).filter((k) => k.startsWith("LVS_AGENT_") && !(k in ENV_KEYS));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown environment variable ${unknown.join(", ")}; the agent reads ${Object.keys(ENV_KEYS).join(", ")}`);
  }
  const explicitFile = sources.configFile ?? env.LVS_AGENT_CONFIG;
  const file = explicitFile ?? DEFAULT_CONFIG_FILE;
  const readFile = sources.readFile ?? ((f: string) => readFileSync(f, "utf8"));
  let fromFile: unknown = {};
  try {
    fromFile = JSON.parse(readFile(file));
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === "ENOENT" && !explicitFile) fromFile = {};
    else if (e.code === "ENOENT") throw new ConfigError(`config file ${file} does not exist`);
    else if (error instanceof SyntaxError) throw new ConfigError(`config file ${file} is not valid JSON: ${error.message}`);
    else throw new ConfigError(`cannot read config file ${file}: ${e.message}`);
  }
  if (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile)) throw new ConfigError(`config file ${file} must hold a JSON object`);

  const merged: Record<string, unknown> = { ...(fromFile as Record<string, unknown>) };
  if (env.LVS_AGENT_STATE_DIR !== undefined) merged.stateDir = env.LVS_AGENT_STATE_DIR;
  if (env.LVS_AGENT_INTERVAL !== undefined) {
    const value = Number(env.LVS_AGENT_INTERVAL);
    merged.intervalSeconds = Number.isFinite(value) && env.LVS_AGENT_INTERVAL.trim() !== "" ? value : env.LVS_AGENT_INTERVAL;
  }
  if (sources.stateDir !== undefined) merged.stateDir = sources.stateDir;
  if (sources.configDir !== undefined) merged.configDir = sources.configDir;
  if (sources.intervalSeconds !== undefined) merged.intervalSeconds = sources.intervalSeconds;
  if (sources.statsIntervalMs !== undefined) merged.statsIntervalMs = sources.statsIntervalMs;
  if (sources.metricsListen !== undefined) merged.metricsListen = sources.metricsListen;

  const parsed = AgentConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => `${i.path.join(".") || "(config)"}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration (file ${file}, LVS_AGENT_* environment, flags): ${details}`);
  }
  return parsed.data;
}
