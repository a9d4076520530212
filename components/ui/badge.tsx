import type { ReactNode } from "react";
import { cn } from "./cn";

type Tone = "neutral" | "accent" | "ok" | "warn" | "danger";
const TONE: Record<Tone, string> = {
  neutral: "bg-surface-3 text-fg-muted border-line",
  accent: "bg-accent-soft text-accent border-transparent",
  ok: "bg-ok-soft text-ok border-transparent",
  warn: "bg-warn-soft text-warn border-transparent",
  danger: "bg-danger-soft text-danger border-transparent",
};

export function Badge({ tone = "neutral", mono, children, className, title }: { tone?: Tone; mono?: boolean; children: ReactNode; className?: string; title?: string }) {
  return (
    <span
      title={title}
      className={cn(
        "inline-flex h-5 items-center rounded border px-1.5 text-[11px] leading-none font-medium whitespace-nowrap",
        mono && "font-mono",
        TONE[tone],
        className,
      )}
    >
      {children}
    </span>
  );
}

/** Enabled/disabled indicator: a dot plus the word, so it does not rely on colour alone. */
export function EnabledState({ enabled }: { enabled: boolean }) {
  return (
    <span className={cn("inline-flex items-center gap-1.5 text-xs", enabled ? "text-ok" : "text-fg-subtle")}>
      <span aria-hidden className={cn("h-1.5 w-1.5 rounded-full", enabled ? "bg-ok" : "bg-fg-subtle")} />
      {enabled ? "enabled" : "disabled"}
    </span>
  );
}
