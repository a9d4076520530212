/**
 * A long-lived `ipvsadm -R` child for small batches and targeted listings.
 *
 * `ipvsadm -R` executes each line as soon as it reads it, listings included,
 * so one child can serve every change: a change then costs a pipe write and a
 * few netlink round trips instead of processes (~40 ms each under emulation,
 * measured in the lab; see bench/README.md).
 *
 * Framing: after every line the session sends a read-only marker command,
 * `-L -n --timeout`, whose one-line answer ("Timeout (tcp tcpfin udp): …")
 * ends that line's output. What came before it is the line's output: nothing
 * for a change that worked, the error message for one that failed (stderr is
 * merged into stdout, and stdout is line-buffered through `stdbuf -oL`, so the
 * order is the order ipvsadm wrote in), the listing for `-L`.
 *
 * ipvsadm exits on a listing of a missing service and on a line it cannot
 * parse: that line's output is what it printed (`exited`), the lines after it
 * did not run (`ran: false`), and the next call starts a new child. When the
 * child cannot start at all (no stdbuf, no ipvsadm), `run` returns null and
 * callers use one process per call instead.
 *
 * The child never outlives the agent: its stdin is the agent's pipe, and
 * ipvsadm stops at end of input (also after a kill -9 of the agent). It holds
 * no state of its own; closing it never changes the kernel.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { KernelError } from "./types";

/** The marker command and the start of its answer. */
export const SESSION_MARKER = "-L -n --timeout";
const MARKER_ANSWER = /^Timeout \(tcp tcpfin udp\):[^\n]*\n/m;

export interface SessionLineResult {
  /** what ipvsadm printed for this line (trimmed; "" for a change that worked) */
  output: string;
  /** false: ipvsadm stopped at an earlier line, this one was not executed */
  ran: boolean;
  /** ipvsadm stopped at this line (a listing of a missing service, or a line it could not parse) */
  exited: boolean;
}

export interface SessionCommand {
  file: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

const PATH = [process.env.PATH, "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"].filter(Boolean).join(":");

/** `sh` only to merge stderr into stdout; the command is constant, nothing is interpolated. */
export const DEFAULT_SESSION_COMMAND: SessionCommand = {
  file: "sh",
  args: ["-c", "exec stdbuf -oL ipvsadm -R 2>&1"],
  env: { ...process.env, PATH, LC_ALL: "C" },
};

interface Request {
  lines: readonly string[];
  results: SessionLineResult[];
  /** -1 while waiting for the start-up marker of a new child */
  index: number;
  resolve: (results: SessionLineResult[] | null) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class IpvsadmSession {
  private child: ChildProcessWithoutNullStreams | null = null;
  private buffer = "";
  private current: Request | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** false once the command is missing (exit 127 before any answer): callers use processes from then on */
  private usable = true;
  private closed = false;

  constructor(
    private readonly command: SessionCommand = DEFAULT_SESSION_COMMAND,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Whether a child is running now (tests). */
  get running(): boolean {
    return this.child !== null;
  }

  /**
   * Runs `lines` in order, one result per line; null when no session can be
   * started (the caller runs its own process). Calls are serialised.
   */
  run(lines: readonly string[]): Promise<SessionLineResult[] | null> {
    const next = this.chain.then(() => this.runNow(lines));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Stops the child (end of input: ipvsadm exits). Never touches the kernel. */
  close(): void {
    this.closed = true;
    this.stopChild();
  }

  private runNow(lines: readonly string[]): Promise<SessionLineResult[] | null> {
    if (!this.usable || this.closed) return Promise.resolve(null);
    if (lines.length === 0) return Promise.resolve([]);
    for (const line of lines) {
      if (line.includes("\n")) return Promise.reject(new KernelError(`ipvsadm line with a newline: ${JSON.stringify(line)}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stopChild();
        this.finish(null, new KernelError(`ipvsadm -R session: no answer within ${this.timeoutMs} ms`, "ipvsadm -R"));
      }, this.timeoutMs);
      const fresh = this.child === null;
      this.current = { lines, results: [], index: fresh ? -1 : 0, resolve, reject, timer };
      const child = this.child ?? this.startChild();
      if (!child) return;
      setRef(child, true);
      let text = fresh ? `${SESSION_MARKER}\n` : "";
      for (const line of lines) text += `${line}\n${SESSION_MARKER}\n`;
      child.stdin.write(text);
    });
  }

  private startChild(): ChildProcessWithoutNullStreams | null {
    let child: ChildProcessWithoutNullStreams;
    try {
      child = spawn(this.command.file, this.command.args, { env: this.command.env, stdio: ["pipe", "pipe", "pipe"] });
    } catch {
      this.usable = false;
      this.finish(null);
      return null;
    }
    this.child = child;
    this.buffer = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (this.child !== child) return;
      this.buffer += chunk;
      this.drain();
    });
    // the default command merges stderr into stdout; a command that does not is still heard
    child.stderr.on("data", (chunk: string) => {
      if (this.child === child) this.buffer += chunk;
    });
    child.stdin.on("error", () => undefined);
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") this.usable = false;
    });
    child.on("close", (code) => {
      if (this.child !== child) return;
      this.child = null;
      this.onExit(code);
    });
    return child;
  }

  /** Hands out every complete line output in the buffer. */
  private drain(): void {
    const request = this.current;
    if (!request) return;
    for (;;) {
      const match = MARKER_ANSWER.exec(this.buffer);
      if (!match) return;
      const output = this.buffer.slice(0, match.index).trim();
      this.buffer = this.buffer.slice(match.index + match[0].length);
      if (request.index === -1) {
        request.index = 0;
        continue;
      }
      request.results.push({ output, ran: true, exited: false });
      request.index++;
      if (request.index === request.lines.length) {
        this.finish(request.results);
        return;
      }
    }
  }

  private onExit(code: number | null): void {
    const request = this.current;
    const rest = this.buffer.trim();
    this.buffer = "";
    if (!request) return;
    if (request.index === -1) {
      // the child never answered: nothing ran. A missing command stays missing; anything else is retried next call
      if (code === 127) this.usable = false;
      this.finish(null);
      return;
    }
    request.results.push({ output: rest || `ipvsadm exited with ${code ?? "a signal"}`, ran: true, exited: true });
    while (request.results.length < request.lines.length) request.results.push({ output: "", ran: false, exited: false });
    this.finish(request.results);
  }

  private finish(results: SessionLineResult[] | null, error?: Error): void {
    const request = this.current;
    if (!request) return;
    this.current = null;
    clearTimeout(request.timer);
    // idle: the child must not keep a one-shot CLI alive
    if (this.child) setRef(this.child, false);
    if (error) request.reject(error);
    else request.resolve(results);
  }

  private stopChild(): void {
    const child = this.child;
    if (!child) return;
    this.child = null;
    child.stdin.end();
    child.kill("SIGKILL");
  }
}

/** A busy child keeps the event loop alive (an answer is awaited); an idle one must not. The pipes are net.Sockets. */
function setRef(child: ChildProcessWithoutNullStreams, on: boolean): void {
  type Handle = { ref?: () => void; unref?: () => void; destroyed?: boolean };
  for (const handle of [child, child.stdin, child.stdout, child.stderr] as unknown as Handle[]) {
    // a closed pipe (stderr, merged into stdout by the command) has no handle: ref() would wait for a "connect" forever
    if (handle.destroyed) continue;
    if (on) handle.ref?.();
    else handle.unref?.();
  }
}
