"use client";
/**
 * The four charts of a virtual service's page: conn/s, pkt/s in/out,
 * bytes/s in/out, and active connections per real server, over one range.
 *
 * testids: `chart-conns`, `chart-packets`, `chart-bytes`, `chart-active`
 * (LineChart: data-last-value = newest value of the first series — conn/s,
 * pkt/s in, bytes/s in, active connections of the first real server —,
 * data-points, data-series), inside `service-charts` (attribute data-range).
 */
import { useMemo, type ReactNode } from "react";
import type { StatsPoint, StatsRange } from "@/shared/live";
import { formatCount, formatRate } from "./format";
import { LineChart, PALETTE, type ChartSeries } from "./line-chart";
import { lastValue, maxGapFor, toXY } from "./series";

export interface RealServerSeries {
  id: string;
  label: string;
  points: StatsPoint[];
}

export function ServiceCharts({
  range,
  points,
  realServers,
  xMin,
  xMax,
  stepMs,
}: {
  range: StatsRange;
  points: StatsPoint[];
  realServers: RealServerSeries[];
  xMin: number;
  xMax: number;
  stepMs: number | null;
}) {
  const gap = maxGapFor(range, stepMs);
  const conns = useMemo<ChartSeries[]>(() => [{ label: "conn/s", color: "--accent", data: toXY(points, "conns", gap), fill: true }], [points, gap]);
  const packets = useMemo<ChartSeries[]>(
    () => [
      { label: "in", color: "--accent", data: toXY(points, "inpkts", gap) },
      { label: "out", color: "--ok", data: toXY(points, "outpkts", gap), dashed: true },
    ],
    [points, gap],
  );
  const bytes = useMemo<ChartSeries[]>(
    () => [
      { label: "in", color: "--accent", data: toXY(points, "inbytes", gap) },
      { label: "out", color: "--ok", data: toXY(points, "outbytes", gap), dashed: true },
    ],
    [points, gap],
  );
  const active = useMemo<ChartSeries[]>(
    () => realServers.map((rs, i) => ({ label: rs.label, color: i, data: toXY(rs.points, "active", gap) })),
    [realServers, gap],
  );

  const c = lastValue(points, "conns");
  const last = points[points.length - 1];
  const pin = last?.rates.inpkts ?? null;
  const pout = last?.rates.outpkts ?? null;
  const bin = last?.rates.inbytes ?? null;
  const bout = last?.rates.outbytes ?? null;
  const none = "no data yet";
  const activeSummary =
    realServers.length === 0
      ? "no real servers"
      : realServers.map((rs) => `${rs.label} ${rs.points.length ? formatCount(lastValue(rs.points, "active")!) : "no data"}`).join(", ");

  const box = (title: string, legend: string | null, chart: ReactNode) => (
    <figure className="rounded-md border border-line p-3">
      <figcaption className="mb-1 flex items-center justify-between text-xs font-medium text-fg-muted">
        <span>{title}</span>
        {legend && <span className="font-normal text-fg-subtle">{legend}</span>}
      </figcaption>
      {chart}
    </figure>
  );

  return (
    <div data-testid="service-charts" data-range={range} className="grid gap-3 p-4 lg:grid-cols-2">
      {box(
        "Connections per second",
        null,
        <LineChart
          testId="chart-conns"
          series={conns}
          xMin={xMin}
          xMax={xMax}
          format={(v) => formatRate(v, "conns")}
          lastValue={c}
          summary={`New connections per second: ${c === null ? none : formatRate(c, "conns")} now`}
        />,
      )}
      {box(
        "Packets per second",
        "— in   - - out",
        <LineChart
          testId="chart-packets"
          series={packets}
          xMin={xMin}
          xMax={xMax}
          format={(v) => formatRate(v, "packets")}
          lastValue={pin}
          summary={`Packets per second: ${pin === null ? none : `${formatRate(pin, "packets")} in, ${formatRate(pout!, "packets")} out`}`}
        />,
      )}
      {box(
        "Bytes per second",
        "— in   - - out",
        <LineChart
          testId="chart-bytes"
          series={bytes}
          xMin={xMin}
          xMax={xMax}
          format={(v) => formatRate(v, "bytes")}
          lastValue={bin}
          summary={`Bytes per second: ${bin === null ? none : `${formatRate(bin, "bytes")} in, ${formatRate(bout!, "bytes")} out`}`}
        />,
      )}
      {box(
        "Active connections per real server",
        null,
        <>
          <LineChart
            testId="chart-active"
            series={active}
            xMin={xMin}
            xMax={xMax}
            format={formatCount}
            lastValue={realServers[0]?.points.length ? lastValue(realServers[0].points, "active") : null}
            summary={`Active connections per real server: ${activeSummary}`}
          />
          {realServers.length > 0 && (
            <ul className="mt-1 flex flex-wrap gap-x-3 gap-y-0.5 text-[11.5px] text-fg-muted" aria-hidden>
              {realServers.map((rs, i) => (
                <li key={rs.id} className="inline-flex items-center gap-1 font-mono">
                  {paletteSwatch(i)}
                  {rs.label}
                </li>
              ))}
            </ul>
          )}
        </>,
      )}
    </div>
  );
}

function paletteSwatch(i: number) {
  const [light, dark] = PALETTE[i % PALETTE.length];
  return (
    <>
      <span className="inline-block h-0.5 w-3 dark:hidden" style={{ background: light }} />
      <span className="hidden h-0.5 w-3 dark:inline-block" style={{ background: dark }} />
    </>
  );
}
