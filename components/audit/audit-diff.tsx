"use client";
/**
 * Readable diff of one audit event: changed fields before → after (update),
 * the fields it was created with (create), or its last state (delete).
 * testids: `audit-diff` (attribute data-shape = create | update | delete),
 * `diff-row-<field path>` (attribute data-kind = added | removed | changed | unchanged).
 */
import { useState } from "react";
import { cn } from "@/components/ui/cn";
import { diffSnapshots, type DiffRow } from "./diff";

export function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const diff = diffSnapshots(before, after);
  const [showAll, setShowAll] = useState(false);

  if (diff.rows.length === 0) return null;

  if (diff.shape !== "update") {
    // A creation lists what it was created with (folded: the summary says what it is);
    // a deletion shows the last state, which is what one needs to restore it.
    const created = diff.shape === "create";
    const open = created ? showAll : true;
    return (
      <div data-testid="audit-diff" data-shape={diff.shape} className="mt-1.5">
        {created && (
          <button type="button" className="text-xs text-accent hover:underline" aria-expanded={showAll} onClick={() => setShowAll(!showAll)}>
            {showAll ? "Hide fields" : `Show the ${diff.rows.length === 1 ? "field" : `${diff.rows.length} fields`} it was created with`}
          </button>
        )}
        {!created && <p className="mb-1 text-[11px] font-semibold tracking-wide text-fg-subtle uppercase">Last state before deletion</p>}
        {open && (
          <dl
            className={cn(
              "mt-1 grid max-w-4xl grid-cols-[max-content_1fr] gap-x-4 gap-y-0.5 rounded-md border px-3 py-2 lg:grid-cols-[max-content_1fr_max-content_1fr]",
              created ? "border-ok/25 bg-diff-add/50" : "border-danger/25 bg-diff-del/50",
            )}
          >
            {diff.rows.map((row) => {
              const value = (created ? row.after : row.before) ?? "";
              // A list (one real server per line) takes the full width, one entry per line.
              const list = value.includes("\n");
              return (
                <div key={row.path} data-testid={`diff-row-${row.path}`} data-kind={row.kind} className="contents">
                  <dt className={cn("font-mono text-[12px] text-fg-muted", list && "lg:col-start-1")}>{row.path}</dt>
                  <dd className={cn("min-w-0 font-mono text-[12px] break-words", list && "lg:col-span-3")}>
                    {list
                      ? value.split("\n").map((line, i) => (
                          // Hanging indent: a long entry that wraps reads as one entry.
                          <div key={i} className="pl-4 -indent-4">
                            {line}
                          </div>
                        ))
                      : value}
                  </dd>
                </div>
              );
            })}
          </dl>
        )}
      </div>
    );
  }

  const changed = diff.rows.filter((r) => r.kind !== "unchanged");
  const unchanged = diff.rows.length - changed.length;
  const rows = showAll ? diff.rows : changed;
  return (
    <div data-testid="audit-diff" data-shape="update" className="mt-1.5">
      {changed.length === 0 ? <p className="text-xs text-fg-subtle">No field changed.</p> : <FieldChangesTable rows={rows} />}
      {unchanged > 0 && (
        <button type="button" className="mt-1 text-xs text-accent hover:underline" onClick={() => setShowAll(!showAll)} aria-expanded={showAll}>
          {showAll ? "Hide unchanged fields" : `Show ${unchanged} unchanged field${unchanged === 1 ? "" : "s"}`}
        </button>
      )}
    </div>
  );
}

/** Field · before → after, one row per field (also used by the revision review's model diff). */
export function FieldChangesTable({ rows }: { rows: ReadonlyArray<DiffRow> }) {
  return (
    <table className="w-full max-w-3xl border-collapse overflow-hidden rounded-md border border-line text-[12px]">
      <thead>
        <tr className="bg-surface-2 text-left text-[11px] text-fg-subtle">
          <th className="w-48 px-2.5 py-1 font-semibold">Field</th>
          <th className="px-2.5 py-1 font-semibold">Before</th>
          <th className="w-4 px-0 py-1" aria-hidden />
          <th className="px-2.5 py-1 font-semibold">After</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <DiffLine key={row.path} row={row} />
        ))}
      </tbody>
    </table>
  );
}

function DiffLine({ row }: { row: DiffRow }) {
  const isChange = row.kind !== "unchanged";
  return (
    <tr data-testid={`diff-row-${row.path}`} data-kind={row.kind} className="border-t border-line align-top">
      <td className={cn("px-2.5 py-1 font-mono", isChange ? "font-semibold text-fg" : "text-fg-subtle")}>{row.path}</td>
      <td className={cn("px-2.5 py-1 font-mono break-all whitespace-pre-line", isChange ? "bg-diff-del/70 text-fg" : "text-fg-muted")}>
        {row.kind === "added" ? <span className="text-fg-subtle italic">(not set)</span> : isChange ? <del className="no-underline">{row.before}</del> : row.before}
      </td>
      <td className="px-0 py-1 text-center text-fg-subtle" aria-hidden>
        →
      </td>
      <td className={cn("px-2.5 py-1 font-mono break-all whitespace-pre-line", isChange ? "bg-diff-add/70 text-fg" : "text-fg-muted")}>
        {row.kind === "removed" ? <span className="text-fg-subtle italic">(removed)</span> : isChange ? <ins className="no-underline">{row.after}</ins> : row.after}
      </td>
    </tr>
  );
}
