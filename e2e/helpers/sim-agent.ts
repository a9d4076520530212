/**
 * Runs e2e/helpers/sim-agent.mjs (a simulated director agent on the real wire
 * protocol) as a child process and reads what it says (JSON lines).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { expect } from "@playwright/test";
import { BASE_URL } from "./api";

export interface SimEvent {
  event: string;
  [k: string]: unknown;
}

export class SimAgent {
  readonly events: SimEvent[] = [];
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  /** Enrolls with `token` and connects; resolves once the panel acknowledged its hello. */
  static async start(token: string): Promise<SimAgent> {
    const child = spawn(process.execPath, [path.resolve(__dirname, "sim-agent.mjs")], {
      env: { ...process.env, PANEL_URL: BASE_URL, ENROLL_TOKEN: token },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const agent = new SimAgent(child);
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          agent.events.push(JSON.parse(line) as SimEvent);
        } catch {
          /* not ours */
        }
      }
    });
    child.stderr.on("data", (d) => process.stderr.write(`[sim-agent] ${d}`));
    await agent.waitFor((e) => e.event === "connected", "the simulated agent to connect");
    return agent;
  }

  async waitFor(match: (e: SimEvent) => boolean, what: string, timeout = 30_000): Promise<SimEvent> {
    await expect.poll(() => this.events.some(match), { message: `waiting for ${what}`, timeout }).toBe(true);
    return this.events.find(match)!;
  }

  count(event: string): number {
    return this.events.filter((e) => e.event === event).length;
  }

  /** New connections per second the director reports from now on (split over the real servers). */
  setRate(conns: number) {
    this.child.stdin.write(`${JSON.stringify({ cmd: "rate", conns })}\n`);
  }

  stop() {
    if (this.child.exitCode === null) {
      this.child.stdin.end();
      this.child.kill("SIGTERM");
    }
  }
}
