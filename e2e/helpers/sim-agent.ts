/**
 * Runs e2e/helpers/sim-agent.mjs (a simulated director agent on the real wire
 * protocol that feeds live stats) as a child process and reads what it says.
 */
import { SimProcess } from "./sim-process";

export type { SimEvent } from "./sim-process";

export class SimAgent extends SimProcess {
  /** Enrolls with `token` and connects; resolves once the panel acknowledged its hello. */
  static start(token: string): Promise<SimAgent> {
    return SimProcess.spawn((child) => new SimAgent(child), "sim-agent.mjs", token);
  }

  count(event: string): number {
    return this.events.filter((e) => e.event === event).length;
  }

  /** New connections per second the director reports from now on (split over the real servers). */
  setRate(conns: number) {
    this.send({ cmd: "rate", conns });
  }
}
