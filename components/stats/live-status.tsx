"use client";
/** The live link's state in words: "Live", "Reconnecting…", or why it stopped. testid `live-status` (attribute data-status). */
import type { LiveStatus } from "./use-live";
import { cn } from "@/components/ui/cn";

export function LiveStatusBadge({ status, error }: { status: LiveStatus; error: string | null }) {
  const text = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…", error: "Live updates stopped" }[status];
  return (
    <span
      data-testid="live-status"
      data-status={status}
      title={error ?? undefined}
      role="status"
      className={cn(
        "inline-flex items-center gap-1.5 text-xs",
        status === "live" ? "text-ok" : status === "error" ? "text-danger" : "text-fg-subtle",
      )}
    >
      <span aria-hidden className={cn("inline-block h-1.5 w-1.5 rounded-full", status === "live" ? "bg-ok" : status === "error" ? "bg-danger" : "bg-fg-subtle")} />
      {text}
      {status === "error" && error && <span className="text-fg-muted">— {error}</span>}
    </span>
  );
}
