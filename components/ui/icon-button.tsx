import type { ButtonHTMLAttributes, ReactNode } from "react";
import { cn } from "./cn";

/** A compact icon-only button; `label` is its accessible name and tooltip. */
export function IconButton({ label, children, tone = "neutral", className, ...rest }: { label: string; children: ReactNode; tone?: "neutral" | "danger" } & ButtonHTMLAttributes<HTMLButtonElement>) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      className={cn(
        "inline-flex h-7 w-7 items-center justify-center rounded-md text-fg-subtle",
        tone === "danger" ? "hover:bg-danger-soft hover:text-danger" : "hover:bg-surface-3 hover:text-fg",
        className,
      )}
      {...rest}
    >
      {children}
    </button>
  );
}
