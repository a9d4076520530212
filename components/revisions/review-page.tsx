"use client";
/**
 * Review changes → Apply. Shows what the draft (the live tables) changes
 * against the applied revision: the model diff, lints, and per host the exact
 * commands its agent will run (its own dry run against its real kernel);
 * offline hosts are marked and get the state when they connect. Apply freezes
 * the reviewed draft as a new revision and shows live per-host progress. If
 * someone applied or edited in between, the server answers CONFLICT and
 * nothing is applied: "Review again".
 *
 * testids: `review-page`, `review-summary`, `model-diff…` (see model-diff.tsx),
 * `lints`, `lint` (attribute data-level), `review-host-<host name>` (attributes
 * data-plan = ok | offline | error, data-changed), `plan-<host name>` (its plan
 * lines), `apply-form`, `apply-note` (label "Note"), `apply-button`,
 * `apply-conflict`, `review-again-button`, `deployment-progress`, `host-status-<host name>`.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { ClusterBreadcrumb } from "@/components/clusters/cluster-breadcrumb";
import { useState } from "react";
import type { Lint, Review, ReviewHost, RevisionSummary } from "@/shared/revisions";
import { LIMITS } from "@/shared/cluster/constants";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FormError, TextField } from "@/components/ui/field";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel, PanelHeader } from "@/components/ui/page-header";
import { cn } from "@/components/ui/cn";
import { plural } from "@/components/format";
import { DeploymentProgress } from "./deployment-progress";
import { OnlineDot } from "./host-progress";
import { ModelDiff } from "./model-diff";
import { PlanLines } from "./plan-lines";
import { isConflict, rolesText } from "./progress";
import { applyReadiness, changeCountsText } from "./review";

export function ReviewPage({ clusterId }: { clusterId: string }) {
  const trpc = useTRPC();
  // The review is the basis of the apply (base revision + draft hash): it is read once and only re-read on request.
  const review = useQuery(trpc.revisions.review.queryOptions({ clusterId }, { staleTime: Infinity, gcTime: 0, refetchOnWindowFocus: false, refetchOnReconnect: false }));
  const [applied, setApplied] = useState<RevisionSummary | null>(null);
  const [round, setRound] = useState(0);

  const reviewAgain = async () => {
    setApplied(null);
    setRound((r) => r + 1);
    await review.refetch();
  };

  const breadcrumb = <ClusterBreadcrumb clusterId={clusterId} name={review.data?.clusterName ?? "Cluster"} />;

  if (review.error) {
    const notFound = review.error.data?.code === "NOT_FOUND";
    return (
      <>
        <PageHeader meta={breadcrumb} title="Review changes" />
        <Alert>{notFound ? "This cluster does not exist (it may have been deleted)." : `Could not prepare the review: ${review.error.message}`}</Alert>
        {!notFound && (
          <div className="mt-3">
            <Button onClick={reviewAgain}>Try again</Button>
          </div>
        )}
      </>
    );
  }

  if (!review.data || review.isFetching) {
    return (
      <>
        <PageHeader meta={breadcrumb} title="Review changes" />
        <Panel>
          <p role="status" className="border-b border-line px-4 py-2.5 text-[13px] text-fg-muted">
            Comparing the draft with the applied revision and asking each connected agent for its plan (a dry run; nothing changes)…
          </p>
          <LoadingRows rows={5} />
        </Panel>
      </>
    );
  }

  const r = review.data;
  return (
    <div data-testid="review-page">
      <PageHeader
        meta={breadcrumb}
        title="Review changes"
        description={
          applied
            ? `The changes below, reviewed against ${r.baseRevision === null ? "an empty cluster" : `revision #${r.baseRevision}`}, are now revision #${applied.number}.`
            : r.baseRevision === null
              ? "Nothing has been applied to this cluster yet: applying creates revision #1."
              : `Draft compared with the applied revision #${r.baseRevision}.`
        }
        actions={
          <>
            {r.baseRevision !== null && (
              <Link href={`/clusters/${clusterId}/revisions`} className="inline-flex h-8 items-center rounded-md px-3 text-[13px] font-medium text-fg-muted hover:bg-surface-3 hover:text-fg">
                Revisions
              </Link>
            )}
            {!applied && <Button onClick={reviewAgain}>Refresh plans</Button>}
          </>
        }
      />
      <div className="space-y-4">
        {applied ? (
          <Panel className="px-4 py-3">
            <div className="mb-3 flex flex-wrap items-center gap-2">
              <h2 className="text-[13px] font-semibold">Applying revision #{applied.number}</h2>
              <span className="ml-auto flex gap-2">
                <Link href={`/clusters/${clusterId}`} className="inline-flex h-8 items-center rounded-md border border-line-strong bg-surface px-3 text-[13px] font-medium shadow-sm hover:bg-surface-3">
                  Back to the cluster
                </Link>
                <Link href={`/clusters/${clusterId}/revisions`} className="inline-flex h-8 items-center rounded-md px-3 text-[13px] font-medium text-fg-muted hover:bg-surface-3 hover:text-fg">
                  Revisions
                </Link>
              </span>
            </div>
            <DeploymentProgress revision={applied} />
          </Panel>
        ) : (
          <ApplyPanel key={round} review={r} onApplied={setApplied} onReviewAgain={reviewAgain} />
        )}

        <Panel>
          <PanelHeader title={`Model changes (${changeCountsText(r.modelDiff)})`} />
          <ModelDiff changes={r.modelDiff} baseRevision={r.baseRevision} />
        </Panel>

        {r.lints.length > 0 && <LintList lints={r.lints} />}

        <Panel>
          <PanelHeader title={`Hosts (${r.hosts.length})`}>
            <p className="mr-auto text-xs text-fg-muted">What each agent will run, from its own dry run against its kernel.</p>
          </PanelHeader>
          {r.hosts.length === 0 ? (
            <p className="px-4 py-3 text-[13px] text-fg-muted">
              No host takes part in this cluster yet: add a director (and real servers that are inventory hosts) on the{" "}
              <Link className="text-accent hover:underline" href={`/clusters/${clusterId}`}>
                cluster page
              </Link>
              .
            </p>
          ) : (
            <div className="divide-y divide-line">
              {r.hosts.map((h) => (
                <ReviewHostPlan key={h.hostId} host={h} />
              ))}
            </div>
          )}
        </Panel>
      </div>
    </div>
  );
}

function ApplyPanel({ review, onApplied, onReviewAgain }: { review: Review; onApplied: (revision: RevisionSummary) => void; onReviewAgain: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCanEdit();
  const apply = useMutation(trpc.revisions.applyDraft.mutationOptions());
  const [note, setNote] = useState("");
  const readiness = applyReadiness(review);
  const conflict = apply.error && isConflict(apply.error);
  const noteError = note.length > LIMITS.note.max ? `Keep the note under ${LIMITS.note.max} characters` : undefined;

  const submit = () => {
    if (!readiness.canApply || noteError || apply.isPending) return;
    apply.mutate(
      { clusterId: review.clusterId, baseRevisionNumber: review.baseRevision, draftHash: review.draftHash, note: note.trim() },
      {
        onSuccess: async (revision) => {
          onApplied(revision);
          // Not the review itself: it stays on screen as what was applied.
          await queryClient.invalidateQueries({ queryKey: trpc.revisions.list.pathKey() });
          await queryClient.invalidateQueries({ queryKey: trpc.revisions.status.pathKey() });
          await queryClient.invalidateQueries({ queryKey: trpc.hosts.pathKey() });
        },
      },
    );
  };

  return (
    <Panel className="px-4 py-3">
      <p data-testid="review-summary" className={cn("text-[13px]", readiness.canApply ? "text-fg" : "text-fg-muted")}>
        {readiness.reason}
      </p>
      {conflict ? (
        <div data-testid="apply-conflict" className="mt-3 space-y-2">
          <Alert>
            <p className="font-semibold">Not applied: the cluster changed since this review. Nothing was changed on any host.</p>
            <p className="mt-0.5">{apply.error.message}</p>
            <p className="mt-0.5">Review the changes again to see the current difference, then apply.</p>
          </Alert>
          <Button variant="primary" data-testid="review-again-button" onClick={onReviewAgain} autoFocus>
            Review again
          </Button>
        </div>
      ) : canEdit ? (
        <form
          data-testid="apply-form"
          noValidate
          className="mt-3 flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <TextField
            label="Note"
            name="note"
            data-testid="apply-note"
            className="min-w-64 flex-1"
            placeholder="What and why, for the revision history (optional)"
            value={note}
            error={noteError}
            onChange={(e) => setNote(e.target.value)}
            disabled={!readiness.canApply}
            autoComplete="off"
          />
          <Button type="submit" variant="primary" data-testid="apply-button" busy={apply.isPending} disabled={!readiness.canApply}>
            {review.baseRevision === null ? "Apply revision #1" : "Apply"}
          </Button>
          {apply.error && (
            <div className="w-full">
              <FormError message={serverErrorToFormErrors(apply.error).form} />
            </div>
          )}
        </form>
      ) : (
        <p className="mt-2 text-xs text-fg-muted">You can review; applying needs the operator or admin role.</p>
      )}
    </Panel>
  );
}

const LINT_TONE = { error: "danger", warning: "warn", info: "neutral" } as const;

function LintList({ lints }: { lints: ReadonlyArray<Lint> }) {
  const order = { error: 0, warning: 1, info: 2 };
  const sorted = [...lints].sort((a, b) => order[a.level] - order[b.level]);
  return (
    <Panel testId="lints">
      <PanelHeader title={`Checks (${plural(lints.length, "finding")})`} />
      <ul className="divide-y divide-line">
        {sorted.map((l, i) => (
          <li key={i} data-testid="lint" data-level={l.level} className="flex items-start gap-2 px-4 py-2 text-[13px]">
            <Badge tone={LINT_TONE[l.level]} className="w-16 justify-center">
              {l.level}
            </Badge>
            <span>
              {l.hostName && !l.message.includes(l.hostName) && <span className="font-medium">{l.hostName}: </span>}
              {l.message}
            </span>
          </li>
        ))}
      </ul>
    </Panel>
  );
}

function ReviewHostPlan({ host }: { host: ReviewHost }) {
  const { plan } = host;
  return (
    <section data-testid={`review-host-${host.name}`} data-plan={plan.status} data-changed={String(host.changed)} className="px-4 py-3" aria-label={`Plan for ${host.name}`}>
      <div className="mb-2 flex flex-wrap items-center gap-2 text-[13px]">
        <OnlineDot online={host.online} showWord />
        <h3 className="font-semibold">{host.name}</h3>
        <span className="text-xs text-fg-subtle">{rolesText(host.roles)}</span>
        {host.changed ? <Badge tone="accent">new state</Badge> : <Badge>no change</Badge>}
        {plan.status === "offline" && <Badge tone="warn">host offline</Badge>}
        {plan.status === "error" && <Badge tone="danger">plan failed</Badge>}
        {plan.status === "ok" && <span className="ml-auto text-xs text-fg-muted">{plural(plan.ops.length, "command")}</span>}
      </div>
      {plan.status === "ok" && !host.changed && plan.ops.length === 0 && <p className="text-xs text-fg-muted">In sync: nothing to run.</p>}
      {plan.status === "ok" && (host.changed || plan.ops.length > 0) && (
        <PlanLines
          ops={plan.ops}
          testId={`plan-${host.name}`}
          label={`Commands the agent on ${host.name} will run`}
          empty="nothing to run: the kernel already matches the new state"
        />
      )}
      {plan.status === "offline" && (
        <p className="text-[13px] text-fg-muted">
          No agent connected, so there is no exact plan.{" "}
          {host.changed ? "The new state waits for the agent: it plans and applies it when it connects." : "Nothing changes for this host."}
          {host.desiredDiff.length === 0 && (
            <>
              {" "}
              If it never ran an agent, enroll it from{" "}
              <Link className="text-accent hover:underline" href="/hosts">
                Hosts
              </Link>
              .
            </>
          )}
        </p>
      )}
      {plan.status === "error" && (
        <p role="alert" className="text-[13px] text-danger">
          The agent could not plan: {plan.error ?? "no reason given"}
        </p>
      )}
      {plan.warnings.length > 0 && (
        <ul className="mt-1.5 space-y-0.5 text-xs text-warn">
          {plan.warnings.map((w, i) => (
            <li key={i}>⚠ {w}</li>
          ))}
        </ul>
      )}
      {host.desiredDiff.length > 0 && (
        <details className="mt-2" open={plan.status !== "ok"}>
          <summary className="cursor-pointer text-xs text-fg-muted hover:text-fg">Desired state changes ({plural(host.desiredDiff.length, "line")})</summary>
          <pre data-testid={`desired-diff-${host.name}`} className="mt-1 overflow-x-auto rounded-md border border-line bg-surface-2 px-3 py-2 font-mono text-[12px] leading-relaxed">
            {host.desiredDiff.map((line, i) => (
              <div key={i} className={cn(line.startsWith("+") && "text-ok", line.startsWith("-") && "text-danger")}>
                {line}
              </div>
            ))}
          </pre>
        </details>
      )}
    </section>
  );
}
