/** Runs e2e/helpers/health-agent.mjs (a simulated director that sends health reports and live connection counts) and reads its JSON lines. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { expect } from "@playwright/test";
import { BASE_URL } from "./api";

export interface HealthSimEvent {
  event: string;
  [k: string]: unknown;
}

export class HealthAgent {
  readonly events: HealthSimEvent[] = [];
  private constructor(private readonly child: ChildProcessWithoutNullStreams) {}

  static async start(token: string): Promise<HealthAgent> {
    const child = spawn(process.execPath, [path.resolve(__dirname, "health-agent.mjs")], {
      env: { ...process.env, PANEL_URL: BASE_URL, ENROLL_TOKEN: token },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const agent = new HealthAgent(child);
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          agent.events.push(JSON.parse(line) as HealthSimEvent);
        } catch {
          /* not ours */
        }
      }
    });
    child.stderr.on("data", (d) => process.stderr.write(`[health-agent] ${d}`));
    await agent.waitFor((e) => e.event === "connected", "the simulated director to connect");
    return agent;
  }

  async waitFor(match: (e: HealthSimEvent) => boolean, what: string, timeout = 30_000): Promise<HealthSimEvent> {
    await expect.poll(() => this.events.some(match), { message: `waiting for ${what}`, timeout }).toBe(true);
    return this.events.find(match)!;
  }

  /** The weights of the newest desired state it accepted ("tcp VIP:80 RS:80" → weight). */
  latestWeights(): Record<string, number> | null {
    const applied = this.events.filter((e) => e.event === "applied");
    return (applied[applied.length - 1]?.weights as Record<string, number>) ?? null;
  }

  health(service: string, entries: { destination: string; status: "up" | "down"; reason?: string; latencyMs?: number }[]) {
    this.child.stdin.write(`${JSON.stringify({ cmd: "health", service, entries })}\n`);
  }

  /** ActiveConn per destination key in the StatsFrames from now on. */
  connections(active: Record<string, number>) {
    this.child.stdin.write(`${JSON.stringify({ cmd: "conns", active })}\n`);
  }

  stop() {
    if (this.child.exitCode === null) {
      this.child.stdin.end();
      this.child.kill("SIGTERM");
    }
  }
}
