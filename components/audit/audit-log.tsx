"use client";
/**
 * Audit log: filters (user, cluster, entity type, time range) and a list of
 * events, newest first, each with a readable diff. Loads 50 events at a time.
 *
 * Filter labels: "User", "Cluster", "Entity", "From", "To"; buttons "Clear
 * filters", "Load older events". Initial filters can come from the URL
 * (?userId=&clusterId=&entityType=&from=&to=).
 * testids: `audit-filters`, `audit-list`, `audit-event` (attributes
 * data-action, data-entity-type), `audit-empty`, `audit-load-more`.
 */
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useId, useMemo, useState, type ReactNode } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { formatDateTime, relativeTime } from "@/components/format";
import type { AuditEntityType } from "@/shared/cluster/constants";
import type { AuditEvent } from "@/shared/cluster/dto";
import { AuditDiff } from "./audit-diff";

const ENTITY_LABELS: Record<string, string> = {
  cluster: "Cluster",
  director: "Director",
  virtualService: "Virtual service",
  realServer: "Real server",
  host: "Host",
  user: "User",
  apiToken: "API token",
  session: "Session",
  revision: "Revision",
};
export const entityLabel = (type: string) => ENTITY_LABELS[type] ?? type;

function actionVerb(action: string): string {
  const verb = action.includes(".") ? action.slice(action.lastIndexOf(".") + 1) : action;
  return verb;
}
function actionTone(verb: string): "ok" | "accent" | "danger" | "neutral" {
  if (verb === "create" || verb === "add" || verb === "apply" || verb === "enroll" || verb === "credentialIssued") return "ok";
  if (verb === "update" || verb === "rollback" || verb === "repair") return "accent";
  if (verb === "delete" || verb === "remove" || verb === "revoke") return "danger";
  return "neutral";
}

/** <input type="datetime-local"> value (local time) -> ISO 8601 with offset, or undefined. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
/** ISO 8601 -> <input type="datetime-local"> value in local time. */
export function isoToLocalInput(iso: string | null): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

interface Filters {
  userId: string;
  clusterId: string;
  entityType: string;
  from: string;
  to: string;
}

const selectClass = "h-8 rounded-md border border-line-strong bg-surface px-2 text-[13px] text-fg";

export function AuditLog() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const [filters, setFilters] = useState<Filters>(() => ({
    userId: params.get("userId") ?? "",
    clusterId: params.get("clusterId") ?? "",
    entityType: params.get("entityType") ?? "",
    from: isoToLocalInput(params.get("from")),
    to: isoToLocalInput(params.get("to")),
  }));
  const facets = useQuery(trpc.audit.facets.queryOptions());

  const input = useMemo(
    () => ({
      userId: filters.userId || undefined,
      clusterId: filters.clusterId || undefined,
      entityType: (filters.entityType || undefined) as AuditEntityType | undefined,
      from: localInputToIso(filters.from),
      to: localInputToIso(filters.to),
      limit: 50,
    }),
    [filters],
  );
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(input, {
      getNextPageParam: (last) => last.nextCursor ?? undefined,
    }),
  );
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];

  const set = (key: keyof Filters, value: string) => {
    const next = { ...filters, [key]: value };
    setFilters(next);
    // Keep the URL shareable without a navigation.
    const q = new URLSearchParams();
    if (next.userId) q.set("userId", next.userId);
    if (next.clusterId) q.set("clusterId", next.clusterId);
    if (next.entityType) q.set("entityType", next.entityType);
    const from = localInputToIso(next.from);
    const to = localInputToIso(next.to);
    if (from) q.set("from", from);
    if (to) q.set("to", to);
    window.history.replaceState(null, "", q.size ? `?${q}` : window.location.pathname);
  };
  const filtered = Object.values(filters).some(Boolean);
  const since = (ms: number) => set("from", isoToLocalInput(new Date(Date.now() - ms).toISOString()));

  return (
    <>
      <PageHeader title="Audit log" description="Every change, who made it, from where, and what it changed. Entries cannot be edited or deleted." />
      <Panel>
        <div data-testid="audit-filters" className="flex flex-wrap items-end gap-3 border-b border-line px-4 py-3">
          <FilterSelect label="User" value={filters.userId} onChange={(v) => set("userId", v)} options={facets.data?.users.map((u) => [u.id, u.name]) ?? []} />
          <FilterSelect label="Cluster" value={filters.clusterId} onChange={(v) => set("clusterId", v)} options={facets.data?.clusters.map((c) => [c.id, c.name]) ?? []} />
          <FilterSelect label="Entity" value={filters.entityType} onChange={(v) => set("entityType", v)}
            options={(facets.data?.entityTypes ?? []).map((t) => [t, entityLabel(t)])} />
          <FilterControl label="From">
            {(id) => <input id={id} type="datetime-local" value={filters.from} onChange={(e) => set("from", e.target.value)} className={selectClass} />}
          </FilterControl>
          <FilterControl label="To">
            {(id) => <input id={id} type="datetime-local" value={filters.to} onChange={(e) => set("to", e.target.value)} className={selectClass} />}
          </FilterControl>
          <div className="flex items-center gap-1 pb-0.5 text-xs">
            <Button size="sm" variant="ghost" onClick={() => since(3600_000)}>Last hour</Button>
            <Button size="sm" variant="ghost" onClick={() => since(86_400_000)}>24 h</Button>
            <Button size="sm" variant="ghost" onClick={() => since(7 * 86_400_000)}>7 days</Button>
          </div>
          {filtered && (
            <Button size="sm" className="mb-0.5 ml-auto" onClick={() => {
              setFilters({ userId: "", clusterId: "", entityType: "", from: "", to: "" });
              window.history.replaceState(null, "", window.location.pathname);
            }}>
              Clear filters
            </Button>
          )}
        </div>

        {events.error && (
          <div className="p-4">
            <Alert>Could not load the audit log: {events.error.message}</Alert>
          </div>
        )}
        {events.isPending ? (
          <LoadingRows rows={5} />
        ) : items.length === 0 ? (
          <EmptyState testId="audit-empty" title={filtered ? "No event matches these filters" : "No changes recorded yet"}>
            {filtered ? "Widen the time range or clear a filter." : "Every change to clusters, hosts, users and tokens will be listed here with a diff."}
          </EmptyState>
        ) : (
          <ol data-testid="audit-list" className="divide-y divide-line" aria-label="Audit events, newest first">
            {items.map((event) => (
              <AuditEventItem key={event.id} event={event} />
            ))}
          </ol>
        )}
        {events.hasNextPage && (
          <div className="border-t border-line px-4 py-2.5 text-center">
            <Button data-testid="audit-load-more" busy={events.isFetchingNextPage} onClick={() => events.fetchNextPage()}>
              Load older events
            </Button>
          </div>
        )}
      </Panel>
    </>
  );
}

/** A filter control with a label bound by id, so its accessible name is exactly the label. */
function FilterControl({ label, children }: { label: string; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="text-xs text-fg-muted">
      <label htmlFor={id} className="mb-1 block font-medium">
        {label}
      </label>
      {children(id)}
    </div>
  );
}

function FilterSelect({ label, value, onChange, options }: { label: string; value: string; onChange: (v: string) => void; options: [string, string][] }) {
  return (
    <FilterControl label={label}>
      {(id) => (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)} className={`${selectClass} min-w-36`}>
          <option value="">All</option>
          {options.map(([value, name]) => (
            <option key={value} value={value}>
              {name}
            </option>
          ))}
        </select>
      )}
    </FilterControl>
  );
}

/** JSON snapshots come through tRPC as optional unknowns. */
type AuditEventView = Omit<AuditEvent, "before" | "after"> & { before?: unknown; after?: unknown };

function AuditEventItem({ event }: { event: AuditEventView }) {
  const verb = actionVerb(event.action);
  return (
    <li data-testid="audit-event" data-action={event.action} data-entity-type={event.entityType} className="px-4 py-2.5">
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-[13px]">
        <time dateTime={event.at} title={`${event.at} (${relativeTime(event.at)})`} className="shrink-0 font-mono text-[12px] text-fg-muted">
          {formatDateTime(event.at)}
        </time>
        <Badge tone={actionTone(verb)} mono title={entityLabel(event.entityType)}>
          {event.action}
        </Badge>
        <span className="min-w-0 text-fg">{event.summary}</span>
        {event.clusterName && !event.summary.includes(`in ${event.clusterName}`) && <span className="text-xs text-fg-muted">in {event.clusterName}</span>}
        {event.entityType === "revision" && event.clusterId && (
          <Link data-testid="audit-revisions-link" href={`/clusters/${event.clusterId}/revisions`} className="text-xs text-accent hover:underline">
            revisions
          </Link>
        )}
        <span className="ml-auto text-xs whitespace-nowrap text-fg-muted">
          <span className="font-medium text-fg">{event.actor.name}</span> from <span className="font-mono">{event.clientAddress}</span>
        </span>
      </div>
      <div className="pl-0 lg:pl-37">
        <AuditDiff before={event.before} after={event.after} />
      </div>
    </li>
  );
}
