/** Runs e2e/helpers/health-agent.mjs (a simulated director that sends health reports and live connection counts) and reads its JSON lines. */
import { SimProcess } from "./sim-process";

export type { SimEvent as HealthSimEvent } from "./sim-process";

export class HealthAgent extends SimProcess {
  static start(token: string): Promise<HealthAgent> {
    return SimProcess.spawn((child) => new HealthAgent(child), "health-agent.mjs", token);
  }

  /** The weights of the newest desired state it accepted ("tcp VIP:80 RS:80" → weight). */
  latestWeights(): Record<string, number> | null {
    const applied = this.events.filter((e) => e.event === "applied");
    return (applied[applied.length - 1]?.weights as Record<string, number>) ?? null;
  }

  health(service: string, entries: { destination: string; status: "up" | "down"; reason?: string; latencyMs?: number }[]) {
    this.send({ cmd: "health", service, entries });
  }

  /** ActiveConn per destination key in the StatsFrames from now on. */
  connections(active: Record<string, number>) {
    this.send({ cmd: "conns", active });
  }
}
