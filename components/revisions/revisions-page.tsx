"use client";
/**
 * A cluster's revision history, newest first: number, kind (apply / rollback
 * to #N), who, when, note and how each host took it; a row opens to the
 * per-host details (errors and failed commands). "Roll back to #N" restores
 * the cluster's configuration to that revision and applies it as a new
 * revision, with the same live progress as Apply.
 *
 * testids: `revisions-page`, `revisions-table`, `revisions-empty`,
 * `revision-row-<number>` (attributes data-kind, data-current), `revision-details-<number>`,
 * `rollback-<number>` (button "Roll back to #N"), `rollback-dialog` (label "Note"),
 * `rollback-conflict`, `deployment-progress`, `host-status-<host name>`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { ClusterBreadcrumb } from "@/components/clusters/cluster-breadcrumb";
import { Fragment, useState } from "react";
import type { RevisionSummary } from "@/shared/revisions";
import { LIMITS } from "@/shared/cluster/constants";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogForm } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { FormError, TextField } from "@/components/ui/field";
import { ChevronIcon } from "@/components/ui/icons";
import { IconButton } from "@/components/ui/icon-button";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { table } from "@/components/ui/table";
import { formatDateTime, plural, relativeTime } from "@/components/format";
import { DeploymentProgress } from "./deployment-progress";
import { PlanLines } from "./plan-lines";
import { deploymentLabel, isConflict, summariseProgress } from "./progress";

export function RevisionsPage({ clusterId }: { clusterId: string }) {
  const trpc = useTRPC();
  const canEdit = useCanEdit();
  const list = useQuery(trpc.revisions.list.queryOptions({ clusterId }, { refetchInterval: 5_000 }));
  const status = useQuery(trpc.revisions.status.queryOptions({ clusterId }));
  const cluster = useQuery(trpc.clusters.get.queryOptions({ id: clusterId }));
  const [open, setOpen] = useState<Set<number>>(new Set());
  const [rollingBack, setRollingBack] = useState<RevisionSummary | null>(null);
  const [started, setStarted] = useState<RevisionSummary | null>(null);

  const latest = list.data?.[0]?.number ?? null;
  const toggle = (n: number) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(n)) next.delete(n);
      else next.add(n);
      return next;
    });

  return (
    <div data-testid="revisions-page">
      <PageHeader
        meta={<ClusterBreadcrumb clusterId={clusterId} name={cluster.data?.name ?? "Cluster"} />}
        title="Revisions"
        description="Every apply and rollback, frozen. Rolling back restores an earlier configuration and applies it as a new revision."
        actions={
          <Link
            href={`/clusters/${clusterId}/review`}
            className="inline-flex h-8 items-center rounded-md border border-line-strong bg-surface px-3 text-[13px] font-medium shadow-sm hover:bg-surface-3"
          >
            {status.data?.draftChanged ? `Review changes (${status.data.changeCount})` : "Review"}
          </Link>
        }
      />
      {list.error && <Alert>Could not load revisions: {list.error.message}</Alert>}
      {started && (
        <Panel className="mb-4 px-4 py-3">
          <div className="mb-3 flex items-center gap-2">
            <h2 className="text-[13px] font-semibold">
              Rolling back to #{started.rolledBackToNumber} as revision #{started.number}
            </h2>
            <Button size="sm" variant="ghost" className="ml-auto" onClick={() => setStarted(null)}>
              Hide
            </Button>
          </div>
          <DeploymentProgress revision={started} />
        </Panel>
      )}
      <Panel>
        {list.isPending ? (
          <LoadingRows rows={4} />
        ) : list.data && list.data.length === 0 ? (
          <EmptyState
            testId="revisions-empty"
            title="No revision yet"
            action={
              canEdit && (
                <Link href={`/clusters/${clusterId}/review`} className="inline-flex h-8 items-center rounded-md bg-accent px-3 text-[13px] font-medium text-accent-fg hover:bg-accent-hover">
                  Review changes
                </Link>
              )
            }
          >
            Nothing has been applied to this cluster.{" "}
            {canEdit ? "Review the changes and apply them to create revision #1." : "Once an operator applies its changes, revision #1 appears here."}
          </EmptyState>
        ) : (
          <div className={table.wrap}>
            <table className={table.table} data-testid="revisions-table">
              <thead>
                <tr>
                  <th className={`${table.th} w-8`}>
                    <span className="sr-only">Details</span>
                  </th>
                  <th className={table.th}>Revision</th>
                  <th className={table.th}>Kind</th>
                  <th className={table.th}>By</th>
                  <th className={table.th}>When</th>
                  <th className={table.th}>Note</th>
                  <th className={table.th}>Hosts</th>
                  <th className={`${table.th} ${table.actions}`}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data?.map((rev) => {
                  const isOpen = open.has(rev.number);
                  const current = rev.number === latest;
                  return (
                    <Fragment key={rev.id}>
                      <tr className={table.row} data-testid={`revision-row-${rev.number}`} data-kind={rev.kind} data-current={String(current)}>
                        <td className={`${table.td} pr-0`}>
                          <IconButton label={`${isOpen ? "Hide" : "Show"} details of revision #${rev.number}`} aria-expanded={isOpen} onClick={() => toggle(rev.number)}>
                            <ChevronIcon open={isOpen} />
                          </IconButton>
                        </td>
                        <td className={`${table.td} font-mono font-semibold`}>
                          #{rev.number}
                          {current && (
                            <Badge tone="ok" className="ml-2 font-sans">
                              applied
                            </Badge>
                          )}
                        </td>
                        <td className={table.td}>
                          {rev.kind === "rollback" ? <Badge tone="warn">rollback to #{rev.rolledBackToNumber}</Badge> : <Badge>apply</Badge>}
                        </td>
                        <td className={table.td}>{rev.createdByName}</td>
                        <td className={`${table.td} whitespace-nowrap text-fg-muted`} title={formatDateTime(rev.createdAt)}>
                          {relativeTime(rev.createdAt)}
                        </td>
                        <td className={`${table.td} max-w-xs truncate text-fg-muted`} title={rev.note || undefined}>
                          {rev.note || <span className="text-fg-subtle">—</span>}
                        </td>
                        <td className={table.td}>
                          <OutcomeSummary revision={rev} />
                        </td>
                        <td className={`${table.td} ${table.actions}`}>
                          {canEdit && !current && (
                            <Button size="sm" data-testid={`rollback-${rev.number}`} onClick={() => setRollingBack(rev)}>
                              Roll back to #{rev.number}
                            </Button>
                          )}
                        </td>
                      </tr>
                      {isOpen && (
                        <tr>
                          <td colSpan={8} className="border-b border-line bg-surface-2/60 px-4 py-3">
                            <RevisionDetails clusterId={clusterId} revision={rev} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Panel>
      {rollingBack && latest !== null && (
        <RollbackDialog
          clusterId={clusterId}
          target={rollingBack}
          latest={latest}
          unapplied={status.data?.draftChanged ? status.data.changeCount : 0}
          onClose={() => setRollingBack(null)}
          onStarted={(rev) => {
            setRollingBack(null);
            setStarted(rev);
          }}
        />
      )}
    </div>
  );
}

/** "2 applied · 1 failed" with the host names on hover. */
function OutcomeSummary({ revision }: { revision: RevisionSummary }) {
  if (revision.deployments.length === 0) return <span className="text-xs text-fg-subtle">no host changed</span>;
  const hosts = revision.deployments.map((d) => ({ online: true, status: d.status }));
  const s = summariseProgress(hosts);
  const counts: Array<[string, number, "ok" | "danger" | "accent" | "neutral"]> = [
    ["applied", s.applied, "ok"],
    ["failed", s.failed, "danger"],
    ["pending", s.inFlight, "accent"],
    ["superseded", revision.deployments.filter((d) => d.status === "superseded").length, "neutral"],
  ];
  return (
    <span className="flex flex-wrap gap-1" title={revision.deployments.map((d) => `${d.hostName}: ${d.status}`).join("\n")}>
      {counts
        .filter(([, n]) => n > 0)
        .map(([label, n, tone]) => (
          <Badge key={label} tone={tone}>
            {n} {label}
          </Badge>
        ))}
    </span>
  );
}

function RevisionDetails({ clusterId, revision }: { clusterId: string; revision: RevisionSummary }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.revisions.get.queryOptions({ clusterId, number: revision.number }));
  const results = new Map((detail.data?.results ?? []).map((r) => [r.hostId, r.results]));
  const snapshot = detail.data?.snapshot;
  return (
    <div data-testid={`revision-details-${revision.number}`} className="space-y-3">
      {detail.error && <Alert>Could not load revision #{revision.number}: {detail.error.message}</Alert>}
      {snapshot && (
        <p className="text-xs text-fg-muted">
          Configuration: {plural(snapshot.directors.length, "director")} ({snapshot.directors.map((d) => `${d.hostName} on ${d.vipInterface}`).join(", ") || "none"}) ·{" "}
          {plural(snapshot.services.length, "virtual service")} · {plural(snapshot.services.reduce((n, s) => n + s.realServers.length, 0), "real server")}
        </p>
      )}
      {revision.deployments.length === 0 ? (
        <p className="text-[13px] text-fg-muted">This revision changed no host&apos;s desired state.</p>
      ) : (
        <ul className="divide-y divide-line rounded-md border border-line bg-surface">
          {revision.deployments.map((d) => {
            const label = deploymentLabel({ online: true, status: d.status });
            const ran = results.get(d.hostId) ?? [];
            const failedOps = ran.filter((r) => !r.ok);
            return (
              <li key={d.hostId} className="px-3 py-2 text-[13px]">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="font-medium">{d.hostName}</span>
                  <span className="font-mono text-[11.5px] text-fg-subtle">gen {d.generation}</span>
                  {ran.length > 0 && <span className="text-xs text-fg-muted">{plural(ran.length, "command")} run</span>}
                  <span className="ml-auto flex items-center gap-2 text-xs text-fg-muted">
                    {d.finishedAt && <span title={formatDateTime(d.finishedAt)}>finished {relativeTime(d.finishedAt)}</span>}
                    <Badge tone={label.tone}>{label.label}</Badge>
                  </span>
                </div>
                {d.error && <p className="mt-1 text-danger">{d.error}</p>}
                {failedOps.length > 0 && (
                  <div className="mt-1.5">
                    <PlanLines ops={failedOps} label={`Failed commands on ${d.hostName}`} />
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

function RollbackDialog({
  clusterId,
  target,
  latest,
  unapplied,
  onClose,
  onStarted,
}: {
  clusterId: string;
  target: RevisionSummary;
  latest: number;
  unapplied: number;
  onClose: () => void;
  onStarted: (revision: RevisionSummary) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rollback = useMutation(trpc.revisions.rollback.mutationOptions());
  const [note, setNote] = useState(`Roll back to #${target.number}`);
  const conflict = rollback.error && isConflict(rollback.error);
  const noteError = note.length > LIMITS.note.max ? `Keep the note under ${LIMITS.note.max} characters` : undefined;

  return (
    <Dialog open onClose={onClose} size="sm" testId="rollback-dialog" title={`Roll back to revision #${target.number}`}>
      <DialogForm
        submitLabel={`Roll back to #${target.number}`}
        busy={rollback.isPending}
        onCancel={onClose}
        onSubmit={() => {
          if (noteError) return;
          rollback.mutate(
            { clusterId, toNumber: target.number, baseRevisionNumber: latest, note: note.trim() },
            {
              onSuccess: async (revision) => {
                await queryClient.invalidateQueries({ queryKey: trpc.revisions.pathKey() });
                await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
                await queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() });
                onStarted(revision);
              },
            },
          );
        }}
      >
        <div className="space-y-2 text-[13px] text-fg-muted">
          <p>
            This restores the cluster&apos;s configuration (directors, virtual services, real servers) to what it was in revision #{target.number}
            {target.note && <> (“{target.note}”)</>} and applies it right away as a new revision, #{latest + 1}. Revisions #{target.number + 1}–#{latest} stay
            in the history.
          </p>
          {unapplied > 0 && (
            <p className="text-warn">
              The draft has {plural(unapplied, "change")} not applied yet; they are replaced by revision #{target.number}&apos;s configuration.
            </p>
          )}
        </div>
        <TextField label="Note" name="note" value={note} error={noteError} onChange={(e) => setNote(e.target.value)} autoComplete="off" data-autofocus />
        {conflict ? (
          <div data-testid="rollback-conflict">
            <Alert>
              <p className="font-semibold">Not rolled back: the cluster changed meanwhile. Nothing was changed.</p>
              <p className="mt-0.5">{rollback.error.message}</p>
              <p className="mt-0.5">Close this dialog and look at the updated history first.</p>
            </Alert>
          </div>
        ) : (
          rollback.error && <FormError message={serverErrorToFormErrors(rollback.error).form} />
        )}
      </DialogForm>
    </Dialog>
  );
}
