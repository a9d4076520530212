"use client";
/**
 * Live traffic of one cluster, at the top of its page: totals over its
 * virtual services (conn/s, pkt/s, bytes/s in/out, active/inactive), the
 * agents of its directors and real servers (online, last seen), and a
 * sparkline of the last 15 minutes per virtual service (paged, so a cluster
 * with 1,000 services draws 10 canvases, not 1,000).
 *
 * Data: stats.clusterOverview once (and after every reconnect, to fill the
 * gap), then "cluster-stats" frames from the /live socket every second.
 *
 * testids: `cluster-dashboard`, `live-status` (data-status), `total-<measure>`
 * (measure = conns / packets / inbytes / outbytes / active / inactive; attribute
 * data-value), `agent-presence-<host>` (data-online), `dashboard-empty`
 * (attribute data-reason = no-directors / no-agent / no-services),
 * `dashboard-no-traffic`, `spark-<vip>:<port>` / `spark-fwmark-<n>` (a LineChart:
 * data-last-value = conn/s now), `service-link-<vip>:<port>` (to the service page).
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useMemo, useState, type ReactNode } from "react";
import type { ClusterDetail, VirtualService } from "@/shared/cluster/dto";
import type { AgentPresence, ClusterLiveFrame, LiveEntry, StatsPoint } from "@/shared/live";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { LoadingRows } from "@/components/ui/loading";
import { Panel } from "@/components/ui/page-header";
import { CompactPager } from "@/components/ui/pagination";
import { table } from "@/components/ui/table";
import { serviceTestId } from "@/components/clusters/row-ids";
import { formatCount, formatRate, lastSeenText } from "./format";
import { LineChart } from "./line-chart";
import { LiveStatusBadge } from "./live-status";
import { useClusterOverview } from "./queries";
import { appendEntries, LIVE_WINDOW_MS, mergeSeries, toXY } from "./series";
import { useLive } from "./use-live";

const SPARK_PAGE = 10;

interface LiveState {
  at: number | null;
  totals: LiveEntry | null;
  agents: AgentPresence[];
  series: Map<string, StatsPoint[]>;
  current: Map<string, LiveEntry>;
}

/** "tcp 192.0.2.10:80" row id suffix ("192.0.2.10:80", "fwmark-5") shared with the services table. */
export function serviceKeyForTestId(s: Pick<VirtualService, "protocol" | "address" | "port" | "fwmark">): string {
  return serviceTestId(s).replace(/^service-row-/, "");
}

export function ClusterDashboard({ cluster }: { cluster: ClusterDetail }) {
  const trpc = useTRPC();
  const overview = useClusterOverview(cluster.id);
  const [live, setLive] = useState<LiveState>({ at: null, totals: null, agents: [], series: new Map(), current: new Map() });
  const sparkStep = overview.data?.sparklineStepMs ?? 10_000;
  const [page, setPage] = useState(1);

  useEffect(() => {
    if (!overview.data) return;
    const o = overview.data;
    setLive((prev) => ({
      at: o.at ?? prev.at,
      totals: o.totals ?? prev.totals,
      agents: o.agents,
      series: mergeSeries(prev.series, o.services, LIVE_WINDOW_MS),
      current: prev.current.size > 0 ? prev.current : o.latest,
    }));
  }, [overview.data]);

  const { status, error, epoch } = useLive({ scope: "cluster", clusterId: cluster.id }, "cluster-stats", (f: ClusterLiveFrame) =>
    setLive((prev) => ({
      at: f.at,
      totals: f.totals,
      agents: f.agents,
      series: appendEntries(prev.series, f.at, f.services, LIVE_WINDOW_MS),
      current: new Map(f.services.map((s) => [s.id, s])),
    })),
  );
  // after a reconnect, re-read the window to fill what was missed
  const { refetch } = overview;
  useEffect(() => {
    if (epoch > 1) void refetch();
  }, [epoch, refetch]);

  const services = useQuery(
    trpc.services.list.queryOptions({ clusterId: cluster.id, page, pageSize: SPARK_PAGE }, { placeholderData: keepPreviousData }),
  );

  const directors = cluster.directors.map((d) => d.host.name);
  const directorAgents = live.agents.filter((a) => a.role === "director");
  const anyDirectorOnline = directorAgents.some((a) => a.online);
  const xMax = live.at ?? Date.now();
  const t = live.totals;

  let empty: { reason: string; title: string; body: ReactNode } | null = null;
  if (cluster.directors.length === 0) {
    empty = {
      reason: "no-directors",
      title: "No director yet",
      body: "Add a director below and enroll its agent: its IPVS counters show here every second.",
    };
  } else if (!anyDirectorOnline && live.at === null) {
    empty = {
      reason: "no-agent",
      title: "No agent connected",
      body: (
        <>
          No director of this cluster ({directors.join(", ")}) has a connected agent. Enroll the agent on the{" "}
          <Link href="/hosts" className="text-accent hover:underline">
            Hosts
          </Link>{" "}
          page (or start <span className="font-mono">lvs-agent run</span> there); live traffic appears within seconds.
        </>
      ),
    };
  } else if (cluster.serviceCount === 0) {
    empty = { reason: "no-services", title: "No virtual services", body: "Add a virtual service below; its traffic shows here once it is applied." };
  }

  return (
    <Panel testId="cluster-dashboard">
      <div className="flex flex-wrap items-center gap-3 border-b border-line px-4 py-2.5">
        <h2 className="text-[13px] font-semibold">Live traffic</h2>
        <LiveStatusBadge status={status} error={error} />
        {live.at !== null && <span className="text-xs text-fg-subtle">sample {new Date(live.at).toLocaleTimeString()}</span>}
        <AgentChips agents={live.agents} />
      </div>
      {overview.error && (
        <div className="p-4">
          <Alert>Could not load live statistics: {overview.error.message}</Alert>
        </div>
      )}
      {overview.isPending && !overview.error ? (
        <LoadingRows rows={3} />
      ) : empty ? (
        <EmptyState testId="dashboard-empty" title={empty.title}>
          <span data-reason={empty.reason}>{empty.body}</span>
        </EmptyState>
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-px border-b border-line bg-line sm:grid-cols-3 lg:grid-cols-6">
            <Total measure="conns" label="Connections" value={t?.rates.conns} text={(v) => formatRate(v, "conns")} />
            <Total
              measure="packets"
              label="Packets in / out"
              value={t ? t.rates.inpkts + t.rates.outpkts : undefined}
              text={() => `${formatRate(t!.rates.inpkts, "packets").replace(" pkt/s", "")} / ${formatRate(t!.rates.outpkts, "packets")}`}
            />
            <Total measure="inbytes" label="Bytes in" value={t?.rates.inbytes} text={(v) => formatRate(v, "bytes")} />
            <Total measure="outbytes" label="Bytes out" value={t?.rates.outbytes} text={(v) => formatRate(v, "bytes")} />
            <Total measure="active" label="Active conns" value={t?.active} text={formatCount} />
            <Total measure="inactive" label="Inactive conns" value={t?.inactive} text={formatCount} />
          </dl>
          {t && t.rates.conns === 0 && t.active === 0 && t.inactive === 0 && (
            <p data-testid="dashboard-no-traffic" className="border-b border-line px-4 py-2 text-xs text-fg-muted">
              No traffic yet: the agents report every second, but no connection reached a VIP of this cluster. Send a request to a VIP
              (after applying the cluster) to see it here.
            </p>
          )}
          <div className="flex items-center gap-2 px-4 pt-2 text-xs text-fg-muted">
            <span>Per virtual service, last 15 min (conn/s)</span>
            <span className="ml-auto">
              <CompactPager page={page} pageSize={SPARK_PAGE} total={services.data?.total ?? 0} onPage={setPage} />
            </span>
          </div>
          <div className={table.wrap}>
            <table className={table.table} aria-label="Live traffic per virtual service">
              <thead>
                <tr>
                  <th className={table.thDense}>Virtual service</th>
                  <th className={`${table.thDense} w-[40%]`}>Last 15 min</th>
                  <th className={`${table.thDense} text-right`}>conn/s</th>
                  <th className={`${table.thDense} text-right`}>in / out</th>
                  <th className={`${table.thDense} text-right`} title="ActiveConn / InActConn">Active / inactive</th>
                </tr>
              </thead>
              <tbody>
                {(services.data?.items ?? []).map((s) => (
                  <SparkRow key={s.id} clusterId={cluster.id} service={s} points={live.series.get(s.id) ?? []} current={live.current.get(s.id) ?? null} xMax={xMax} maxGapMs={3 * sparkStep} />
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </Panel>
  );
}

function Total({ measure, label, value, text }: { measure: string; label: string; value: number | undefined; text: (v: number) => string }) {
  return (
    <div data-testid={`total-${measure}`} data-value={value ?? ""} className="bg-surface px-4 py-2.5">
      <dt className="text-[11px] font-medium tracking-wide text-fg-subtle uppercase">{label}</dt>
      <dd className="mt-0.5 font-mono text-[15px] font-semibold tabular-nums">{value === undefined ? "–" : text(value)}</dd>
    </div>
  );
}

function AgentChips({ agents }: { agents: AgentPresence[] }) {
  if (agents.length === 0) return null;
  const sorted = [...agents].sort((a, b) => (a.role === b.role ? a.name.localeCompare(b.name) : a.role === "director" ? -1 : 1));
  return (
    <ul className="ml-auto flex flex-wrap items-center gap-1.5" aria-label="Agents">
      {sorted.map((a) => (
        <li
          key={a.hostId}
          data-testid={`agent-presence-${a.name}`}
          data-online={a.online}
          title={`${a.role === "director" ? "Director" : "Real server"} ${a.name}: ${a.online ? "online" : "offline"}, last seen ${lastSeenText(a.lastSeenAt)}`}
          className="inline-flex items-center gap-1 rounded-full border border-line px-2 py-0.5 text-[11.5px]"
        >
          <span aria-hidden className={`inline-block h-1.5 w-1.5 rounded-full ${a.online ? "bg-ok" : "bg-fg-subtle"}`} />
          <span className="font-medium">{a.name}</span>
          <span className="text-fg-subtle">{a.online ? "online" : `offline · ${lastSeenText(a.lastSeenAt)}`}</span>
        </li>
      ))}
    </ul>
  );
}

function SparkRow({
  clusterId,
  service,
  points,
  current,
  xMax,
  maxGapMs,
}: {
  clusterId: string;
  service: VirtualService;
  points: StatsPoint[];
  current: LiveEntry | null;
  xMax: number;
  maxGapMs: number;
}) {
  const key = serviceKeyForTestId(service);
  const title = service.protocol === "FWMARK" ? `FWM ${service.fwmark}` : `${service.protocol} ${key}`;
  const data = useMemo(() => toXY(points, "conns", maxGapMs), [points, maxGapMs]);
  const series = useMemo(() => [{ label: "conn/s", color: "--accent" as const, data, fill: true }], [data]);
  const now = current ?? (points.length ? points[points.length - 1] : null);
  const conns = now?.rates.conns ?? null;
  return (
    <tr className="hover:bg-surface-2">
      <td className={table.tdDense}>
        <Link
          href={`/clusters/${clusterId}/services/${service.id}`}
          data-testid={`service-link-${key}`}
          className="font-mono text-[12.5px] font-semibold text-accent hover:underline"
        >
          {title}
        </Link>
        {service.description && <span className="ml-2 text-xs text-fg-muted">{service.description}</span>}
      </td>
      <td className={`${table.tdDense} py-1`}>
        <LineChart
          sparkline
          height={28}
          testId={`spark-${key}`}
          series={series}
          xMin={xMax - LIVE_WINDOW_MS}
          xMax={xMax}
          format={(v) => formatRate(v, "conns")}
          lastValue={conns}
          summary={`${title}, last 15 minutes: ${conns === null ? "no data yet" : `${formatRate(conns, "conns")} now`}`}
        />
      </td>
      <td className={`${table.tdDense} text-right font-mono text-[12.5px]`}>{conns === null ? "–" : formatRate(conns, "conns").replace(" conn/s", "")}</td>
      <td className={`${table.tdDense} text-right font-mono text-[12px] whitespace-nowrap text-fg-muted`}>
        {now ? `${formatRate(now.rates.inbytes, "bytes")} / ${formatRate(now.rates.outbytes, "bytes")}` : "–"}
      </td>
      <td className={`${table.tdDense} text-right font-mono text-[12.5px]`}>{now ? `${formatCount(now.active)} / ${formatCount(now.inactive)}` : "–"}</td>
    </tr>
  );
}

