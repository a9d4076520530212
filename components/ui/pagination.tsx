"use client";
/**
 * Server-side pagination controls: "1–50 of 1,000", page size, previous/next.
 * testids: `pagination`, `pagination-prev`, `pagination-next`, `pagination-range`.
 */
import { useId } from "react";
import { Button } from "./button";

export function Pagination({
  page,
  pageSize,
  total,
  onPage,
  onPageSize,
  sizes = [25, 50, 100, 200],
  noun = "items",
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
  onPageSize?: (size: number) => void;
  sizes?: number[];
  noun?: string;
}) {
  const sizeId = useId();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav aria-label="Pagination" data-testid="pagination" className="flex flex-wrap items-center justify-between gap-3 px-4 py-2 text-xs text-fg-muted">
      <span data-testid="pagination-range" aria-live="polite">
        {first.toLocaleString("en-US")}–{last.toLocaleString("en-US")} of {total.toLocaleString("en-US")} {noun}
      </span>
      <div className="flex items-center gap-2">
        {onPageSize && (
          <span className="flex items-center gap-1.5">
            <label htmlFor={sizeId}>Per page</label>
            <select
              id={sizeId}
              value={pageSize}
              onChange={(e) => onPageSize(Number(e.target.value))}
              className="h-7 rounded-md border border-line-strong bg-surface px-1.5 text-xs text-fg"
            >
              {sizes.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </span>
        )}
        <span className="tabular-nums">
          Page {page} of {pages}
        </span>
        <Button size="sm" data-testid="pagination-prev" disabled={page <= 1} onClick={() => onPage(page - 1)} aria-label="Previous page">
          ‹ Prev
        </Button>
        <Button size="sm" data-testid="pagination-next" disabled={page >= pages} onClick={() => onPage(page + 1)} aria-label="Next page">
          Next ›
        </Button>
      </div>
    </nav>
  );
}

/** Compact pager for a toolbar: "51–100 of 1,000" with previous/next (testids `pager-top-prev`, `pager-top-next`). */
export function CompactPager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  if (pages <= 1) return null;
  const first = (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <div className="flex items-center gap-1 text-xs text-fg-muted" aria-label="Pages" role="group">
      <span className="mr-1 tabular-nums">
        {first.toLocaleString("en-US")}–{last.toLocaleString("en-US")} of {total.toLocaleString("en-US")}
      </span>
      <Button size="sm" variant="ghost" data-testid="pager-top-prev" disabled={page <= 1} onClick={() => onPage(page - 1)} aria-label="Previous page">
        ‹
      </Button>
      <Button size="sm" variant="ghost" data-testid="pager-top-next" disabled={page >= pages} onClick={() => onPage(page + 1)} aria-label="Next page">
        ›
      </Button>
    </div>
  );
}
