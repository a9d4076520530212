import type { ReactNode } from "react";
import { Logo } from "@/components/shell/logo";

/** Centered card for the sign-in and first-run pages. */
export function AuthCard({ title, description, children }: { title: string; description?: ReactNode; children: ReactNode }) {
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-5 flex items-center justify-center gap-2">
          <Logo />
          <span className="font-mono text-sm font-semibold tracking-tight">lvs-control</span>
        </div>
        <div className="rounded-lg border border-line bg-surface p-6 shadow-sm">
          <h1 className="text-base font-semibold">{title}</h1>
          {description && <div className="mt-1 text-[13px] text-fg-muted">{description}</div>}
          <div className="mt-5">{children}</div>
        </div>
      </div>
    </main>
  );
}
