"use client";
/**
 * Modal dialog on the native <dialog> element: showModal() makes the rest of
 * the page inert, Tab and Shift+Tab cycle inside the dialog, Esc closes, focus
 * returns to the opener. On open, focus goes to the element marked
 * `data-autofocus`, else the first form field. Content is mounted only while
 * open, so forms start fresh every time.
 *
 * The dialog's accessible name is its title (role "dialog").
 */
import { useEffect, useId, useRef, type ReactNode } from "react";
import { Button } from "./button";
import { cn } from "./cn";

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export interface DialogProps {
  open: boolean;
  onClose: () => void;
  title: string;
  description?: ReactNode;
  children: ReactNode;
  size?: "sm" | "md" | "lg";
  testId?: string;
}

export function Dialog({ open, onClose, title, description, children, size = "md", testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || !open) return;
    // Remember the opener ourselves: most dialogs are unmounted rather than
    // closed, and a removed <dialog> never runs the browser's own focus
    // restore, which would leave focus on <body>.
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) {
      dialog.showModal();
      const target =
        dialog.querySelector<HTMLElement>("[data-autofocus]") ??
        dialog.querySelector<HTMLElement>("input:not([type=hidden]):not([disabled]):not([readonly]), select:not([disabled]), textarea:not([disabled])");
      target?.focus();
    }
    return () => {
      // Runs when `open` turns false and when the dialog is unmounted.
      if (dialog.open) dialog.close();
      if (opener && opener !== document.body && opener.isConnected) opener.focus();
    };
  }, [open]);

  return (
    <dialog
      ref={ref}
      data-testid={testId}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
      onKeyDown={(event) => {
        if (event.key !== "Tab" || !ref.current) return;
        const focusable = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.offsetParent !== null);
        if (focusable.length === 0) return;
        const first = focusable[0];
        const last = focusable[focusable.length - 1];
        if (event.shiftKey && document.activeElement === first) {
          event.preventDefault();
          last.focus();
        } else if (!event.shiftKey && document.activeElement === last) {
          event.preventDefault();
          first.focus();
        }
      }}
      onMouseDown={(event) => {
        // A click on the backdrop (the dialog element itself, outside its box) closes.
        if (event.target === ref.current) {
          const r = ref.current.getBoundingClientRect();
          const inside = event.clientX >= r.left && event.clientX <= r.right && event.clientY >= r.top && event.clientY <= r.bottom;
          if (!inside) onClose();
        }
      }}
      className={cn(
        "m-auto w-[calc(100vw-2rem)] rounded-lg border border-line bg-surface p-0 text-fg shadow-2xl",
        size === "sm" && "max-w-md",
        size === "md" && "max-w-xl",
        size === "lg" && "max-w-3xl",
      )}
    >
      {open && (
        <div className="flex max-h-[85vh] flex-col">
          <div className="flex items-start justify-between gap-4 border-b border-line px-5 py-3.5">
            <div>
              <h2 id={titleId} className="text-[15px] font-semibold">
                {title}
              </h2>
              {description && (
                <div id={descId} className="mt-0.5 text-[13px] text-fg-muted">
                  {description}
                </div>
              )}
            </div>
            <button
              type="button"
              onClick={onClose}
              aria-label="Close dialog"
              className="-mr-1 rounded p-1 text-fg-subtle hover:bg-surface-3 hover:text-fg"
            >
              <svg width="14" height="14" viewBox="0 0 14 14" stroke="currentColor" strokeWidth="1.6" aria-hidden>
                <path d="M3 3l8 8M11 3l-8 8" />
              </svg>
            </button>
          </div>
          <div className="min-h-0 flex-1 overflow-y-auto">{children}</div>
        </div>
      )}
    </dialog>
  );
}

/** Body + footer layout for a form inside a Dialog; Enter in any field submits. */
export function DialogForm({
  onSubmit,
  children,
  submitLabel,
  busy,
  onCancel,
  danger,
  testId,
  focusSubmit,
}: {
  onSubmit: () => void;
  children: ReactNode;
  submitLabel: string;
  busy?: boolean;
  onCancel: () => void;
  danger?: boolean;
  testId?: string;
  /** Focus the submit button on open (confirmations, which have no fields). */
  focusSubmit?: boolean;
}) {
  return (
    <form
      noValidate
      data-testid={testId}
      onSubmit={(event) => {
        event.preventDefault();
        if (!busy) onSubmit();
      }}
    >
      <div className="space-y-4 px-5 py-4">{children}</div>
      <div className="flex justify-end gap-2 border-t border-line bg-surface-2 px-5 py-3">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant={danger ? "danger" : "primary"} busy={busy} data-autofocus={focusSubmit || undefined}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}

/** "Are you sure" for destructive actions; names exactly what will be removed. */
export function ConfirmDialog({
  open,
  onClose,
  title,
  children,
  confirmLabel,
  onConfirm,
  busy,
  error,
  testId = "confirm-dialog",
}: {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  busy?: boolean;
  error?: string | null;
  testId?: string;
}) {
  return (
    <Dialog open={open} onClose={onClose} title={title} size="sm" testId={testId}>
      <DialogForm onSubmit={onConfirm} onCancel={onClose} submitLabel={confirmLabel} busy={busy} danger focusSubmit>
        <div className="text-[13px] text-fg-muted">{children}</div>
        {error && (
          <p role="alert" className="text-[13px] text-danger">
            {error}
          </p>
        )}
      </DialogForm>
    </Dialog>
  );
}
