/**
 * The exact commands an agent will run (or would run to fix drift), as a
 * terminal-style block: one line per op, a diff-style marker (+ add, ~ change,
 * - remove, ! conflict), the summary on hover and for screen readers.
 * Always dark, like a terminal, in both themes.
 *
 * testid: the caller's (e.g. `plan-<host>`, `drift-<host>`); each line
 * `plan-line` with attribute data-kind (the agent's op kind).
 */
import type { OpLine } from "@/shared/agent-protocol";
import { cn } from "@/components/ui/cn";
import { OP_MARKER, opTone, type OpTone } from "./progress";

const TONE_CLASS: Record<OpTone, string> = {
  add: "text-[#7ee2a8]",
  change: "text-[#f0c869]",
  remove: "text-[#ff9b93]",
  conflict: "text-[#ff9b93] font-semibold",
};

/** A planned op, or one that ran (then `ok` says how it went and `error` why it failed). */
export type PlanLine = OpLine & { ok?: boolean; error?: string };

export function PlanLines({ ops, testId, label, empty }: { ops: ReadonlyArray<PlanLine>; testId?: string; label: string; empty?: string }) {
  return (
    <div
      data-testid={testId}
      role="group"
      aria-label={label}
      className="overflow-x-auto rounded-md border border-[#2a3039] bg-[#0f1216] px-3 py-2 font-mono text-[12px] leading-[1.65] text-[#d7dce3]"
    >
      {ops.length === 0 ? (
        <p className="text-[#8b94a1]"># {empty ?? "nothing to do"}</p>
      ) : (
        <ol>
          {ops.map((op, i) => {
            const tone = opTone(op.kind);
            return (
              <li key={i} data-testid="plan-line" data-kind={op.kind} data-ok={op.ok === undefined ? undefined : String(op.ok)} title={op.summary}>
                <div className="flex gap-2 whitespace-pre">
                <span aria-hidden className={cn("w-2 shrink-0 select-none", TONE_CLASS[tone])}>
                  {OP_MARKER[tone]}
                </span>
                <span className={cn(tone === "conflict" && TONE_CLASS.conflict)}>
                  <span aria-hidden className="text-[#6b7480] select-none">
                    ${" "}
                  </span>
                  {op.command}
                  <span className="sr-only"> — {op.summary}</span>
                </span>
                {op.ok === true && <span className="ml-auto pl-4 text-[#7ee2a8] select-none">ok</span>}
                </div>
                {op.ok === false && (
                  <p className="pl-4 whitespace-pre-wrap text-[#ff9b93]">
                    <span className="select-none">✗ </span>
                    {op.error ?? "failed"}
                  </p>
                )}
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}
