import type { ReactNode } from "react";

export function PageHeader({ title, description, actions, meta }: { title: ReactNode; description?: ReactNode; actions?: ReactNode; meta?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
      <div className="min-w-0">
        {meta && <div className="mb-1 text-xs text-fg-subtle">{meta}</div>}
        <h1 className="truncate text-lg font-semibold tracking-tight text-fg">{title}</h1>
        {description && <p className="mt-0.5 text-[13px] text-fg-muted">{description}</p>}
      </div>
      {actions && <div className="flex items-center gap-2">{actions}</div>}
    </div>
  );
}

export function Panel({ children, className = "", testId }: { children: ReactNode; className?: string; testId?: string }) {
  return (
    <section data-testid={testId} className={`rounded-lg border border-line bg-surface shadow-[0_1px_2px_rgb(0_0_0/0.04)] ${className}`}>
      {children}
    </section>
  );
}

export function PanelHeader({ title, actions, children }: { title: ReactNode; actions?: ReactNode; children?: ReactNode }) {
  return (
    <div className="flex flex-wrap items-center justify-between gap-2 border-b border-line px-4 py-2.5">
      <h2 className="text-[13px] font-semibold text-fg">{title}</h2>
      {children}
      {actions && <div className="flex items-center gap-2">{actions}</div>}
    </div>
  );
}
