"use client";
/**
 * Copy-to-clipboard for secrets shown once (API tokens, enrollment commands):
 * the button and the status line that says whether it worked share one state.
 * `what` names the thing in the fallback message ("select the token and copy it by hand").
 */
import { useState, type ReactNode } from "react";
import { Button } from "@/components/ui/button";
import { CopyIcon } from "@/components/ui/icons";

type Copied = "yes" | "failed" | null;

export function useCopy(text: string) {
  const [copied, setCopied] = useState<Copied>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return { copied, copy };
}

export function CopyButton({ copied, onCopy, testId, size }: { copied: Copied; onCopy: () => void; testId: string; size?: "sm" }) {
  return (
    <Button size={size} data-testid={testId} onClick={onCopy}>
      <CopyIcon /> {copied === "yes" ? "Copied" : "Copy"}
    </Button>
  );
}

export function CopyStatus({ copied, what }: { copied: Copied; what: string }): ReactNode {
  return (
    <p role="status" className="mt-1 text-xs text-fg-muted">
      {copied === "yes" && "Copied to the clipboard."}
      {copied === "failed" && `The browser refused clipboard access; select the ${what} and copy it by hand.`}
    </p>
  );
}
