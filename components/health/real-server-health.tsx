"use client";
/**
 * Health and drain on a real-server row of the services table:
 *   - `RealServerHealthBadge`: up / down / unknown / mixed / draining / no check,
 *     with each director's status, reason and latency in the tooltip; a click
 *     opens the server's health timeline. testid `rs-health` (data-kind).
 *   - `DrainStatus`: while draining, the time since the drain started and the
 *     live ActiveConn / InActConn from the stats (service-stats frames); without
 *     live stats it says so. testid `drain-status` (data-phase). For operators
 *     "Restore" and, once the connections reached zero or the timeout passed,
 *     "Remove" (deletes the real server from the draft and opens the review
 *     page to apply).
 *   - `DrainActions` (operators and admins): "Drain" → confirm with a timeout.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { readInteger } from "@/components/forms/use-form";
import { useCanEdit } from "@/components/shell/session";
import { useLive } from "@/components/stats/use-live";
import { useTRPC } from "@/components/trpc/client";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogForm } from "@/components/ui/dialog";
import { TextField } from "@/components/ui/field";
import type { RealServer, VirtualService } from "@/shared/cluster/dto";
import { healthCheckSummary } from "@/shared/cluster/health";
import type { ServiceLiveFrame } from "@/shared/live";
import { useHealthContext } from "./health-context";
import { drainPhase, elapsedText, realServerBadge } from "./health-state";
import { HealthTimelineDialog } from "./timeline-dialog";

export function RealServerHealthBadge({ service, realServer, label }: { service: VirtualService; realServer: RealServer; label: string }) {
  const ctx = useHealthContext();
  const [open, setOpen] = useState(false);
  const views = ctx?.byRealServer.get(realServer.id) ?? [];
  const badge = realServerBadge(views, realServer.drain, service.healthCheck !== null);
  return (
    <>
      <button
        type="button"
        data-testid="rs-health"
        data-kind={badge.kind}
        title={badge.title}
        aria-label={`Health of ${label}: ${badge.label}. Show its health timeline`}
        onClick={() => setOpen(true)}
        className="rounded focus-visible:outline-2"
      >
        <Badge tone={badge.tone} mono={badge.kind === "up"}>
          {badge.label}
        </Badge>
      </button>
      {open && <HealthTimelineDialog realServerId={realServer.id} label={label} onClose={() => setOpen(false)} />}
    </>
  );
}

function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [intervalMs]);
  return now;
}

/** Live active/inactive connections of one real server (summed over the directors), null until a frame arrives. */
function useRealServerConnections(serviceId: string, realServerId: string) {
  const [counts, setCounts] = useState<{ active: number; inactive: number } | null>(null);
  const live = useLive({ scope: "service", serviceId }, "service-stats", (frame: ServiceLiveFrame) => {
    const rs = frame.realServers.find((r) => r.id === realServerId);
    setCounts(rs ? { active: rs.active, inactive: rs.inactive } : { active: 0, inactive: 0 });
  });
  return { counts, live: live.status };
}

export function DrainStatus({ service, realServer, label }: { service: VirtualService; realServer: RealServer; label: string }) {
  const drain = realServer.drain;
  if (!drain) return null;
  return <DrainStatusInner service={service} realServer={realServer} label={label} />;
}

/**
 * Draining: time since the start, live counts, and for operators Restore and —
 * once drained or timed out — Remove. They sit here, next to the address (the
 * cell wraps), not in the actions column, so the table keeps its width.
 */
function DrainStatusInner({ service, realServer, label }: { service: VirtualService; realServer: RealServer; label: string }) {
  const drain = realServer.drain!;
  const canEdit = useCanEdit();
  const now = useNow(1000);
  const { counts, live } = useRealServerConnections(service.id, realServer.id);
  const phase = drainPhase(drain, now, counts);
  const [removing, setRemoving] = useState(false);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const restore = useMutation(trpc.drains.restore.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() }) }));
  return (
    <span className="inline-flex flex-wrap items-center gap-x-1.5">
      <span data-testid="drain-status" data-phase={phase} className="text-[11.5px] whitespace-nowrap text-fg-muted" title={`Drain timeout ${drain.timeoutSeconds} s`}>
        {elapsedText(drain.startedAt, now)}
        {counts ? (
          <>
            {" · "}
            <span className="font-mono" data-testid="drain-connections">
              {counts.active} active / {counts.inactive} inactive
            </span>
          </>
        ) : (
          <span className="text-fg-subtle"> · {live === "live" ? "waiting for live stats" : "no live connection counts"}</span>
        )}
        {phase === "drained" && <span className="text-ok"> · drained</span>}
        {phase === "timed-out" && <span className="text-warn"> · timeout passed</span>}
      </span>
      {canEdit && (
        <>
          <Button size="sm" variant="ghost" className="h-6 px-1.5" aria-label={`Restore real server ${label}`} busy={restore.isPending}
            title="End the drain: the applied weight is published again" onClick={() => restore.mutate({ realServerId: realServer.id })}>
            Restore
          </Button>
          {phase !== "draining" && (
            <Button size="sm" variant="danger-ghost" className="h-6 px-1.5" aria-label={`Remove drained real server ${label}`} onClick={() => setRemoving(true)}>
              Remove
            </Button>
          )}
          {restore.error && (
            <span role="alert" className="text-[11.5px] text-danger">
              {serverErrorToFormErrors(restore.error).form ?? restore.error.message}
            </span>
          )}
          {removing && <RemoveDrainedDialog service={service} realServer={realServer} label={label} onClose={() => setRemoving(false)} />}
        </>
      )}
    </span>
  );
}

/** "Drain" in the row's actions (operators); nothing while draining (Restore / Remove sit with the drain status). */
export function DrainActions({ service, realServer, label }: { service: VirtualService; realServer: RealServer; label: string }) {
  const [open, setOpen] = useState(false);
  // a disabled real server or service carries no traffic: nothing to drain
  if (realServer.drain || !realServer.enabled || !service.enabled) return null;
  return (
    <>
      <Button size="sm" variant="ghost" aria-label={`Drain real server ${label}`} onClick={() => setOpen(true)}>
        Drain
      </Button>
      {open && <StartDrainDialog realServer={realServer} label={label} onClose={() => setOpen(false)} />}
    </>
  );
}

function StartDrainDialog({ realServer, label, onClose }: { realServer: RealServer; label: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const start = useMutation(trpc.drains.start.mutationOptions());
  const [timeout, setTimeoutText] = useState("600");
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const submit = () => {
    const errors: Record<string, string> = {};
    const seconds = readInteger(timeout, errors, "timeoutSeconds");
    if (errors.timeoutSeconds || seconds === undefined) return setError(errors.timeoutSeconds ?? "Enter the drain timeout in seconds");
    if (seconds < 10 || seconds > 86_400) return setError("Drain timeout (s) must be between 10 and 86400");
    setError(null);
    start.mutate(
      { realServerId: realServer.id, timeoutSeconds: seconds },
      {
        onSuccess: async () => {
          await queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() });
          onClose();
        },
        onError: (e) => {
          const f = serverErrorToFormErrors(e);
          setError(f.fields.timeoutSeconds ?? null);
          setFormError(f.form ?? (f.fields.timeoutSeconds ? null : e.message));
        },
      },
    );
  };
  return (
    <Dialog open onClose={onClose} title={`Drain ${label}`} size="sm" testId="drain-dialog">
      <DialogForm onSubmit={submit} onCancel={onClose} submitLabel="Drain" busy={start.isPending}>
        <p className="text-[13px] text-fg-muted">
          Publishes weight 0 for <span className="font-mono text-fg">{label}</span> to the cluster&apos;s directors now, without a new revision: no
          new connections, existing ones finish. Persistent services also get <span className="font-mono">expire_quiescent_template=1</span>.
        </p>
        <TextField label="Drain timeout (s)" name="timeoutSeconds" mono inputMode="numeric" value={timeout} error={error ?? undefined}
          hint="After this, Remove is offered even if connections remain" onChange={(e) => setTimeoutText(e.target.value)} />
        {formError && (
          <p role="alert" className="text-[13px] text-danger">
            {formError}
          </p>
        )}
      </DialogForm>
    </Dialog>
  );
}

function RemoveDrainedDialog({ service, realServer, label, onClose }: { service: VirtualService; realServer: RealServer; label: string; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // navigation in the mutation's own callback (the row, and this dialog, unmount as soon as the list no longer has the
  // server); a document navigation, so the review is read fresh whatever happens to this component tree
  const remove = useMutation(
    trpc.drains.remove.mutationOptions({
      onSuccess: (r) => {
        void queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() });
        window.location.assign(`/clusters/${r.clusterId}/review`);
      },
    }),
  );
  return (
    <Dialog open onClose={onClose} title="Remove drained real server" size="sm" testId="remove-drained-dialog">
      <DialogForm
        danger
        focusSubmit
        submitLabel="Remove and review"
        busy={remove.isPending}
        onCancel={onClose}
        onSubmit={() => remove.mutate({ realServerId: realServer.id })}
      >
        <p className="text-[13px] text-fg-muted">
          Delete <span className="font-mono text-fg">{label}</span> from the draft of {service.protocol === "FWMARK" ? `FWMARK ${service.fwmark}` : service.address}? The
          directors keep it at weight 0 until you apply; the review page opens next.
        </p>
        {remove.error && (
          <p role="alert" className="text-[13px] text-danger">
            {serverErrorToFormErrors(remove.error).form ?? remove.error.message}
          </p>
        )}
      </DialogForm>
    </Dialog>
  );
}

/** On the service row: the check in one word (full definition in the tooltip) and "sorry server active" while it serves. */
export function ServiceHealthSummary({ service }: { service: VirtualService }) {
  const ctx = useHealthContext();
  const hc = service.healthCheck;
  if (!hc && !service.sorryServer) return null;
  const sorryActive = ctx?.sorryActive.has(service.id) ?? false;
  return (
    <span className="inline-flex flex-wrap gap-1" data-testid="service-health">
      {hc && (
        <Badge title={`${healthCheckSummary(hc)}; on failure ${service.onFailure.toLowerCase()}${service.slowStartSeconds ? `, slow start ${service.slowStartSeconds} s` : ""}`}>
          {hc.type} check
        </Badge>
      )}
      {sorryActive && (
        <Badge tone="danger" title={`Every real server is down: the sorry server ${service.sorryServer?.address ?? ""} answers`}>
          sorry active
        </Badge>
      )}
    </span>
  );
}
