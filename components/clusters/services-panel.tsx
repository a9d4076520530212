"use client";
/**
 * Virtual services of a cluster with their real servers nested, driven by
 * services.list (server-side search, protocol filter and pagination, so a
 * cluster with 1,000 services stays fast).
 *
 * testids:
 *   `services-panel`, `service-search` (input, label "Search services"),
 *   `service-protocol-filter` (select, label "Protocol"), `new-service-button`,
 *   `services-empty`, `services-no-match`,
 *   `service-row-<vip>:<port>` (TCP/UDP; attribute data-protocol) or
 *   `service-row-fwmark-<n>` (FWMARK),
 *   `rs-row-<address>:<port>` (port = the real server's effective port; FWMARK
 *   services without a port: `rs-row-<address>`),
 *   buttons inside rows are named "Edit service …", "Delete service …",
 *   "Add real server to …", "Edit real server …", "Delete real server …";
 *   health and drain (#6, components/health/real-server-health.tsx): `rs-health`
 *   (data-kind), `drain-status` (data-phase), `service-health`, buttons "Drain
 *   real server …", "Restore real server …", "Remove drained real server …".
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useEffect, useId, useRef, useState } from "react";
import { FORWARDING_LABELS, PROTOCOLS, SCHEDULER_LABELS, type Protocol } from "@/shared/cluster/constants";
import type { RealServer, VirtualService } from "@/shared/cluster/dto";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge, EnabledState } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { ChevronIcon, PencilIcon, PlusIcon, SearchIcon, TrashIcon } from "@/components/ui/icons";
import { IconButton } from "@/components/ui/icon-button";
import { LoadingRows } from "@/components/ui/loading";
import { Panel } from "@/components/ui/page-header";
import { CompactPager, Pagination } from "@/components/ui/pagination";
import { table } from "@/components/ui/table";
import { cn } from "@/components/ui/cn";
import { endpoint, FORWARDING_FLAG, markRuleText, persistenceText, plural, thresholdText } from "@/components/format";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { ServiceStatsLink } from "@/components/stats/service-link";
import { ClusterHealthProvider } from "@/components/health/health-context";
import { DrainActions, DrainStatus, RealServerHealthBadge, ServiceHealthSummary } from "@/components/health/real-server-health";
import { RealServerDialog, serviceTitle } from "./real-server-dialog";
import { realServerTestId, serviceTestId } from "./row-ids";
import { ServiceDialog } from "./service-dialog";

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

type Editing =
  | { kind: "new-service" }
  | { kind: "edit-service"; service: VirtualService }
  | { kind: "delete-service"; service: VirtualService }
  | { kind: "new-rs"; service: VirtualService }
  | { kind: "edit-rs"; service: VirtualService; realServer: RealServer }
  | { kind: "delete-rs"; service: VirtualService; realServer: RealServer }
  | null;

export function ServicesPanel({ clusterId, totalServices }: { clusterId: string; totalServices: number }) {
  const trpc = useTRPC();
  const canEdit = useCanEdit();
  const [search, setSearch] = useState("");
  const [protocol, setProtocol] = useState<Protocol | "">("");
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(50);
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [editing, setEditing] = useState<Editing>(null);
  const debouncedSearch = useDebounced(search.trim(), 250);
  const topRef = useRef<HTMLDivElement>(null);
  const protocolId = useId();

  useEffect(() => setPage(1), [debouncedSearch, protocol, pageSize]);

  const list = useQuery(
    trpc.services.list.queryOptions(
      { clusterId, search: debouncedSearch || undefined, protocol: protocol || undefined, page, pageSize },
      { placeholderData: keepPreviousData },
    ),
  );
  const items = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  const filtering = debouncedSearch !== "" || protocol !== "";
  const close = () => setEditing(null);

  const toggle = (id: string) =>
    setCollapsed((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  return (
    <Panel testId="services-panel">
      <div ref={topRef} className="flex scroll-mt-4 flex-wrap items-center gap-2 border-b border-line px-4 py-2.5">
        <h2 className="mr-2 text-[13px] font-semibold">
          Virtual services <span className="font-normal text-fg-subtle">({totalServices.toLocaleString("en-US")})</span>
        </h2>
        <div className="relative">
          <span className="pointer-events-none absolute top-1/2 left-2 -translate-y-1/2 text-fg-subtle">
            <SearchIcon />
          </span>
          <input
            type="search"
            aria-label="Search services"
            data-testid="service-search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            placeholder="Search VIP, port, address…"
            className="h-8 w-80 rounded-md border border-line-strong bg-surface pr-2 pl-7 text-[13px] placeholder:text-fg-subtle"
          />
        </div>
        <div className="flex items-center gap-1.5 text-xs text-fg-muted">
          <label htmlFor={protocolId}>Protocol</label>
          <select
            id={protocolId}
            data-testid="service-protocol-filter"
            value={protocol}
            onChange={(e) => setProtocol(e.target.value as Protocol | "")}
            className="h-8 rounded-md border border-line-strong bg-surface px-2 text-[13px] text-fg"
          >
            <option value="">All</option>
            {PROTOCOLS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        {list.isFetching && !list.isPending && <span className="text-xs text-fg-subtle" role="status">Updating…</span>}
        <div className="ml-auto flex items-center gap-2">
          <CompactPager page={page} pageSize={pageSize} total={total} onPage={setPage} />
          {items.length > 0 && (
            <Button size="sm" variant="ghost" onClick={() => setCollapsed(collapsed.size > 0 ? new Set() : new Set(items.map((s) => s.id)))}>
              {collapsed.size > 0 ? "Expand all" : "Collapse all"}
            </Button>
          )}
          {canEdit && (
            <Button variant="primary" data-testid="new-service-button" onClick={() => setEditing({ kind: "new-service" })}>
              <PlusIcon /> Virtual service
            </Button>
          )}
        </div>
      </div>

      {list.error && (
        <div className="p-4">
          <Alert>Could not load services: {list.error.message}</Alert>
        </div>
      )}
      {list.isPending ? (
        <LoadingRows rows={6} />
      ) : items.length === 0 ? (
        filtering ? (
          <EmptyState testId="services-no-match" title="No service matches" action={<Button onClick={() => { setSearch(""); setProtocol(""); }}>Clear filters</Button>}>
            Nothing in this cluster matches {debouncedSearch && <span className="font-mono">“{debouncedSearch}”</span>}
            {protocol && <> with protocol {protocol}</>}. Search looks at VIPs, ports, firewall marks, real-server addresses and descriptions.
          </EmptyState>
        ) : (
          <EmptyState
            testId="services-empty"
            title="No virtual services yet"
            action={canEdit ? <Button variant="primary" onClick={() => setEditing({ kind: "new-service" })}>Add a virtual service</Button> : undefined}
          >
            {canEdit
              ? "Add a VIP:port (or a firewall mark) with its scheduler, then put real servers behind it."
              : "An operator has not defined any virtual service in this cluster yet."}
          </EmptyState>
        )
      ) : (
        <ClusterHealthProvider clusterId={clusterId}>
        <div className={table.wrap}>
          <table className={table.table} aria-label="Virtual services and their real servers">
            <thead>
              <tr>
                <th className={`${table.thDense} w-8`}>
                  <span className="sr-only">Expand</span>
                </th>
                <th className={table.thDense}>Virtual service · real server</th>
                <th className={table.thDense}>Scheduler · forwarding</th>
                <th className={table.thDense}>Persistence · weight</th>
                <th className={table.thDense} title="Connection thresholds: upper (-x) / lower (-y)">Thresholds x / y</th>
                <th className={table.thDense}>State</th>
                <th className={`${table.thDense} ${table.actions}`}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((service) => (
                <ServiceRows
                  key={service.id}
                  service={service}
                  open={!collapsed.has(service.id)}
                  onToggle={() => toggle(service.id)}
                  canEdit={canEdit}
                  onEdit={setEditing}
                />
              ))}
            </tbody>
          </table>
        </div>
        </ClusterHealthProvider>
      )}
      {total > 0 && (
        <div className="border-t border-line">
          <Pagination
            page={page}
            pageSize={pageSize}
            total={total}
            onPage={(p) => {
              setPage(p);
              topRef.current?.scrollIntoView({ block: "start" });
            }}
            onPageSize={setPageSize}
            noun={filtering ? `matching services (${plural(totalServices, "service")} in cluster)` : "services"} />
        </div>
      )}

      {editing?.kind === "new-service" && <ServiceDialog open onClose={close} clusterId={clusterId} />}
      {editing?.kind === "edit-service" && <ServiceDialog open onClose={close} clusterId={clusterId} service={editing.service} />}
      {editing?.kind === "new-rs" && <RealServerDialog open onClose={close} service={editing.service} />}
      {editing?.kind === "edit-rs" && <RealServerDialog open onClose={close} service={editing.service} realServer={editing.realServer} />}
      {editing?.kind === "delete-service" && <DeleteServiceDialog service={editing.service} onClose={close} />}
      {editing?.kind === "delete-rs" && <DeleteRealServerDialog service={editing.service} realServer={editing.realServer} onClose={close} />}
    </Panel>
  );
}

function ServiceRows({
  service,
  open,
  onToggle,
  canEdit,
  onEdit,
}: {
  service: VirtualService;
  open: boolean;
  onToggle: () => void;
  canEdit: boolean;
  onEdit: (e: Editing) => void;
}) {
  const title = serviceTitle(service);
  const rsEnabled = service.realServers.filter((rs) => rs.enabled && rs.weight > 0).length;
  return (
    <Fragment>
      <tr data-testid={serviceTestId(service)} data-protocol={service.protocol} className={cn("bg-surface hover:bg-surface-2", !service.enabled && "[&>td:not(:last-child)]:opacity-60")}>
        <td className={`${table.tdDense} pr-0`}>
          <IconButton label={`${open ? "Hide" : "Show"} real servers of ${title}`} aria-expanded={open} onClick={onToggle}>
            <ChevronIcon open={open} />
          </IconButton>
        </td>
        <td className={table.tdDense}>
          <div className="flex flex-wrap items-center gap-x-2 gap-y-0.5">
            <Badge tone="accent" mono className="w-14 justify-center">
              {service.protocol === "FWMARK" ? "FWM" : service.protocol}
            </Badge>
            <span className="font-mono text-[13px] font-semibold">
              {service.protocol === "FWMARK" ? (
                <>
                  <ServiceStatsLink service={service}>{service.fwmark}</ServiceStatsLink> <span className="font-normal text-fg-muted">({service.address})</span>{" "}
                  <span data-testid="mark-rule" className="text-[12px] font-normal text-fg-muted" title="The nft rule the agent writes on the directors">
                    {markRuleText(service)}
                  </span>
                </>
              ) : (
                <ServiceStatsLink service={service}>{endpoint(service.address, service.port)}</ServiceStatsLink>
              )}
            </span>
            {service.description && (
              <span className="min-w-0 flex-1 text-xs text-fg-muted [overflow-wrap:anywhere]">{service.description}</span>
            )}
            <span className="ml-auto pl-2 text-xs whitespace-nowrap text-fg-subtle">
              {plural(service.realServers.length, "real server")}
              {service.realServers.length > 0 && rsEnabled !== service.realServers.length && <span className="text-warn"> · {rsEnabled} taking traffic</span>}
            </span>
          </div>
        </td>
        <td className={table.tdDense}>
          <span className="font-mono text-[12.5px]" title={SCHEDULER_LABELS[service.scheduler]}>
            {service.scheduler}
          </span>
          {service.schedulerFlags.length > 0 && <span className="ml-1.5 font-mono text-[11.5px] text-fg-muted">-b {service.schedulerFlags.join(",")}</span>}
        </td>
        <td className={`${table.tdDense} font-mono text-[12.5px]`}>
          {service.persistenceTimeout === null ? <span className="text-fg-subtle">not persistent</span> : persistenceText(service.persistenceTimeout, service.persistenceNetmask, service.persistenceEngine)}
        </td>
        <td className={table.tdDense}>
          <ServiceHealthSummary service={service} />
        </td>
        <td className={table.tdDense}>
          <EnabledState enabled={service.enabled} />
        </td>
        <td className={`${table.tdDense} ${table.actions}`}>
          {canEdit && (
            <div className="flex justify-end gap-0.5">
              <IconButton label={`Add real server to ${title}`} onClick={() => onEdit({ kind: "new-rs", service })}>
                <PlusIcon />
              </IconButton>
              <IconButton label={`Edit service ${title}`} onClick={() => onEdit({ kind: "edit-service", service })}>
                <PencilIcon />
              </IconButton>
              <IconButton tone="danger" label={`Delete service ${title}`} onClick={() => onEdit({ kind: "delete-service", service })}>
                <TrashIcon />
              </IconButton>
            </div>
          )}
        </td>
      </tr>
      {open &&
        service.realServers.map((rs) => {
          const label = endpoint(rs.address, rs.port ?? service.port);
          return (
            <tr
              key={rs.id}
              data-testid={realServerTestId(service, rs)}
              className={cn("bg-surface-2/60 hover:bg-surface-2", (!rs.enabled || !service.enabled) && "[&>td:not(:last-child)]:opacity-60")}
            >
              <td className={table.tdDense} />
              <td className={`${table.tdDense} pl-8`}>
                <div className="flex flex-wrap items-center gap-x-2 gap-y-0.5">
                  <span aria-hidden className="text-fg-subtle">
                    →
                  </span>
                  <span className="font-mono text-[12.5px]">{label}</span>
                  {rs.host && (
                    <Badge title={`Host ${rs.host.name} (${rs.host.managementAddress})`}>{rs.host.name}</Badge>
                  )}
                  <RealServerHealthBadge service={service} realServer={rs} label={label} />
                  <DrainStatus service={service} realServer={rs} label={`${label} of ${title}`} />
                </div>
              </td>
              <td className={table.tdDense} title={FORWARDING_LABELS[rs.forwarding]}>
                <span className="text-[12.5px]">{rs.forwarding}</span> <span className="font-mono text-[11.5px] text-fg-subtle">{FORWARDING_FLAG[rs.forwarding]}</span>
              </td>
              <td className={`${table.tdDense} font-mono text-[12.5px]`}>
                <span className="text-fg-subtle">w </span>
                <span data-testid="rs-weight" className={rs.weight === 0 ? "text-warn" : undefined}>
                  {rs.weight}
                </span>
              </td>
              <td className={`${table.tdDense} font-mono text-[12.5px] text-fg-muted`}>{thresholdText(rs.upperThreshold, rs.lowerThreshold)}</td>
              <td className={table.tdDense}>
                <EnabledState enabled={rs.enabled} />
              </td>
              <td className={`${table.tdDense} ${table.actions}`}>
                {canEdit && (
                  <div className="flex items-center justify-end gap-0.5">
                    <DrainActions service={service} realServer={rs} label={`${label} of ${title}`} />
                    <IconButton label={`Edit real server ${label} of ${title}`} onClick={() => onEdit({ kind: "edit-rs", service, realServer: rs })}>
                      <PencilIcon />
                    </IconButton>
                    <IconButton tone="danger" label={`Delete real server ${label} of ${title}`} onClick={() => onEdit({ kind: "delete-rs", service, realServer: rs })}>
                      <TrashIcon />
                    </IconButton>
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      {open && service.realServers.length === 0 && (
        <tr className="bg-surface-2/60">
          <td className={table.tdDense} />
          <td colSpan={6} className={`${table.tdDense} pl-8 text-xs text-fg-muted`}>
            No real servers: this service accepts connections but has nowhere to send them.{" "}
            {canEdit && (
              <button type="button" className="text-accent hover:underline" onClick={() => onEdit({ kind: "new-rs", service })}>
                Add a real server
              </button>
            )}
          </td>
        </tr>
      )}
    </Fragment>
  );
}

function DeleteServiceDialog({ service, onClose }: { service: VirtualService; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.services.delete.mutationOptions());
  const title = serviceTitle(service);
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Delete virtual service"
      confirmLabel="Delete service"
      busy={remove.isPending}
      error={remove.error ? serverErrorToFormErrors(remove.error).form : null}
      onConfirm={() =>
        remove.mutate(
          { id: service.id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() });
              await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
              onClose();
            },
          },
        )
      }
    >
      Delete <span className="font-mono text-fg">{title}</span>
      {service.realServers.length > 0 && <> and its {plural(service.realServers.length, "real server")}</>}? Directors stop accepting traffic for it
      once the change is published.
    </ConfirmDialog>
  );
}

function DeleteRealServerDialog({ service, realServer, onClose }: { service: VirtualService; realServer: RealServer; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.realServers.delete.mutationOptions());
  const label = endpoint(realServer.address, realServer.port ?? service.port);
  return (
    <ConfirmDialog
      open
      onClose={onClose}
      title="Delete real server"
      confirmLabel="Delete real server"
      busy={remove.isPending}
      error={remove.error ? serverErrorToFormErrors(remove.error).form : null}
      onConfirm={() =>
        remove.mutate(
          { id: realServer.id },
          {
            onSuccess: async () => {
              await queryClient.invalidateQueries({ queryKey: trpc.services.pathKey() });
              await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
              onClose();
            },
          },
        )
      }
    >
      Remove <span className="font-mono text-fg">{label}</span> from <span className="font-mono text-fg">{serviceTitle(service)}</span>? To stop new
      connections but let existing ones finish, set its weight to 0 instead.
    </ConfirmDialog>
  );
}
