/**
 * What the agent gateway stores and reads (issue #4): hellos, reports,
 * the desired state to push, push acknowledgements. Messages arrive here
 * already validated against shared/agent-protocol.
 */
import type { Database } from "@/server/db";
import * as agents from "@/server/repositories/agents";
import { read, transaction } from "@/server/repositories/db";
import * as revisions from "@/server/repositories/revisions";
import type { AgentHello, AgentReport, DesiredDeltaPush, DesiredPush } from "@/shared/agent-protocol";
import { deltaPushFor } from "@/shared/agent-protocol/delta";

async function latestDeployment(db: Database, hostId: string) {
  return (await read(db, (q) => revisions.latestDeployments(q, [hostId]))).get(hostId) ?? null;
}

/** After a hello: the host's newest deployment unless the agent already applied it (`appliedGeneration` from the hello). */
export async function pushForHello(db: Database, hostId: string, appliedGeneration: number | null): Promise<DesiredPush | null> {
  const latest = await latestDeployment(db, hostId);
  if (!latest) return null;
  if (appliedGeneration === null || appliedGeneration < latest.generation) return toPush(latest, false);
  // The agent is ahead (the panel's database was restored): re-publish the panel's latest with force.
  if (appliedGeneration > latest.generation) return toPush(latest, true);
  return null;
}

/** After apply/rollback: the host's newest deployment while it is unfinished. */
export async function pushForPublish(db: Database, hostId: string): Promise<DesiredPush | null> {
  const latest = await latestDeployment(db, hostId);
  return latest && (latest.status === "pending" || latest.status === "applying") ? toPush(latest, false) : null;
}

function toPush(d: revisions.DeploymentRow, force: boolean): DesiredPush {
  return { generation: d.generation, revisionId: d.revisionId, state: JSON.parse(d.desiredState), force };
}

/**
 * What goes on the wire for `push` when the connection's agent accepted
 * `base` last: a delta against it when that is clearly smaller, otherwise null
 * (send `push` whole). See shared/agent-protocol/delta.ts.
 */
export function wireFor(push: DesiredPush, base: { generation: number; state: unknown } | null): DesiredDeltaPush | null {
  return deltaPushFor(push, base);
}

/** Stores the hello; a deployment the agent says it already applied (report lost while the panel was down) is marked applied. */
export async function recordHello(db: Database, agent: { hostId: string; credentialId: string }, hello: AgentHello): Promise<void> {
  const now = new Date();
  await transaction(db, async (tx) => {
    await agents.recordHello(tx, agent.hostId, agent.credentialId, hello, now);
    if (hello.appliedGeneration !== null) {
      const d = await revisions.findDeployment(tx, agent.hostId, hello.appliedGeneration);
      if (d && (d.status === "pending" || d.status === "applying")) {
        await revisions.finishDeployment(tx, agent.hostId, d.generation, { status: "applied", error: null, results: null, at: now });
      }
    }
  });
}

/** The agent accepted (→ applying) or refused (→ failed) a push. */
export async function recordPushAck(db: Database, hostId: string, generation: number, ack: { accepted: boolean; error?: string }): Promise<void> {
  await transaction(db, async (tx) => {
    if (ack.accepted) await revisions.markApplying(tx, hostId, generation);
    else await revisions.failDeployment(tx, hostId, generation, `the agent refused the desired state: ${ack.error ?? "no reason given"}`);
  });
}

/** First failure of a report, as the deployment's error. */
export function reportError(report: AgentReport): string | null {
  if (report.error) return report.error;
  const failed = report.results.filter((r) => !r.ok);
  if (failed.length > 0) {
    const first = failed[0];
    return `${failed.length} of ${report.results.length} change(s) failed; first: ${first.command}: ${first.error ?? "failed"}`;
  }
  if (!report.converged) return `applied, but ${report.drift.length} change(s) are still needed after read-back`;
  return null;
}

export async function recordReport(db: Database, hostId: string, report: AgentReport): Promise<void> {
  const now = new Date();
  await transaction(db, async (tx) => {
    await agents.recordReport(tx, hostId, report, now);
    if (report.kind !== "periodic" && report.generation !== null) {
      const error = reportError(report);
      await revisions.finishDeployment(tx, hostId, report.generation, {
        status: error ? "failed" : "applied",
        error,
        results: JSON.stringify(report.results),
        at: now,
      });
    }
  });
}

export async function recordDisconnect(db: Database, hostId: string): Promise<void> {
  await transaction(db, (tx) => agents.touchHost(tx, hostId, new Date()));
}
