"use client";
/**
 * Live progress of one revision's deployments (after Apply or Roll back):
 * polls revisions.status every 0.5 s while a connected host is pending or
 * applying, every 5 s while only offline hosts wait, and stops once all
 * settled. Failed hosts show the agent's error and the ops that failed
 * (from revisions.get).
 *
 * testids: `deployment-progress` (attribute data-revision), plus those of HostProgress
 * (`host-progress`, `host-status-<host name>`).
 */
import { useQuery } from "@tanstack/react-query";
import type { RevisionSummary } from "@/shared/revisions";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { HostProgress, type ProgressRow } from "./host-progress";
import { FAST_POLL_MS, pollInterval, rolesText } from "./progress";

export function DeploymentProgress({ revision }: { revision: RevisionSummary }) {
  const trpc = useTRPC();
  const status = useQuery(
    trpc.revisions.status.queryOptions(
      { clusterId: revision.clusterId },
      {
        // Hosts that moved on to a newer revision have nothing left to report about this one.
        refetchInterval: (query) => (query.state.data ? pollInterval(rowsOf(revision, query.state.data.hosts).filter((r) => !r.movedOn)) : FAST_POLL_MS),
        staleTime: 0,
      },
    ),
  );
  const first = rowsOf(revision, status.data?.hosts);
  // The revision's own record: op results of failed hosts, and the final status of hosts that moved on to a newer revision.
  const needDetail = first.some((r) => r.status === "failed" || r.movedOn);
  const detail = useQuery({
    ...trpc.revisions.get.queryOptions({ clusterId: revision.clusterId, number: revision.number }),
    enabled: needDetail,
  });
  const rows = rowsOf(detail.data ?? revision, status.data?.hosts);
  const results = new Map((detail.data?.results ?? []).map((r) => [r.hostId, r.results]));

  return (
    <div data-testid="deployment-progress" data-revision={revision.number}>
      {status.error && <Alert>Could not read the deployment status: {status.error.message}</Alert>}
      {rows.length === 0 ? (
        <p className="text-[13px] text-fg-muted">Revision #{revision.number} changed no host&apos;s state: nothing to push.</p>
      ) : (
        <HostProgress title={`Revision #${revision.number}`} hosts={rows.map((r) => ({ ...r, results: results.get(r.id) }))} />
      )}
    </div>
  );
}

/**
 * One row per host this revision deployed to. The host's live status counts
 * only while its latest deployment is this revision's (same generation);
 * before the first status read the revision's own record is shown.
 */
function rowsOf(
  revision: RevisionSummary,
  hosts: ReadonlyArray<{ id: string; roles: Array<"director" | "realServer">; online: boolean; generation: number; status: ProgressRow["status"]; error: string | null }> | undefined,
): Array<ProgressRow & { movedOn: boolean }> {
  return revision.deployments.map((d) => {
    const live = hosts?.find((h) => h.id === d.hostId);
    const current = live !== undefined && live.generation === d.generation;
    return {
      id: d.hostId,
      name: d.hostName,
      role: live ? rolesText(live.roles) : undefined,
      online: live?.online ?? false,
      status: current ? live.status : d.status,
      error: current ? live.error : d.error,
      movedOn: live !== undefined && live.generation > d.generation,
    };
  });
}
