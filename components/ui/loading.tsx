/** Placeholder rows while a table loads (announced to screen readers as loading). */
export function LoadingRows({ rows = 3 }: { rows?: number }) {
  return (
    <div role="status" aria-label="Loading" className="divide-y divide-line">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="flex h-9 items-center gap-4 px-3">
          <div className="h-2.5 w-40 animate-pulse rounded bg-surface-3" />
          <div className="h-2.5 w-24 animate-pulse rounded bg-surface-3" />
          <div className="h-2.5 flex-1 animate-pulse rounded bg-surface-3" />
        </div>
      ))}
    </div>
  );
}
