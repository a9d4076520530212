/**
 * lvs-agent command line. Exit codes: 0 ok, 1 some op failed or did not
 * converge, 2 invalid input or configuration (nothing touched).
 *
 *   lvs-agent [--state-dir DIR] [--config FILE] plan   --desired FILE [--json]
 *   lvs-agent [--state-dir DIR] [--config FILE] apply  --desired FILE [--json]
 *   lvs-agent [--state-dir DIR] [--config FILE] status [--json]
 *   lvs-agent [--state-dir DIR] [--config FILE] run    [--desired FILE] [--interval SEC] [--config-dir DIR] [--stats-interval MS] [--metrics-listen HOST:PORT]
 *   lvs-agent enroll --panel URL --token lvse_… [--hostname NAME] [--config-dir DIR]
 */
import os from "node:os";
import { ConfigError, loadConfig, type AgentConfig } from "./config";
import { Daemon, type DaemonEvent } from "./daemon";
import { InvalidDesiredStateError, loadDesiredFile } from "./desired";
import { linuxKernel } from "./kernel/linux";
import type { Kernel } from "./kernel/types";
import type { OpResult } from "./model";
import { HostMismatchError, Reconciler } from "./reconciler";
import { StateStore, StateStoreError } from "./state-store";
import { collectStatus, formatStatus } from "./status";
// the panel client (socket.io-client, ws) is loaded only by `run` in panel mode: the one-shot commands start faster without it
import type { connectToPanel, PanelEvent } from "./panel/client";
import { enroll, EnrollError, readCredential } from "./panel/enroll";
import type { AgentStats, AgentStatsEvent } from "./stats/agent";

export const AGENT_VERSION = "0.1.0";

const USAGE = `usage: lvs-agent [--state-dir DIR] [--config FILE] <command> [options]

commands:
  plan   --desired FILE [--json]   show the ops that would make the kernel match FILE (changes nothing)
  apply  --desired FILE [--json]   reconcile once; exit 1 if any op failed or the read-back differs
  status [--json]                  the actual state: IPVS table with counters, owned addresses,
                                   managed sysctls, owned nft table, last applied generation
  run    [--desired FILE] [--interval SEC]
                                   daemon. With --desired, or without an enrolled credential: apply FILE
                                   (or the cached desired state), then reconcile every SEC seconds
                                   (default 10); SIGHUP re-reads FILE. Enrolled and without --desired:
                                   apply the cached state, connect to the panel and take desired states
                                   from it (drift is reported, repaired only on request).
                                   --stats-interval MS (default 1000): live stats sampling for the panel;
                                   --metrics-listen HOST:PORT: Prometheus /metrics on this address (off)
  enroll --panel URL --token lvse_… [--hostname NAME]
                                   exchange a one-time enrollment token for this host's credential
                                   (written to CONFIG_DIR/credential.json, mode 0600)
  version

global: --config-dir DIR (default /etc/lvs-agent): where credential.json lives

exit codes: 0 ok, 1 an op failed, 2 invalid input or configuration (nothing changed)
environment: LVS_AGENT_CONFIG, LVS_AGENT_STATE_DIR, LVS_AGENT_INTERVAL`;

export class UsageError extends Error {}

export interface ParsedArgs {
  command: string;
  stateDir?: string;
  configFile?: string;
  desired?: string;
  json: boolean;
  interval?: number;
  statsInterval?: number;
  metricsListen?: string;
  configDir?: string;
  panel?: string;
  token?: string;
  hostname?: string;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: Partial<ParsedArgs> & { json: boolean } = { json: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--state-dir":
        out.stateDir = value();
        break;
      case "--config":
        out.configFile = value();
        break;
      case "--desired":
        out.desired = value();
        break;
      case "--config-dir":
        out.configDir = value();
        break;
      case "--panel":
        out.panel = value();
        break;
      case "--token":
        out.token = value();
        break;
      case "--hostname":
        out.hostname = value();
        break;
      case "--json":
        out.json = true;
        break;
      case "--interval": {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n < 1) throw new UsageError(`--interval must be a number of seconds ≥ 1, got ${JSON.stringify(v)}`);
        out.interval = n;
        break;
      }
      case "--stats-interval": {
        const v = value();
        const n = Number(v);
        if (!Number.isInteger(n) || n < 100) throw new UsageError(`--stats-interval must be a whole number of milliseconds ≥ 100, got ${JSON.stringify(v)}`);
        out.statsInterval = n;
        break;
      }
      case "--metrics-listen":
        out.metricsListen = value();
        break;
      case "-h":
      case "--help":
        positional.unshift("help");
        break;
      default:
        if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length === 0) throw new UsageError("no command given");
  if (positional.length > 1 && positional[0] !== "help") throw new UsageError(`unexpected argument ${positional[1]}`);
  const command = positional[0];
  if (!["plan", "apply", "status", "run", "enroll", "version", "help"].includes(command)) throw new UsageError(`unknown command ${command}`);
  if ((command === "plan" || command === "apply") && !out.desired) throw new UsageError(`${command} needs --desired FILE`);
  if (command === "enroll" && (!out.panel || !out.token)) throw new UsageError("enroll needs --panel URL and --token lvse_…");
  if (command !== "enroll" && (out.panel || out.token || out.hostname)) throw new UsageError("--panel, --token and --hostname belong to enroll");
  return { ...out, command } as ParsedArgs;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  kernel?: Kernel;
  /** enroll only: the HTTP client (tests) */
  fetch?: typeof fetch;
  /** run in panel mode: overrides for tests (kernel capabilities, drift check interval) */
  panel?: Partial<Pick<Parameters<typeof connectToPanel>[0], "kernelInfo" | "checkIntervalMs" | "backoff">>;
  /** daemon only: resolves when the process should stop (signal name) */
  onSignal?: (handler: (signal: string) => void, reload: () => void) => void;
}

function formatResult(result: OpResult): string {
  return `${result.ok ? "ok  " : "FAIL"} ${result.op.command}${result.ok ? "" : `\n     ${result.error}`}`;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    io.stderr(`lvs-agent: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.command === "help") {
    io.stdout(USAGE + "\n");
    return 0;
  }
  if (args.command === "version") {
    io.stdout(`lvs-agent ${AGENT_VERSION}\n`);
    return 0;
  }
  let config: AgentConfig;
  try {
    config = loadConfig({ configFile: args.configFile, stateDir: args.stateDir, configDir: args.configDir, intervalSeconds: args.interval, statsIntervalMs: args.statsInterval, metricsListen: args.metricsListen, env: io.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`lvs-agent: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (args.command === "enroll") {
    try {
      const result = await enroll({ panelUrl: args.panel!, token: args.token!, hostname: args.hostname ?? os.hostname(), configDir: config.configDir, fetch: io.fetch });
      io.stdout(
        `enrolled as host ${result.hostName} (${result.hostId}) with ${result.panelUrl}\n` +
          `credential written to ${result.file} (mode 0600)\n` +
          `next: start the agent with \`lvs-agent run${args.configDir ? ` --config-dir ${args.configDir}` : ""}\` (or restart lvs-agent.service); it connects to the panel and applies what the panel publishes\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof EnrollError) {
        io.stderr(`lvs-agent enroll: ${error.message}\nnothing was written.\n`);
        return 2;
      }
      throw error;
    }
  }
  const kernel = io.kernel ?? linuxKernel();
  const store = new StateStore(config.stateDir);
  const reconciler = new Reconciler(kernel, store);

  try {
    switch (args.command) {
      case "plan": {
        const { resolved } = loadDesiredFile(args.desired!);
        const { ops, actual } = await reconciler.plan(resolved);
        const warnings: string[] = [];
        if (!actual.ipvs.available && resolved.ipvs.services.length > 0) {
          warnings.push(`${actual.ipvs.reason}: planned against an empty IPVS table; apply would fail`);
        }
        if (args.json) {
          io.stdout(JSON.stringify({ generation: resolved.generation, ops: ops, warnings }) + "\n");
        } else {
          for (const w of warnings) io.stderr(`warning: ${w}\n`);
          io.stdout(ops.length === 0 ? "No changes.\n" : ops.map((op) => op.command).join("\n") + "\n");
        }
        return 0;
      }
      case "apply": {
        const { resolved, document, text } = loadDesiredFile(args.desired!);
        const outcome = await reconciler.reconcile(resolved, document, { documentText: text });
        const failed = outcome.results.filter((r) => !r.ok).length;
        if (args.json) {
          io.stdout(
            JSON.stringify({
              generation: outcome.generation,
              results: outcome.results.map((r) => ({ op: r.op, ok: r.ok, ...(r.error !== undefined ? { error: r.error } : {}) })),
              converged: outcome.converged,
              remaining: outcome.remaining,
            }) + "\n",
          );
        } else {
          // one write: a cold apply of 10,000 services has 30,000 result lines, and a write per line costs a syscall each
          io.stdout(outcome.results.map((r) => formatResult(r) + "\n").join("") + `applied generation ${outcome.generation}: ${outcome.ops.length} ops, ${failed} failed\n`);
          if (!outcome.converged) {
            io.stdout(`not converged: the read-back still differs:\n${outcome.remaining.map((op) => `  ${op.command}`).join("\n")}\n`);
          }
        }
        return failed === 0 && outcome.converged ? 0 : 1;
      }
      case "status": {
        const status = await collectStatus(kernel, store);
        io.stdout(args.json ? JSON.stringify(status) + "\n" : formatStatus(status));
        return 0;
      }
      case "run": {
        const log = (event: DaemonEvent | PanelEvent | AgentStatsEvent) => io.stdout(JSON.stringify(event) + "\n");
        // --desired is standalone mode even on an enrolled host; otherwise a credential means panel mode
        const credential = args.desired ? null : readCredential(config.configDir);
        const daemon = new Daemon(reconciler, { desiredFile: args.desired, intervalMs: config.intervalSeconds * 1000, periodic: credential === null, log });
        let resolveStop!: (signal: string) => void;
        const stopped = new Promise<string>((r) => (resolveStop = r));
        io.onSignal?.(resolveStop, () => void daemon.reload());
        let stats: AgentStats;
        try {
          stats = await (await import("./stats/agent")).startAgentStats({ reconciler, daemon, intervalMs: config.statsIntervalMs, metricsListen: config.metricsListen, log });
        } catch (error) {
          io.stderr(`lvs-agent: ${(error as Error).message}\n`);
          return 2;
        }
        // an open metrics socket would keep a failed start from exiting
        await daemon.start().catch(async (error) => {
          await stats.close();
          throw error;
        });
        const panel = credential
          ? (await import("./panel/client")).connectToPanel({
              ...credential,
              daemon,
              reconciler,
              agentVersion: AGENT_VERSION,
              checkIntervalMs: config.driftCheckSeconds * 1000,
              repairDrift: config.repairDrift,
              stats: stats.collector,
              log,
              ...io.panel,
            })
          : null;
        const signal = await stopped;
        panel?.close();
        await stats.close();
        await daemon.stop(signal);
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof InvalidDesiredStateError) {
      io.stderr(`lvs-agent: ${error.message}\nnothing was changed.\n`);
      return 2;
    }
    if (error instanceof HostMismatchError) {
      io.stderr(`lvs-agent: the desired state does not fit this host:\n${error.issues.map((i) => `  ${i.path}: ${i.message}`).join("\n")}\nnothing was changed.\n`);
      return 2;
    }
    if (error instanceof EnrollError) {
      io.stderr(`lvs-agent: ${error.message}\n`);
      return 2;
    }
    if (error instanceof StateStoreError) {
      io.stderr(`lvs-agent: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  return 0;
}

/* c8 ignore start -- process wiring */
if (typeof require !== "undefined" && require.main === module) {
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    onSignal: (stop, reload) => {
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGHUP", reload);
    },
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`lvs-agent: ${(error as Error).stack ?? error}\n`);
      process.exitCode = 1;
    },
  );
}
