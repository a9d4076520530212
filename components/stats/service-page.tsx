"use client";
/**
 * One virtual service's traffic (/clusters/<id>/services/<serviceId>): the
 * service as `ipvsadm -Ln` prints it with live ActiveConn / InActConn per real
 * server, charts over a range (live / 1 h / 24 h / 7 d), the connection table
 * on demand, and "Zero counters" (operators and admins; a confirm dialog; the
 * panel audits it).
 *
 * Live range: stats.serviceHistory("live") once (the panel's 15-minute ring),
 * then "service-stats" frames every second; after a reconnect the window is
 * re-read. Other ranges: 1-minute rollups, re-read every minute.
 *
 * testids: `service-header` (inner `ipvsadm-line`), `live-status`,
 * `range-picker` with `range-live` / `range-1h` / `range-24h` / `range-7d`
 * (aria-pressed), `service-charts` + `chart-*` (service-charts.tsx),
 * `rs-stats-<address>:<port>` (attributes data-active, data-inactive, data-weight;
 * inner `rs-active`, `rs-inactive`, `rs-weight`), `zero-counters-button`,
 * `confirm-dialog`, `zero-counters-done`, `service-no-agent`, `service-no-traffic`,
 * connection table testids in connections-panel.tsx.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { ClusterBreadcrumb } from "@/components/clusters/cluster-breadcrumb";
import { useEffect, useMemo, useState } from "react";
import type { RealServer, VirtualService } from "@/shared/cluster/dto";
import { STATS_RANGES, type LiveEntry, type ServiceLiveFrame, type StatsPoint, type StatsRange } from "@/shared/live";
import { useCanEdit } from "@/components/shell/session";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/dialog";
import { LoadingRows } from "@/components/ui/loading";
import { PageHeader, Panel } from "@/components/ui/page-header";
import { table } from "@/components/ui/table";
import { cn } from "@/components/ui/cn";
import { serverErrorToFormErrors } from "@/components/forms/errors";
import { ConnectionsPanel } from "./connections-panel";
import { formatCount, formatRate } from "./format";
import { LiveStatusBadge } from "./live-status";
import { useServiceHistory, useZeroCounters } from "./queries";
import { ServiceCharts } from "./service-charts";
import { appendEntries, appendWindow, entryToPoint, FORWARD_WORD, hostPort, ipvsadmServiceLine, LIVE_WINDOW_MS, mergeSeries, mergeWindow, RANGE_SPEC } from "./series";
import { useLive } from "./use-live";

interface LiveState {
  points: StatsPoint[];
  realServers: Map<string, StatsPoint[]>;
  /** the newest frame's entries (the real-server rows' ActiveConn / InActConn) */
  current: Map<string, LiveEntry>;
  at: number | null;
}

export function rsLabel(service: Pick<VirtualService, "port">, rs: Pick<RealServer, "address" | "port">): string {
  return hostPort(rs.address, rs.port ?? service.port);
}

export function ServicePage({ clusterId, serviceId }: { clusterId: string; serviceId: string }) {
  const trpc = useTRPC();
  const canEdit = useCanEdit();
  const cluster = useQuery(trpc.clusters.get.queryOptions({ id: clusterId }));
  const service = useQuery(trpc.services.get.queryOptions({ id: serviceId }));
  const [range, setRange] = useState<StatsRange>("live");
  const history = useServiceHistory(serviceId, range);
  const [live, setLive] = useState<LiveState>({ points: [], realServers: new Map(), current: new Map(), at: null });

  useEffect(() => {
    if (!history.data || range !== "live") return;
    const h = history.data;
    setLive((prev) => {
      const points = mergeWindow(prev.points, h.points, LIVE_WINDOW_MS);
      return {
        points,
        realServers: mergeSeries(prev.realServers, h.realServers, LIVE_WINDOW_MS),
        current: prev.current,
        at: points.length ? points[points.length - 1].t : prev.at,
      };
    });
  }, [history.data, range]);

  const { status, error, epoch } = useLive({ scope: "service", serviceId }, "service-stats", (f: ServiceLiveFrame) =>
    setLive((prev) => ({
      points: appendWindow(prev.points, entryToPoint(f.at, f.service), LIVE_WINDOW_MS),
      realServers: appendEntries(prev.realServers, f.at, f.realServers, LIVE_WINDOW_MS),
      current: new Map([[serviceId, f.service], ...f.realServers.map((r) => [r.id, r] as const)]),
      at: f.at,
    })),
  );
  const { refetch } = history;
  useEffect(() => {
    if (epoch > 1 && range === "live") void refetch();
  }, [epoch, range, refetch]);

  const s = service.data;
  const notFound = service.error?.data?.code === "NOT_FOUND" || (s && s.clusterId !== clusterId);
  const rsSeries = useMemo(() => {
    if (!s) return [];
    const source = range === "live" ? live.realServers : (history.data?.realServers ?? new Map<string, StatsPoint[]>());
    return s.realServers.map((rs) => ({ id: rs.id, label: rsLabel(s, rs), points: source.get(rs.id) ?? [] }));
  }, [s, range, live.realServers, history.data]);

  if (notFound) {
    return (
      <>
        <PageHeader title="Virtual service not found" meta={<Link href={`/clusters/${clusterId}`} className="hover:underline">Back to the cluster</Link>} />
        <Alert>This virtual service does not exist in this cluster (it may have been deleted).</Alert>
      </>
    );
  }
  if (service.error) {
    return (
      <>
        <PageHeader title="Virtual service" />
        <Alert>Could not load the virtual service: {service.error.message}</Alert>
      </>
    );
  }
  if (!s) {
    return (
      <Panel>
        <LoadingRows rows={6} />
      </Panel>
    );
  }

  const points = range === "live" ? live.points : (history.data?.points ?? []);
  const xMax = range === "live" ? (live.at ?? Date.now()) : (history.data?.to ?? Date.now());
  const xMin = range === "live" ? xMax - RANGE_SPEC[range].spanMs : (history.data?.from ?? xMax - RANGE_SPEC[range].spanMs);
  const title = s.protocol === "FWMARK" ? `FWM ${s.fwmark}` : `${s.protocol} ${hostPort(s.address, s.port)}`;
  const serviceNow = live.current.get(serviceId) ?? null;
  const noData = range === "live" && live.at === null && !history.isPending;

  return (
    <>
      <div data-testid="service-header">
        <PageHeader
          meta={<ClusterBreadcrumb clusterId={clusterId} name={cluster.data?.name ?? "cluster"} />}
          title={<span className="font-mono">{title}</span>}
          description={
            <>
              {s.description && <span className="mr-3">{s.description}</span>}
              {!s.enabled && <Badge tone="warn">disabled</Badge>}
            </>
          }
          actions={
            <>
              <LiveStatusBadge status={status} error={error} />
              {canEdit && <ZeroCounters clusterId={clusterId} serviceId={serviceId} title={title} />}
            </>
          }
        />
      </div>
      <div className="space-y-4">
        <Panel testId="ipvsadm-panel">
          <div className={table.wrap}>
            <table className={`${table.table} font-mono text-[12.5px]`} aria-label={`${title} and its real servers, as ipvsadm -Ln shows them`}>
              <thead>
                <tr>
                  <th className={table.thDense}>Prot LocalAddress:Port Scheduler Flags / -&gt; RemoteAddress:Port</th>
                  <th className={table.thDense}>Forward</th>
                  <th className={`${table.thDense} text-right`}>Weight</th>
                  <th className={`${table.thDense} text-right`}>ActiveConn</th>
                  <th className={`${table.thDense} text-right`}>InActConn</th>
                  <th className={`${table.thDense} text-right`}>conn/s</th>
                  <th className={`${table.thDense} text-right`}>bytes/s in / out</th>
                </tr>
              </thead>
              <tbody>
                <tr className="bg-surface-2">
                  <td className={table.tdDense} data-testid="ipvsadm-line">
                    {ipvsadmServiceLine(s)}
                  </td>
                  <td className={table.tdDense} />
                  <td className={table.tdDense} />
                  <LiveCells now={serviceNow} testIdPrefix="service" />
                </tr>
                {s.realServers.map((rs) => {
                  const now = live.current.get(rs.id) ?? null;
                  const label = rsLabel(s, rs);
                  return (
                    <tr
                      key={rs.id}
                      data-testid={`rs-stats-${label}`}
                      data-weight={rs.weight}
                      data-active={now?.active ?? ""}
                      data-inactive={now?.inactive ?? ""}
                      className={cn(!rs.enabled && "opacity-60")}
                    >
                      <td className={`${table.tdDense} pl-4`}>
                        <span className="text-fg-subtle">-&gt; </span>
                        {label}
                        {rs.host && <span className="ml-2 font-sans text-xs text-fg-muted">{rs.host.name}</span>}
                        {!rs.enabled && <span className="ml-2 font-sans text-xs text-warn">disabled (not in the kernel)</span>}
                      </td>
                      <td className={table.tdDense}>{FORWARD_WORD[rs.forwarding]}</td>
                      <td className={`${table.tdDense} text-right`} data-testid="rs-weight">
                        {rs.weight}
                      </td>
                      <LiveCells now={now} testIdPrefix="rs" />
                    </tr>
                  );
                })}
                {s.realServers.length === 0 && (
                  <tr>
                    <td colSpan={7} className={`${table.tdDense} pl-4 font-sans text-xs text-fg-muted`}>
                      No real servers: connections to this VIP have nowhere to go. Add one on the{" "}
                      <Link className="text-accent hover:underline" href={`/clusters/${clusterId}`}>
                        cluster page
                      </Link>
                      .
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
        </Panel>

        <Panel testId="service-stats-panel">
          <div className="flex flex-wrap items-center gap-3 border-b border-line px-4 py-2.5">
            <h2 className="text-[13px] font-semibold">Traffic</h2>
            <div role="group" aria-label="Range" data-testid="range-picker" className="inline-flex rounded-md border border-line-strong p-0.5">
              {STATS_RANGES.map((r) => (
                <button
                  key={r}
                  type="button"
                  data-testid={`range-${r}`}
                  aria-pressed={range === r}
                  onClick={() => setRange(r)}
                  className={cn(
                    "h-6 rounded px-2.5 text-xs font-medium",
                    range === r ? "bg-accent text-accent-fg" : "text-fg-muted hover:bg-surface-3 hover:text-fg",
                  )}
                >
                  {RANGE_SPEC[r].label}
                </button>
              ))}
            </div>
            {range !== "live" && <span className="text-xs text-fg-subtle">1-minute averages; re-read every minute</span>}
            {history.isFetching && <span className="text-xs text-fg-subtle" role="status">Loading…</span>}
          </div>
          {history.error && (
            <div className="p-4">
              <Alert>Could not load the statistics: {history.error.message}</Alert>
            </div>
          )}
          {noData && (
            <p data-testid="service-no-agent" className="border-b border-line px-4 py-2 text-xs text-fg-muted">
              No samples yet. They come from the agents on this cluster&apos;s directors once a second: check that a director is set and its
              agent is connected (Hosts page), and that the cluster was applied.
            </p>
          )}
          {range === "live" && serviceNow && serviceNow.rates.conns === 0 && serviceNow.active === 0 && serviceNow.inactive === 0 && (
            <p data-testid="service-no-traffic" className="border-b border-line px-4 py-2 text-xs text-fg-muted">
              No traffic yet: the director reports this service every second, but no client connected to it recently.
            </p>
          )}
          {history.isPending && !history.error ? (
            <LoadingRows rows={4} />
          ) : (
            <ServiceCharts range={range} points={points} realServers={rsSeries} xMin={xMin} xMax={xMax} stepMs={range === "live" ? 1000 : (history.data?.stepMs ?? null)} />
          )}
        </Panel>

        <ConnectionsPanel serviceId={serviceId} realServers={s.realServers.map((rs) => ({ id: rs.id, label: rsLabel(s, rs) }))} />
      </div>
    </>
  );
}

function ZeroCounters({ clusterId, serviceId, title }: { clusterId: string; serviceId: string; title: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const zero = useZeroCounters();
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState<{ zeroed: string[]; failed: { director: string; error: string }[] } | null>(null);
  return (
    <>
      <Button data-testid="zero-counters-button" onClick={() => { setDone(null); zero.reset(); setOpen(true); }}>
        Zero counters
      </Button>
      {done && (
        <span data-testid="zero-counters-done" role="status" className={cn("text-xs", done.failed.length ? "text-warn" : "text-ok")}>
          {done.zeroed.length > 0 ? `Zeroed on ${done.zeroed.join(", ")}` : "Nothing zeroed"}
          {done.failed.length > 0 && ` · failed on ${done.failed.map((f) => `${f.director} (${f.error})`).join(", ")}`}
        </span>
      )}
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        title="Zero counters"
        confirmLabel="Zero counters"
        busy={zero.isPending}
        error={zero.error ? serverErrorToFormErrors(zero.error).form : null}
        onConfirm={() =>
          zero.mutate(
            { clusterId, serviceId },
            {
              onSuccess: async (result) => {
                setOpen(false);
                setDone(result);
                await queryClient.invalidateQueries({ queryKey: trpc.stats.pathKey() });
              },
            },
          )
        }
      >
        Run <span className="font-mono text-fg">ipvsadm -Z</span> for <span className="font-mono text-fg">{title}</span> on every director of the cluster? The
        cumulative packet, byte and connection counters restart from zero (rates and active connections are not affected; the history keeps
        its rollups). The audit log records who did it.
      </ConfirmDialog>
    </>
  );
}

/** ActiveConn, InActConn, conn/s and bytes/s of one row of the ipvsadm-like table ("–" before the first frame). */
function LiveCells({ now, testIdPrefix }: { now: LiveEntry | null; testIdPrefix: "service" | "rs" }) {
  return (
    <>
      <td className={`${table.tdDense} text-right`} data-testid={`${testIdPrefix}-active`}>
        {now ? formatCount(now.active) : "–"}
      </td>
      <td className={`${table.tdDense} text-right`} data-testid={`${testIdPrefix}-inactive`}>
        {now ? formatCount(now.inactive) : "–"}
      </td>
      <td className={`${table.tdDense} text-right`}>{now ? formatRate(now.rates.conns, "conns").replace(" conn/s", "") : "–"}</td>
      <td className={`${table.tdDense} text-right text-fg-muted`}>
        {now ? `${formatRate(now.rates.inbytes, "bytes")} / ${formatRate(now.rates.outbytes, "bytes")}` : "–"}
      </td>
    </>
  );
}
