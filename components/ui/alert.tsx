import type { ReactNode } from "react";
import { cn } from "./cn";

export function Alert({ tone = "danger", children, testId }: { tone?: "danger" | "warn" | "ok" | "info"; children: ReactNode; testId?: string }) {
  const toneClass = {
    danger: "border-danger/30 bg-danger-soft text-danger",
    warn: "border-warn/30 bg-warn-soft text-warn",
    ok: "border-ok/30 bg-ok-soft text-ok",
    info: "border-accent/30 bg-accent-soft text-accent",
  }[tone];
  return (
    <div role={tone === "danger" ? "alert" : "status"} data-testid={testId} className={cn("rounded-md border px-3 py-2 text-[13px]", toneClass)}>
      {children}
    </div>
  );
}
