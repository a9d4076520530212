"use client";
/**
 * One chart.js line chart (or a sparkline) owning its Chart instance through a
 * ref: created once on mount, destroyed on unmount; new data is written into
 * the existing datasets and drawn with update("none") — no re-creation, no
 * animation. The x axis is linear in ms since the epoch with our own tick
 * formatter (no date adapter). Colours come from the theme's CSS variables and
 * follow the dark-mode toggle (class on <html>).
 *
 * Accessibility and tests: the wrapper has role="img" with `summary` as its
 * aria-label (current values in words) and carries
 *   data-testid=<testId>, data-last-value (newest value of the first series, "" when none),
 *   data-points (points of the first series), data-series (number of series).
 */
import {
  Chart,
  Filler,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  Legend,
  type ChartDataset,
  type ChartOptions,
} from "chart.js";
import { useEffect, useRef } from "react";
import { formatTick, formatTimeTick, timeStep } from "./format";
import type { XY } from "./series";

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler, Tooltip, Legend);

export interface ChartSeries {
  label: string;
  /** a theme variable ("--accent") or a palette slot (0, 1, …) */
  color: `--${string}` | number;
  data: XY[];
  fill?: boolean;
  dashed?: boolean;
}

/** Distinct line colours for per-real-server series, light / dark. */
export const PALETTE: [string, string][] = [
  ["#1f5fbf", "#4b8ef0"],
  ["#18794e", "#45c486"],
  ["#9a6700", "#e2b340"],
  ["#b42318", "#f0645a"],
  ["#6941c6", "#a48afb"],
  ["#0e7490", "#38bdf8"],
  ["#c11574", "#f670c7"],
  ["#4d5761", "#a3abb7"],
];

function themeVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}
function isDark(): boolean {
  return document.documentElement.classList.contains("dark");
}
function resolveColor(c: ChartSeries["color"]): string {
  return typeof c === "number" ? PALETTE[c % PALETTE.length][isDark() ? 1 : 0] : themeVar(c);
}
/** "#1f5fbf" → "rgba(31,95,191,a)"; other colour syntaxes are returned unchanged. */
function alpha(color: string, a: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const n = parseInt(m[1], 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${a})`;
}

function datasetFor(s: ChartSeries, sparkline: boolean): ChartDataset<"line", XY[]> {
  const color = resolveColor(s.color);
  return {
    label: s.label,
    data: s.data,
    borderColor: color,
    backgroundColor: alpha(color, sparkline ? 0.15 : 0.12),
    fill: s.fill ? "origin" : false,
    borderWidth: sparkline ? 1.25 : 1.5,
    borderDash: s.dashed ? [4, 3] : undefined,
    pointRadius: 0,
    pointHoverRadius: sparkline ? 0 : 3,
    tension: 0,
    spanGaps: false,
  };
}

export interface LineChartProps {
  series: ChartSeries[];
  /** visible time window, ms since the epoch */
  xMin: number;
  xMax: number;
  /** value → text for tooltips ("12.5 conn/s") */
  format: (value: number) => string;
  /** what a screen reader hears: the chart's name and current values */
  summary: string;
  testId: string;
  /** newest value of the first series (data-last-value) */
  lastValue: number | null;
  height?: number;
  sparkline?: boolean;
  /** y axis never below this maximum (a flat zero line stays at the bottom) */
  suggestedMax?: number;
}

export function LineChart({ series, xMin, xMax, format, summary, testId, lastValue, height = 180, sparkline = false, suggestedMax = 1 }: LineChartProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const chartRef = useRef<Chart<"line", XY[]> | null>(null);
  // the latest props, for callbacks that outlive a render (tooltip, theme observer)
  const propsRef = useRef({ series, xMin, xMax, format, sparkline });
  propsRef.current = { series, xMin, xMax, format, sparkline };

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const span = () => propsRef.current.xMax - propsRef.current.xMin;
    const options: ChartOptions<"line"> = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      normalized: true,
      interaction: { mode: "index", intersect: false },
      events: sparkline ? [] : ["mousemove", "mouseout", "touchstart", "touchmove"],
      plugins: {
        legend: { display: false },
        tooltip: {
          enabled: !sparkline,
          callbacks: {
            title: (items) => (items[0] ? formatTimeTick(items[0].parsed.x ?? 0, 0) : ""),
            label: (item) => ` ${item.dataset.label}: ${item.parsed.y === null ? "no data" : propsRef.current.format(item.parsed.y)}`,
          },
        },
      },
      scales: {
        x: {
          type: "linear",
          display: !sparkline,
          min: xMin,
          max: xMax,
          grid: { display: false },
          border: { display: false },
          ticks: {
            includeBounds: false,
            maxRotation: 0,
            autoSkip: true,
            stepSize: timeStep(xMax - xMin),
            callback: (v) => formatTimeTick(Number(v), span()),
            font: { size: 11 },
          },
        },
        y: {
          display: !sparkline,
          beginAtZero: true,
          suggestedMax,
          border: { display: false },
          ticks: { maxTicksLimit: 5, callback: (v) => formatTick(Number(v)), font: { size: 11 } },
        },
      },
    };
    const chart = new Chart<"line", XY[]>(canvas, {
      type: "line",
      data: { datasets: propsRef.current.series.map((s) => datasetFor(s, sparkline)) },
      options,
    });
    chartRef.current = chart;
    const applyTheme = () => {
      const grid = themeVar("--line");
      const text = themeVar("--fg-subtle");
      const x = chart.options.scales!.x!;
      const y = chart.options.scales!.y!;
      x.ticks!.color = text;
      y.ticks!.color = text;
      y.grid = { ...y.grid, color: grid };
      propsRef.current.series.forEach((s, i) => {
        const ds = chart.data.datasets[i];
        if (!ds) return;
        const color = resolveColor(s.color);
        ds.borderColor = color;
        ds.backgroundColor = alpha(color, 0.12);
      });
      chart.update("none");
    };
    applyTheme();
    const observer = new MutationObserver(applyTheme);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
    return () => {
      observer.disconnect();
      chart.destroy();
      chartRef.current = null;
    };
    // created once per mode; data changes go through the effect below
  }, [sparkline]);

  useEffect(() => {
    const chart = chartRef.current;
    if (!chart) return;
    const datasets = chart.data.datasets;
    series.forEach((s, i) => {
      const ds = datasets[i];
      if (!ds || ds.label !== s.label) {
        datasets[i] = datasetFor(s, sparkline);
      } else {
        ds.data = s.data;
      }
    });
    datasets.length = series.length;
    const x = chart.options.scales!.x!;
    x.min = xMin;
    x.max = xMax;
    (x.ticks as { stepSize?: number }).stepSize = timeStep(xMax - xMin);
    (chart.options.scales!.y as { suggestedMax?: number }).suggestedMax = suggestedMax;
    chart.update("none");
  }, [series, xMin, xMax, sparkline, suggestedMax]);

  const first = series[0]?.data ?? [];
  return (
    <div
      role="img"
      aria-label={summary}
      data-testid={testId}
      data-last-value={lastValue === null ? "" : String(lastValue)}
      data-points={first.filter((p) => p.y !== null).length}
      data-series={series.length}
      className="relative w-full"
      style={{ height }}
    >
      <canvas ref={canvasRef} />
    </div>
  );
}
