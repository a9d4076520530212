/** A simulated director (e2e/helpers/*-agent.mjs on sim-director.mjs) run as a child process: its JSON lines, and commands on stdin. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { expect } from "@playwright/test";
import { BASE_URL } from "./api";

export interface SimEvent {
  event: string;
  [k: string]: unknown;
}

export class SimProcess {
  readonly events: SimEvent[] = [];
  protected constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  /** Starts `script` (next to this file), enrolled with `token`; resolves once the panel acknowledged its hello. */
  protected static async spawn<T extends SimProcess>(make: (child: ChildProcessWithoutNullStreams) => T, script: string, token: string): Promise<T> {
    const child = spawn(process.execPath, [path.resolve(__dirname, script)], {
      env: { ...process.env, PANEL_URL: BASE_URL, ENROLL_TOKEN: token },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const sim = make(child);
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          sim.events.push(JSON.parse(line) as SimEvent);
        } catch {
          /* not ours */
        }
      }
    });
    child.stderr.on("data", (d) => process.stderr.write(`[${script}] ${d}`));
    await sim.waitFor((e) => e.event === "connected", `${script} to connect`);
    return sim;
  }

  async waitFor(match: (e: SimEvent) => boolean, what: string, timeout = 30_000): Promise<SimEvent> {
    await expect.poll(() => this.events.some(match), { message: `waiting for ${what}`, timeout }).toBe(true);
    return this.events.find(match)!;
  }

  protected send(command: Record<string, unknown>) {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
  }

  stop() {
    if (this.child.exitCode === null) {
      this.child.stdin.end();
      this.child.kill("SIGTERM");
    }
  }
}
