/**
 * The agent gateway's "health" event (issue #6), kept out of gateway.ts: parse
 * with HealthReportSchema (invalid → dropped with a log line and a negative
 * ack, nothing stored), then ingest. Reports of one host are ingested one
 * after another, in arrival order, so two quick transitions can never be
 * compared against the same previous status. The ack follows the ingest.
 */
import type { Database } from "@/server/db";
import { HealthReportSchema, type HealthAck } from "@/shared/agent-protocol";
import { ingestHealthReport } from "./ingest";

const queues = new Map<string, Promise<unknown>>();

export async function onHealthEvent(
  db: Database,
  agent: { hostId: string; hostName: string },
  payload: unknown,
  ack: ((a: HealthAck) => void) | null,
  log: (line: string) => void,
): Promise<void> {
  const parsed = HealthReportSchema.safeParse(payload);
  if (!parsed.success) {
    const why = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
      .join("; ");
    log(`agent-gateway: dropped an invalid health report from ${agent.hostName}: ${why}`);
    ack?.({ ok: false, error: `invalid health report: ${why}` });
    return;
  }
  const previous = queues.get(agent.hostId) ?? Promise.resolve();
  const run = previous.then(() => ingestHealthReport(db, agent, parsed.data));
  const tail = run.catch(() => undefined);
  queues.set(agent.hostId, tail);
  try {
    await run;
    ack?.({ ok: true });
  } catch (error) {
    log(`agent-gateway: health report from ${agent.hostName} failed: ${(error as Error).message}`);
    ack?.({ ok: false, error: "the panel could not store the health report" });
  } finally {
    if (queues.get(agent.hostId) === tail) queues.delete(agent.hostId);
  }
}
