"use client";
/**
 * Live per-host progress of an apply, rollback or repair: pending → applying →
 * applied / failed (with the agent's error and the op that failed).
 *
 * testids: `host-progress` (attribute data-settled), `host-progress-summary`,
 * `host-status-<host name>` (text contains pending / applying / applied / failed).
 */
import { Badge } from "@/components/ui/badge";
import { Spinner } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { PlanLines, type PlanLine } from "./plan-lines";
import { deploymentLabel, summariseProgress, type DeploymentStatus } from "./progress";

export interface ProgressRow {
  id: string;
  name: string;
  role?: string;
  online: boolean;
  status: DeploymentStatus | null;
  error: string | null;
  /** ops the agent ran for this deployment (only failed ones are shown) */
  results?: ReadonlyArray<PlanLine>;
}

export function HostProgress({ hosts, title }: { hosts: ReadonlyArray<ProgressRow>; title?: string }) {
  const summary = summariseProgress(hosts);
  return (
    <div data-testid="host-progress" data-settled={String(summary.settled)}>
      <div className="mb-2 flex items-center gap-2 text-[13px]">
        {!summary.settled && <Spinner className="text-accent" />}
        {title && <span className="font-semibold">{title}</span>}
        <span data-testid="host-progress-summary" role="status" aria-live="polite" className="text-fg-muted">
          {summary.text}
        </span>
      </div>
      <ul className="divide-y divide-line rounded-md border border-line">
        {hosts.map((h) => (
          <HostProgressRow key={h.id} host={h} />
        ))}
      </ul>
    </div>
  );
}

function HostProgressRow({ host }: { host: ProgressRow }) {
  const state = deploymentLabel(host);
  const failedOps = (host.results ?? []).filter((r) => r.ok === false);
  return (
    <li className="px-3 py-2">
      <div className="flex flex-wrap items-center gap-2 text-[13px]">
        <OnlineDot online={host.online} />
        <span className="font-medium">{host.name}</span>
        {host.role && <span className="text-xs text-fg-subtle">{host.role}</span>}
        <span data-testid={`host-status-${host.name}`} className="ml-auto inline-flex items-center gap-1.5">
          {(host.status === "applying" || (host.status === "pending" && host.online)) && <Spinner className="text-accent" />}
          <Badge tone={state.tone}>{state.label}</Badge>
        </span>
      </div>
      {state.detail && host.status !== "failed" && <p className="mt-0.5 text-right text-xs text-fg-subtle">{state.detail}</p>}
      {host.status === "failed" && (
        <div className="mt-1.5 space-y-1.5">
          {host.error && (
            <p role="alert" className="text-[13px] text-danger">
              {host.error}
            </p>
          )}
          {failedOps.length > 0 && <PlanLines ops={failedOps} label={`Failed operations on ${host.name}`} />}
        </div>
      )}
    </li>
  );
}

/** Online/offline as a dot plus the word (not colour alone). */
export function OnlineDot({ online, showWord = false }: { online: boolean; showWord?: boolean }) {
  return (
    <span className={cn("inline-flex items-center gap-1.5 text-xs", online ? "text-ok" : "text-fg-subtle")} title={online ? "agent connected" : "agent not connected"}>
      <span aria-hidden className={cn("h-2 w-2 rounded-full", online ? "bg-ok" : "border border-fg-subtle")} />
      <span className={showWord ? undefined : "sr-only"}>{online ? "online" : "offline"}</span>
    </span>
  );
}
