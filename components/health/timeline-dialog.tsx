"use client";
/** A real server's health transitions (health.timeline), newest first, with the range picker. testid `health-timeline`. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/client";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Dialog } from "@/components/ui/dialog";
import { LoadingRows } from "@/components/ui/loading";
import { table } from "@/components/ui/table";
import { HEALTH_TIMELINE_RANGES } from "@/shared/cluster/health";

type Range = (typeof HEALTH_TIMELINE_RANGES)[number];

export function HealthTimelineDialog({ realServerId, label, onClose }: { realServerId: string; label: string; onClose: () => void }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>("24h");
  const q = useQuery(trpc.health.timeline.queryOptions({ realServerId, range }, { refetchInterval: 10_000 }));
  return (
    <Dialog open onClose={onClose} title={`Health of ${label}`} size="lg" testId="health-timeline"
      description="Up/down transitions as each director's checker saw them (rise/fall applied), newest first.">
      <div className="space-y-3 px-5 py-4">
        <div className="flex items-center gap-1" role="group" aria-label="Range">
          {HEALTH_TIMELINE_RANGES.map((r) => (
            <button key={r} type="button" aria-pressed={r === range} onClick={() => setRange(r)}
              className={`h-7 rounded px-2 text-xs ${r === range ? "bg-accent-soft text-accent" : "text-fg-muted hover:bg-surface-3"}`}>
              {r}
            </button>
          ))}
        </div>
        {q.error && <Alert>Could not load the timeline: {q.error.message}</Alert>}
        {q.isPending ? (
          <LoadingRows rows={3} />
        ) : q.data && q.data.events.length === 0 ? (
          <p data-testid="health-timeline-empty" className="text-[13px] text-fg-muted">
            No transition in the last {range}. A real server appears here once a director&apos;s check changes its status (the service needs a
            health check and an agent on the director).
          </p>
        ) : (
          <div className={table.wrap}>
            <table className={table.table} aria-label={`Health transitions of ${label}`}>
              <thead>
                <tr>
                  <th className={table.thDense}>Time</th>
                  <th className={table.thDense}>Director</th>
                  <th className={table.thDense}>Status</th>
                  <th className={table.thDense}>Reason</th>
                  <th className={table.thDense}>Latency</th>
                </tr>
              </thead>
              <tbody>
                {q.data?.events.map((e) => (
                  <tr key={e.id} data-testid="health-event">
                    <td className={`${table.tdDense} font-mono text-[12px] whitespace-nowrap`}>{new Date(e.at).toLocaleString("en-GB")}</td>
                    <td className={table.tdDense}>{e.hostName}</td>
                    <td className={table.tdDense}>
                      <Badge tone={e.status === "up" ? "ok" : e.status === "down" ? "danger" : "neutral"}>{e.status}</Badge>
                    </td>
                    <td className={`${table.tdDense} text-[12.5px] [overflow-wrap:anywhere]`}>{e.reason || "—"}</td>
                    <td className={`${table.tdDense} font-mono text-[12px]`}>{e.latencyMs === null ? "—" : `${e.latencyMs.toFixed(1)} ms`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {q.data?.truncated && <p className="text-xs text-fg-subtle">Showing the newest {q.data.events.length}; choose a shorter range for the rest.</p>}
      </div>
    </Dialog>
  );
}
