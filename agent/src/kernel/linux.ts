/**
 * Linux kernel access: ipvsadm, ip, nft and modprobe as child processes
 * (argument arrays, never a shell), /proc and /proc/sys read and written
 * directly. Every process costs tens of milliseconds under emulation, so
 * reads prefer /proc, writes are batched by the caller, and small batches and
 * targeted listings go through one long-lived `ipvsadm -R` (IpvsadmSession).
 */
import { spawn } from "node:child_process";
import { createReadStream, promises as fs, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createInterface } from "node:readline";
import type { ResolvedAddress, ResolvedLink } from "../../../shared/desired-state/resolve";
import { sysctlPath } from "../../../shared/desired-state/resolve";
import type { IpvsTimeouts } from "../../../shared/desired-state/schema";
import { fromList, fromProc, fromThresholdsAndProc, learnHz, parseIpvsList, parseProcIpvs } from "../ipvsadm/listing";
import { serviceSpec, type ServiceRef } from "../ipvsadm/rules";
import type { ActualService, InterfaceState } from "../model";
import { hashText, NFT_COMMENT, NFT_FAMILY, NFT_TABLE } from "../plan/nft";
import { IpvsadmSession, type SessionLineResult } from "./ipvsadm-session";
import { KernelError, type RestoreResult, type IpvsKernel, type Kernel, type NetKernel, type NftKernel, type ServiceHandle, type SysctlKernel, type StatsKernel } from "./types";

export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

const PATH = [process.env.PATH, "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].filter(Boolean).join(":");

export function runCommand(file: string, args: readonly string[], stdin?: string): Promise<CommandOutput> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, args, { env: { ...process.env, PATH, LC_ALL: "C" }, stdio: ["pipe", "pipe", "pipe"] });
    } catch (error) {
      resolve({ code: 127, stdout: "", stderr: (error as Error).message });
      return;
    }
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    child.on("error", (error: NodeJS.ErrnoException) => {
      resolve({ code: 127, stdout: "", stderr: error.code === "ENOENT" ? `${file}: command not found` : error.message });
    });
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin ?? "");
  });
}

async function mustRun(file: string, args: readonly string[], stdin?: string): Promise<string> {
  const result = await runCommand(file, args, stdin);
  if (result.code !== 0) {
    const message = (result.stderr || result.stdout).trim() || `exit code ${result.code}`;
    throw new KernelError(`${file} ${args.join(" ")}: ${message}`, `${file} ${args.join(" ")}`);
  }
  return result.stdout;
}

/**
 * Reads a /proc table synchronously. The kernel's seq_file returns at most
 * one page (4 KiB) per read(), however large the buffer, so a 10,000-service
 * /proc/net/ip_vs (1.5 MB) takes ~360 reads: asynchronous reads pay a
 * thread-pool round trip for each (fs.promises.readFile: 576 ms in the lab
 * VM), readFileSync does them back to back (150-210 ms there, ~15 ms
 * natively; a small table is microseconds).
 */
function readProcTable(path: string): Promise<string | null> {
  try {
    return Promise.resolve(readFileSync(path, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return Promise.resolve(null);
    return Promise.reject(error);
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await fs.readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

function splitArgs(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}

/** Batches up to this many lines go through the session (a result per line); larger ones through `ipvsadm -R` processes. */
export const SESSION_LINE_LIMIT = 256;
/** From this many lines on, a batch is split by service over concurrent `ipvsadm -R` processes (one per CPU, at most 4). */
export const PARALLEL_RESTORE_MIN_LINES = 1024;
const MAX_RESTORE_PROCESSES = 4;

/**
 * Splits a batch into `parts` batches of whole services, each keeping its lines
 * in order (a service's destinations follow the service). IPVS services are
 * independent of each other, so the parts may run concurrently. Returns the
 * batch whole when a line names no service.
 */
export function splitByService(lines: readonly string[], parts: number): string[][] {
  if (parts <= 1) return [[...lines]];
  const groups: string[][] = Array.from({ length: parts }, () => []);
  const groupOf = new Map<string, number>();
  for (const line of lines) {
    // the agent's lines name the service right after the command: "-a -t 192.0.2.1:80 -r …" (no regex: 30,000 lines per cold 10,000)
    const first = line.indexOf(" ");
    const second = first < 0 ? -1 : line.indexOf(" ", first + 1);
    const flag = second < 0 ? "" : line.slice(first + 1, second);
    if (flag !== "-t" && flag !== "-u" && flag !== "-f") return [[...lines]];
    const third = line.indexOf(" ", second + 1);
    const key = line.slice(first + 1, third < 0 ? line.length : third);
    let group = groupOf.get(key);
    if (group === undefined) groupOf.set(key, (group = groupOf.size % parts));
    groups[group].push(line);
  }
  return groups.filter((g) => g.length > 0);
}

/** The session lines that list one service (and its thresholds). */
function listingLines(service: ServiceHandle, withThresholds: boolean): string[] {
  const spec = serviceSpec(service);
  return withThresholds ? [`-L -n ${spec}`, `-L -n --thresholds ${spec}`] : [`-L -n ${spec}`];
}

/**
 * A batch's session answers as a restore result: each line's error when every
 * line ran; when ipvsadm stopped at a line it could not take, the lines after
 * it did not run and only "something failed" is known (the caller re-reads
 * and retries).
 */
function restoreResultOf(answers: readonly SessionLineResult[]): RestoreResult {
  if (answers.every((a) => a.ran && !a.exited)) {
    const lineErrors = answers.map((a) => a.output || null);
    const errors = lineErrors.filter((e): e is string => e !== null);
    return { ok: errors.length === 0, errors, lineErrors };
  }
  const errors = answers.filter((a) => a.ran && a.output).map((a) => a.output);
  return { ok: false, errors: errors.length > 0 ? errors : ["ipvsadm -R stopped before the end of the batch"] };
}

function isMissingService(output: string): boolean {
  return /No such service|does not exist/i.test(output);
}

export class LinuxIpvs implements IpvsKernel {
  /** kernel HZ, learnt from the first full read that has a persistent service */
  private hz: number | null = null;

  constructor(
    private readonly session = new IpvsadmSession(),
    private readonly restoreProcesses = Math.min(MAX_RESTORE_PROCESSES, availableParallelism()),
  ) {}

  close(): void {
    this.session.close();
  }

  async probe(): Promise<{ available: boolean; reason: string | null }> {
    // the file exists once ip_vs is loaded; reading it would list the whole table (again, right before read())
    if (await exists("/proc/net/ip_vs")) return { available: true, reason: null };
    // ipvsadm loads ip_vs on first use when the module exists
    const result = await runCommand("ipvsadm", ["-Ln"]);
    if (result.code === 0 && (await exists("/proc/net/ip_vs"))) return { available: true, reason: null };
    const lines = (result.stderr || result.stdout).trim().split("\n");
    const detail = lines.find((l) => /initialize/i.test(l)) ?? (lines[0] || `exit code ${result.code}`);
    return { available: false, reason: `IPVS is not available in this kernel (${detail})` };
  }

  async read(detail: "basic" | "full"): Promise<ActualService[]> {
    const procText = await readProcTable("/proc/net/ip_vs");
    if (procText === null) return [];
    const proc = parseProcIpvs(procText);
    const ambiguous = proc.some((s) => !s.familyKnown);
    if (detail === "basic" && !ambiguous) return proc.map((s) => fromProc(s, this.hz));
    // Full read over netlink only. /proc/net/ip_vs can skip services when other network
    // namespaces also hold IPVS services (its iterator counts their entries but does not show
    // them, and each ~4 KiB read restarts from a count of this namespace's entries only), so it
    // may under-report; it is used here just to learn HZ.
    // One listing (--thresholds shows flags, persistence and engine too) completed with forwarding
    // and weight from /proc; a second listing only when /proc does not show everything the first does.
    const limits = parseIpvsList(await mustRun("ipvsadm", ["-Ln", "--thresholds"]));
    let services = fromThresholdsAndProc(limits, proc);
    if (!services) {
      const thresholds = new Map(limits.map((s) => [s.key, s]));
      services = parseIpvsList(await mustRun("ipvsadm", ["-Ln"])).map((s) => fromList(s, thresholds.get(s.key) ?? null));
    }
    this.hz = learnHz(proc, services) ?? this.hz;
    return services;
  }

  async readServices(services: readonly ServiceHandle[], withThresholds: boolean): Promise<Map<string, ActualService | null>> {
    const result = new Map<string, ActualService | null>();
    let pending = [...services];
    while (pending.length > 0) {
      const lines = pending.flatMap((s) => listingLines(s, withThresholds));
      const answers = await this.session.run(lines);
      if (!answers) return this.readServicesByProcess(pending, withThresholds, result);
      const rest = this.takeListings(pending, answers, withThresholds, result);
      if (rest.length >= pending.length) throw new KernelError(`ipvsadm -Ln ${serviceSpec(pending[0])}: ipvsadm stopped without an answer`);
      pending = rest;
    }
    return result;
  }

  /**
   * Parses the session's answers to the listings of `services` into `result`;
   * returns the services still to list (ipvsadm stops at a missing service,
   * so the ones after it are listed again by a new child).
   */
  private takeListings(services: ServiceHandle[], answers: SessionLineResult[], withThresholds: boolean, result: Map<string, ActualService | null>): ServiceHandle[] {
    const per = withThresholds ? 2 : 1;
    for (let j = 0; j < services.length; j++) {
      const service = services[j];
      const own = withThresholds ? [answers[j * per], answers[j * per + 1]] : [answers[j * per]];
      if (!own[0].ran) return services.slice(j);
      const failed = own.find((a) => a.ran && (a.exited || isMissingService(a.output)));
      if (failed) {
        if (!isMissingService(failed.output)) throw new KernelError(`ipvsadm -Ln ${serviceSpec(service)}: ${failed.output}`);
        result.set(service.key, null);
        if (failed.exited) return services.slice(j + 1);
        continue;
      }
      if (own.some((a) => !a.ran)) return services.slice(j);
      const listed = parseIpvsList(own[0].output)[0];
      if (!listed) {
        result.set(service.key, null);
        continue;
      }
      const thresholds = withThresholds ? (parseIpvsList(own[1].output)[0] ?? null) : null;
      result.set(service.key, fromList(listed, thresholds));
    }
    return [];
  }

  /** One or two `ipvsadm -Ln` processes per service (when no session can run). */
  private async readServicesByProcess(services: readonly ServiceHandle[], withThresholds: boolean, result: Map<string, ActualService | null>): Promise<Map<string, ActualService | null>> {
    await Promise.all(
      services.map(async (service) => {
        const spec = splitArgs(serviceSpec(service));
        const [list, limits] = await Promise.all([
          runCommand("ipvsadm", ["-Ln", ...spec]),
          withThresholds ? runCommand("ipvsadm", ["-Ln", "--thresholds", ...spec]) : Promise.resolve(null),
        ]);
        if (list.code !== 0) {
          if (/No such service|does not exist/i.test(list.stderr)) {
            result.set(service.key, null);
            return;
          }
          throw new KernelError(`ipvsadm -Ln ${spec.join(" ")}: ${list.stderr.trim()}`);
        }
        const listed = parseIpvsList(list.stdout)[0];
        if (!listed) {
          result.set(service.key, null);
          return;
        }
        const thresholds = limits && limits.code === 0 ? (parseIpvsList(limits.stdout)[0] ?? null) : null;
        result.set(service.key, fromList(listed, thresholds));
      }),
    );
    return result;
  }

  async restore(lines: readonly string[]): Promise<RestoreResult> {
    if (lines.length === 0) return { ok: true, errors: [] };
    if (lines.length <= SESSION_LINE_LIMIT) {
      const answers = await this.session.run(lines);
      if (answers) return restoreResultOf(answers);
    }
    const parts = lines.length >= PARALLEL_RESTORE_MIN_LINES ? splitByService(lines, this.restoreProcesses) : [[...lines]];
    const results = await Promise.all(parts.map((part) => runCommand("ipvsadm", ["-R"], part.join("\n") + "\n")));
    const errors: string[] = [];
    for (const result of results) {
      const own = result.stderr.split("\n").map((l) => l.trim()).filter(Boolean);
      if (result.code !== 0 && own.length === 0) own.push(`ipvsadm -R exited with ${result.code}`);
      errors.push(...own);
    }
    return { ok: errors.length === 0, errors };
  }

  async restoreAndList(lines: readonly string[], services: readonly ServiceHandle[], withThresholds: boolean): Promise<{ restore: RestoreResult; listed: Map<string, ActualService | null> | null }> {
    if (lines.length === 0 || lines.length > SESSION_LINE_LIMIT || services.length === 0) return { restore: await this.restore(lines), listed: null };
    // the listings follow the batch down the same pipe: one round trip for a change and its read-back
    const answers = await this.session.run([...lines, ...services.flatMap((s) => listingLines(s, withThresholds))]);
    if (!answers) return { restore: await this.restore(lines), listed: null };
    const restore = restoreResultOf(answers.slice(0, lines.length));
    // the batch stopped early: the listings did not run (read separately, after the caller's retries)
    if (!restore.lineErrors) return { restore, listed: null };
    const listed = new Map<string, ActualService | null>();
    const rest = this.takeListings([...services], answers.slice(lines.length), withThresholds, listed);
    if (rest.length > 0) for (const [key, service] of await this.readServices(rest, withThresholds)) listed.set(key, service);
    return { restore, listed };
  }

  async run(line: string): Promise<void> {
    const answers = await this.session.run([line]);
    if (!answers) {
      await mustRun("ipvsadm", splitArgs(line));
      return;
    }
    const [answer] = answers;
    if (answer.output) throw new KernelError(`ipvsadm ${line}: ${answer.output}`, `ipvsadm ${line}`);
  }

  async readTimeouts(): Promise<IpvsTimeouts> {
    const text = await mustRun("ipvsadm", ["-L", "--timeout"]);
    const match = /:\s*(\d+)\s+(\d+)\s+(\d+)/.exec(text);
    if (!match) throw new KernelError(`cannot read IPVS timeouts from: ${text.trim()}`);
    return { tcp: Number(match[1]), tcpfin: Number(match[2]), udp: Number(match[3]) };
  }

  async setTimeouts(t: IpvsTimeouts): Promise<void> {
    await mustRun("ipvsadm", ["--set", String(t.tcp), String(t.tcpfin), String(t.udp)]);
  }
}

interface IpJsonLink {
  ifname: string;
  flags?: string[];
  addr_info?: Array<{ family: string; local: string; prefixlen: number; label?: string }>;
}

export class LinuxNet implements NetKernel {
  async interfaces(): Promise<InterfaceState[]> {
    const links = JSON.parse(await mustRun("ip", ["-j", "addr", "show"])) as IpJsonLink[];
    return links.map((link) => ({
      name: link.ifname,
      up: (link.flags ?? []).includes("UP"),
      addresses: (link.addr_info ?? [])
        .filter((a) => a.family === "inet" || a.family === "inet6")
        .map((a) => ({
          address: a.local,
          prefix: a.prefixlen,
          family: a.family === "inet" ? 4 : 6,
          label: a.family === "inet" ? (a.label ?? null) : null,
        })),
    }));
  }

  async addAddress(a: ResolvedAddress): Promise<void> {
    const args = a.family === 6 ? ["-6", "addr", "add", `${a.address}/${a.prefix}`, "dev", a.interface, "nodad"] : ["addr", "add", `${a.address}/${a.prefix}`, "dev", a.interface];
    if (a.family === 4 && a.label) args.push("label", a.label);
    await mustRun("ip", args);
  }

  async deleteAddress(a: ResolvedAddress): Promise<void> {
    await mustRun("ip", [...(a.family === 6 ? ["-6"] : []), "addr", "del", `${a.address}/${a.prefix}`, "dev", a.interface]);
  }

  async linkUp(link: ResolvedLink, load: boolean): Promise<void> {
    if (load) await mustRun("modprobe", [link.module]);
    await mustRun("ip", ["link", "set", link.name, "up"]);
  }

  async linkDown(name: string): Promise<void> {
    await mustRun("ip", ["link", "set", name, "down"]);
  }
}

export class LinuxSysctl implements SysctlKernel {
  async read(key: string): Promise<string | null> {
    const text = await readText(`/proc/sys/${sysctlPath(key)}`);
    return text === null ? null : text.trim().replace(/\s+/g, " ");
  }

  async write(key: string, value: string): Promise<void> {
    try {
      await fs.writeFile(`/proc/sys/${sysctlPath(key)}`, value + "\n");
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const why = e.code === "ENOENT" ? "no such sysctl on this host" : e.code === "EACCES" || e.code === "EPERM" ? "permission denied (run as root)" : e.message;
      throw new KernelError(`sysctl -w ${key}=${value}: ${why}`);
    }
  }
}

export class LinuxNft implements NftKernel {
  async read() {
    const result = await runCommand("nft", ["list", "table", NFT_FAMILY, NFT_TABLE]);
    if (result.code !== 0) return { exists: false, managed: false, listingHash: null };
    return { exists: true, managed: result.stdout.includes(NFT_COMMENT), listingHash: hashText(result.stdout) };
  }

  async apply(script: string): Promise<void> {
    await mustRun("nft", ["-f", "-"], script);
  }

  async deleteTable(): Promise<void> {
    await mustRun("nft", ["delete", "table", NFT_FAMILY, NFT_TABLE]);
  }
}

export class LinuxStats implements StatsKernel {
  procIpvs(): Promise<string | null> {
    return readProcTable("/proc/net/ip_vs");
  }

  procIpvsStats(): Promise<string | null> {
    return readProcTable("/proc/net/ip_vs_stats");
  }

  listStats(): Promise<string> {
    return mustRun("ipvsadm", ["-Ln", "--stats", "--exact"]);
  }

  async *connections(): AsyncIterable<string> {
    // line by line: a busy director's table is far larger than a page of it
    if (!(await exists("/proc/net/ip_vs_conn"))) return;
    const stream = createReadStream("/proc/net/ip_vs_conn", { encoding: "utf8" });
    try {
      yield* createInterface({ input: stream, crlfDelay: Infinity });
    } finally {
      stream.destroy();
    }
  }

  async zero(services: readonly ServiceRef[]): Promise<void> {
    if (services.length === 0) return;
    if (services.length === 1) {
      await mustRun("ipvsadm", ["-Z", ...splitArgs(serviceSpec(services[0]))]);
      return;
    }
    // one process for all; ipvsadm -R goes on after a failing line and still exits 0, so any error
    // output means "something failed": then each service on its own, to zero the others and name the failures
    const result = await runCommand("ipvsadm", ["-R"], services.map((s) => `-Z ${serviceSpec(s)}\n`).join(""));
    if (result.code === 0 && !result.stderr.trim()) return;
    const failures: string[] = [];
    for (const service of services) {
      const spec = splitArgs(serviceSpec(service));
      const one = await runCommand("ipvsadm", ["-Z", ...spec]);
      if (one.code !== 0) failures.push(`ipvsadm -Z ${spec.join(" ")}: ${(one.stderr || one.stdout).trim() || `exit code ${one.code}`}`);
    }
    if (failures.length > 0) throw new KernelError(failures.slice(0, 5).join("; ") + (failures.length > 5 ? ` (and ${failures.length - 5} more)` : ""), "ipvsadm -Z");
  }
}

export function linuxKernel(): Kernel {
  return { ipvs: new LinuxIpvs(), net: new LinuxNet(), sysctl: new LinuxSysctl(), nft: new LinuxNft(), stats: new LinuxStats() };
}
