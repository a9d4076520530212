"use client";
/**
 * The cluster page's view of the panel ↔ agent loop: which revision the
 * hosts run, whether the draft has changes not applied yet, one chip per host
 * (online, generation applied vs published, drift), and for drifted hosts the
 * exact commands the agent would run to fix it, with "Repair" (operators).
 *
 * testids: `cluster-status` (its status line has data-applied = revision number or "",
 * data-changes = changes not applied), `review-changes-link`, `revisions-link`,
 * `host-chip-<host name>` (inner `host-status-<host name>`: its latest deployment's
 * status word, as in the progress view), `drift-panel`, `drift-<host name>` (the drift lines),
 * `repair-<host name>`, `repair-status-<host name>`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { Panel, PanelHeader } from "@/components/ui/page-header";
import { plural, relativeTime, formatDateTime } from "@/components/format";
import { OnlineDot } from "./host-progress";
import { PlanLines } from "./plan-lines";
import { deploymentLabel, FAST_POLL_MS, generationText, hostChipTone, pollInterval, rolesText, type Tone } from "./progress";
import type { ClusterStatus, StatusHost } from "./types";

const CHIP_TONE: Record<Tone, string> = {
  neutral: "border-line bg-surface-2 text-fg-muted",
  accent: "border-accent/40 bg-accent-soft text-fg",
  ok: "border-ok/30 bg-ok-soft text-fg",
  warn: "border-warn/50 bg-warn-soft text-fg",
  danger: "border-danger/40 bg-danger-soft text-fg",
};

/** How long the page watches closely after a repair request before saying the drift is still there. */
const REPAIR_WATCH_MS = 15_000;

export function ClusterStatusPanel({ clusterId }: { clusterId: string }) {
  const trpc = useTRPC();
  const [repairing, setRepairing] = useState<Record<string, number>>({});
  const watching = Object.keys(repairing).length > 0;
  const status = useQuery(
    trpc.revisions.status.queryOptions(
      { clusterId },
      {
        refetchInterval: (query) => {
          if (watching) return FAST_POLL_MS;
          const data = query.state.data;
          // Keep an eye on agents coming and going even when nothing is in flight.
          return (data && pollInterval(data.hosts)) || 5_000;
        },
      },
    ),
  );

  // A repair is done when the host reports no drift; give up watching after a while.
  const hosts = status.data?.hosts;
  useEffect(() => {
    if (!hosts) return;
    setRepairing((prev) => {
      const now = Date.now();
      const next = { ...prev };
      let changed = false;
      for (const [id, since] of Object.entries(prev)) {
        const h = hosts.find((x) => x.id === id);
        if (!h || h.driftCount === 0 || now - since > REPAIR_WATCH_MS) {
          delete next[id];
          changed = true;
        }
      }
      return changed ? next : prev;
    });
  }, [hosts]);

  if (status.error) return <Alert>Could not load the cluster&apos;s deployment status: {status.error.message}</Alert>;
  if (!status.data) return <div className="h-[74px] animate-pulse rounded-lg border border-line bg-surface" role="status" aria-label="Loading status" />;
  return <StatusView clusterId={clusterId} status={status.data} repairing={repairing} onRepairStarted={(id) => setRepairing((p) => ({ ...p, [id]: Date.now() }))} />;
}

function StatusView({
  clusterId,
  status,
  repairing,
  onRepairStarted,
}: {
  clusterId: string;
  status: ClusterStatus;
  repairing: Record<string, number>;
  onRepairStarted: (hostId: string) => void;
}) {
  const drifted = status.hosts.filter((h) => h.driftCount > 0);
  const notEnrolled = status.hosts.filter((h) => !h.enrolled);
  const neverSeen = status.hosts.filter((h) => h.enrolled && !h.online && !h.lastSeenAt);
  const failed = status.hosts.filter((h) => h.status === "failed");
  const hasChanges = status.draftChanged || status.changeCount > 0;
  return (
    <div className="space-y-4">
      <Panel testId="cluster-status" className="px-4 py-3">
        <div data-applied={status.appliedNumber ?? ""} data-changes={status.changeCount} className="flex flex-wrap items-center gap-x-3 gap-y-2 text-[13px]">
          {status.appliedNumber === null ? (
            <span className="font-medium">Never applied</span>
          ) : hasChanges ? (
            <span className="font-medium">Applied revision #{status.appliedNumber}</span>
          ) : (
            <span className="inline-flex items-center gap-1.5 font-medium text-ok">
              <span aria-hidden>✓</span> In sync with revision #{status.appliedNumber}
            </span>
          )}
          {hasChanges && (
            <>
              <span aria-hidden className="text-fg-subtle">
                ·
              </span>
              <span className="font-medium text-warn">
                {status.changeCount > 0 ? `${plural(status.changeCount, "change")} not applied` : "changes not applied"}
              </span>
            </>
          )}
          <span className="ml-auto flex items-center gap-2">
            {status.appliedNumber !== null && (
              <Link data-testid="revisions-link" href={`/clusters/${clusterId}/revisions`} className="inline-flex h-8 items-center rounded-md px-3 text-[13px] font-medium text-fg-muted hover:bg-surface-3 hover:text-fg">
                Revisions
              </Link>
            )}
            <Link
              data-testid="review-changes-link"
              href={`/clusters/${clusterId}/review`}
              className={cn(
                "inline-flex h-8 items-center rounded-md border px-3 text-[13px] font-medium shadow-sm",
                hasChanges ? "border-transparent bg-accent text-accent-fg hover:bg-accent-hover" : "border-line-strong bg-surface text-fg hover:bg-surface-3",
              )}
            >
              {hasChanges ? "Review changes" : "Review"}
            </Link>
          </span>
        </div>
        {status.hosts.length === 0 ? (
          <p className="mt-2 text-xs text-fg-muted">No host in this cluster yet: add a director, and real servers that are inventory hosts, to publish anything.</p>
        ) : (
          <ul className="mt-2.5 flex flex-wrap gap-1.5" aria-label="Hosts of this cluster">
            {status.hosts.map((h) => (
              <HostChip key={h.id} host={h} />
            ))}
          </ul>
        )}
        {notEnrolled.length > 0 && (
          <p data-testid="hosts-not-enrolled" className="mt-2 text-xs text-fg-muted">
            No agent is enrolled for {notEnrolled.map((h) => h.name).join(", ")} — enroll {notEnrolled.length === 1 ? "it" : "them"} from{" "}
            <Link className="text-accent hover:underline" href="/hosts">
              Hosts
            </Link>
            . Changes for {notEnrolled.length === 1 ? "it wait" : "them wait"} until the agent connects.
          </p>
        )}
        {neverSeen.length > 0 && (
          <p className="mt-2 text-xs text-fg-muted">
            {neverSeen.map((h) => h.name).join(", ")} {neverSeen.length === 1 ? "is" : "are"} enrolled but the agent has not connected yet: check that lvs-agent runs on{" "}
            {neverSeen.length === 1 ? "it" : "them"} and can reach this panel.
          </p>
        )}
        {failed.length > 0 && (
          <p className="mt-2 text-xs text-danger">
            The last apply failed on {failed.map((h) => h.name).join(", ")}. <Link className="underline" href={`/clusters/${clusterId}/revisions`}>See the revision</Link> for the error.
          </p>
        )}
      </Panel>
      {drifted.length > 0 && (
        <Panel testId="drift-panel">
          <PanelHeader title={`Drift on ${plural(drifted.length, "host")}`}>
            <p className="mr-auto text-xs text-fg-muted">The kernel differs from the applied revision (changed outside the panel). These are the commands the agent runs to put it back.</p>
          </PanelHeader>
          <div className="divide-y divide-line">
            {drifted.map((h) => (
              <DriftHost key={h.id} host={h} repairing={h.id in repairing} onRepairStarted={() => onRepairStarted(h.id)} />
            ))}
          </div>
        </Panel>
      )}
    </div>
  );
}

function HostChip({ host }: { host: StatusHost }) {
  const tone = hostChipTone(host);
  const lastSeen = !host.enrolled ? "no agent enrolled" : host.online ? "connected" : host.lastSeenAt ? `last seen ${relativeTime(host.lastSeenAt)}` : "never connected";
  return (
    <li
      data-testid={`host-chip-${host.name}`}
      data-tone={tone}
      title={`${host.name} (${rolesText(host.roles)}) · ${lastSeen}${host.error ? ` · ${host.error}` : ""}`}
      className={cn("inline-flex h-7 items-center gap-2 rounded-md border px-2 text-xs", CHIP_TONE[tone])}
    >
      <OnlineDot online={host.online} />
      <span className="font-medium">{host.name}</span>
      <span className="text-fg-subtle">{rolesText(host.roles)}</span>
      <span className="font-mono text-[11px] text-fg-muted" title="generation applied / published">
        {generationText(host)}
      </span>
      {/* The latest deployment's status; visible unless it is the normal "applied". */}
      <span data-testid={`host-status-${host.name}`} className={cn(host.status === "applied" || host.status === null ? "sr-only" : "font-medium", host.status === "failed" ? "text-danger" : "text-accent")}>
        {deploymentLabel(host).label}
      </span>
      {host.driftCount > 0 && <span className="font-medium text-warn">{plural(host.driftCount, "drift")}</span>}
      {!host.online && <span className="text-fg-subtle">{host.enrolled ? "offline" : "not enrolled"}</span>}
    </li>
  );
}

function DriftHost({ host, repairing, onRepairStarted }: { host: StatusHost; repairing: boolean; onRepairStarted: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCanEdit();
  const repair = useMutation(trpc.agents.repair.mutationOptions());
  const [requestedAt, setRequestedAt] = useState<number | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const stillDrifting = requestedAt !== null && !repairing && !repair.isPending;
  return (
    <div className="px-4 py-3">
      <div className="mb-2 flex flex-wrap items-center gap-2 text-[13px]">
        <OnlineDot online={host.online} showWord />
        <span className="font-medium">{host.name}</span>
        <span className="text-xs text-fg-muted">
          {plural(host.driftCount, "difference")}
          {host.driftCheckedAt ? <span title={formatDateTime(host.driftCheckedAt)}> · checked {relativeTime(host.driftCheckedAt)}</span> : null}
        </span>
        <span className="ml-auto flex items-center gap-2">
          <span data-testid={`repair-status-${host.name}`} role="status" className="text-xs text-fg-muted">
            {(repair.isPending || repairing) && "Repairing…"}
            {stillDrifting && <span className="text-warn">The agent still reports drift; see its lines below.</span>}
          </span>
          {canEdit && (
            <Button
              size="sm"
              variant="primary"
              data-testid={`repair-${host.name}`}
              disabled={!host.online}
              title={host.online ? undefined : "The agent is not connected"}
              busy={repair.isPending || repairing}
              onClick={() =>
                repair.mutate(
                  { hostId: host.id },
                  {
                    onSuccess: async (result) => {
                      if (!result.accepted) {
                        setRefused(result.error ?? "The agent refused the repair.");
                        return;
                      }
                      setRefused(null);
                      setRequestedAt(Date.now());
                      onRepairStarted();
                      await queryClient.invalidateQueries({ queryKey: trpc.revisions.pathKey() });
                    },
                  },
                )
              }
            >
              Repair
            </Button>
          )}
        </span>
      </div>
      {(repair.error || refused) && (
        <p role="alert" className="mb-2 text-[13px] text-danger">
          {repair.error ? serverErrorToFormErrors(repair.error).form : refused}
        </p>
      )}
      <PlanLines ops={host.drift} testId={`drift-${host.name}`} label={`Drift on ${host.name}: commands that repair it`} />
      {!host.online && <p className="mt-1 text-xs text-fg-subtle">The agent is offline; this is what it reported last. Repair needs it connected.</p>}
    </div>
  );
}
