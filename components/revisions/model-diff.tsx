"use client";
/**
 * What changed in the cluster's model since the applied revision: added,
 * removed and changed directors, virtual services and real servers, with
 * field-level before → after (the audit log's diff table).
 *
 * testids: `model-diff`, `model-diff-empty`, `model-change` (attributes
 * data-kind = added | removed | changed, data-entity = cluster | director |
 * service | realServer, data-label), inner `diff-row-<field>` rows.
 */
import type { ModelChange } from "@/shared/revisions";
import { FieldChangesTable } from "@/components/audit/audit-diff";
import { Badge } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import { ENTITY_LABEL, fieldChangeRows } from "./review";

const KIND_TONE = { added: "ok", removed: "danger", changed: "warn" } as const;

export function ModelDiff({ changes, baseRevision }: { changes: ReadonlyArray<ModelChange>; baseRevision: number | null }) {
  if (changes.length === 0) {
    return (
      <p data-testid="model-diff-empty" className="px-4 py-3 text-[13px] text-fg-muted">
        {baseRevision === null ? "The cluster is empty; applying publishes an empty state." : `No change to the model since revision #${baseRevision}.`}
      </p>
    );
  }
  return (
    <ul data-testid="model-diff" className="divide-y divide-line">
      {changes.map((c) => (
        <li key={`${c.entity}-${c.id}-${c.kind}`} data-testid="model-change" data-kind={c.kind} data-entity={c.entity} data-label={c.label} className="px-4 py-2.5">
          <div className="flex flex-wrap items-center gap-2 text-[13px]">
            <Badge tone={KIND_TONE[c.kind]} className="w-16 justify-center">
              {c.kind}
            </Badge>
            <span className="text-fg-muted">{ENTITY_LABEL[c.entity]}</span>
            <span className={cn("font-mono text-[12.5px] font-semibold", c.kind === "removed" && "text-fg-muted line-through")}>{c.label}</span>
            {c.parentLabel && (
              <span className="text-xs text-fg-subtle">
                of <span className="font-mono">{c.parentLabel}</span>
              </span>
            )}
          </div>
          {c.fields.length > 0 &&
            (c.kind === "changed" ? (
              <div className="mt-1.5">
                <FieldChangesTable rows={fieldChangeRows(c.fields)} />
              </div>
            ) : (
              <dl
                className={cn(
                  "mt-1.5 grid max-w-3xl grid-cols-[max-content_1fr] gap-x-4 gap-y-0.5 rounded-md border px-3 py-1.5 lg:grid-cols-[max-content_1fr_max-content_1fr]",
                  c.kind === "added" ? "border-ok/25 bg-diff-add/50" : "border-danger/25 bg-diff-del/50",
                )}
              >
                {c.fields.map((f) => (
                  <div key={f.field} data-testid={`diff-row-${f.field}`} data-kind={c.kind} className="contents">
                    <dt className="font-mono text-[12px] text-fg-muted">{f.field}</dt>
                    <dd className="min-w-0 font-mono text-[12px] break-words">{(c.kind === "added" ? f.after : f.before) ?? "—"}</dd>
                  </div>
                ))}
              </dl>
            ))}
        </li>
      ))}
    </ul>
  );
}
