/**
 * Pure helpers of the review page (unit-tested in review.test.ts): model
 * changes as audit-style field rows, the one-line summary above "Apply", and
 * whether there is anything to apply.
 */
import type { DiffRow } from "@/components/audit/diff";
import type { FieldChange, ModelChange, Review } from "@/shared/revisions";
import { plural } from "@/components/format";

/** A model change's fields as diff rows (added when there was no value before, removed when none after). */
export function fieldChangeRows(fields: ReadonlyArray<FieldChange>): DiffRow[] {
  return fields.map((f) => ({
    path: f.field,
    before: f.before,
    after: f.after,
    kind: f.before === null ? "added" : f.after === null ? "removed" : f.before === f.after ? "unchanged" : "changed",
  }));
}

export const ENTITY_LABEL: Record<ModelChange["entity"], string> = {
  cluster: "cluster",
  director: "director",
  service: "virtual service",
  realServer: "real server",
};

/** "2 added · 1 changed · 1 removed" */
export function changeCountsText(changes: ReadonlyArray<Pick<ModelChange, "kind">>): string {
  const count = (kind: ModelChange["kind"]) => changes.filter((c) => c.kind === kind).length;
  const parts = [
    count("added") && `${count("added")} added`,
    count("changed") && `${count("changed")} changed`,
    count("removed") && `${count("removed")} removed`,
  ].filter(Boolean);
  return parts.join(" · ") || "no change";
}

export interface ApplyReadiness {
  /** the Apply button is enabled */
  canApply: boolean;
  /** why not, or what apply will do */
  reason: string;
}

/**
 * Apply needs something to apply (a model change, a host whose compiled state
 * differs from its last deployment, or a first revision) and no lint error.
 */
export function applyReadiness(review: Pick<Review, "baseRevision" | "modelDiff" | "hosts" | "lints" | "canApply">): ApplyReadiness {
  const errors = review.lints.filter((l) => l.level === "error").length;
  if (!review.canApply || errors > 0) return { canApply: false, reason: `Fix ${plural(errors || 1, "error")} below before applying.` };
  const changedHosts = review.hosts.filter((h) => h.changed);
  if (review.baseRevision !== null && review.modelDiff.length === 0 && changedHosts.length === 0) {
    return { canApply: false, reason: `Nothing to apply: the cluster matches revision #${review.baseRevision} and every host has its state.` };
  }
  const offline = changedHosts.filter((h) => !h.online).length;
  const next = review.baseRevision === null ? 1 : review.baseRevision + 1;
  const parts = [
    `Creates revision #${next}`,
    changedHosts.length === 0 ? "no host gets a new state" : `${plural(changedHosts.length, "host")} ${changedHosts.length === 1 ? "gets" : "get"} a new state`,
  ];
  if (offline > 0) parts.push(`${offline} offline (${offline === 1 ? "it gets" : "they get"} it on connect)`);
  return { canApply: true, reason: parts.join(" · ") + "." };
}
