"use client";
/**
 * Form fields with bound labels and field-level error messages.
 * Each control gets `aria-invalid` and `aria-describedby` pointing at its
 * message, so screen readers and tests can find the error for a field by its
 * label. Error paragraphs carry `data-testid="field-error-<name>"`.
 */
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from "react";
import { cn } from "./cn";

const control =
  "block w-full rounded-md border bg-surface px-2.5 text-[13px] text-fg placeholder:text-fg-subtle shadow-[inset_0_1px_1px_rgb(0_0_0/0.03)] focus-visible:outline-2 focus-visible:outline-offset-0 disabled:opacity-60";
const okBorder = "border-line-strong";
const badBorder = "border-danger";

interface FieldFrameProps {
  label: ReactNode;
  name: string;
  error?: string;
  hint?: ReactNode;
  className?: string;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  required?: boolean;
}

export function FieldFrame({ label, name, error, hint, className, children, required }: FieldFrameProps) {
  const id = useId();
  const errorId = `${id}-error`;
  const hintId = `${id}-hint`;
  const describedBy = [error ? errorId : null, hint ? hintId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={cn("min-w-0", className)}>
      <div className="mb-1 flex items-baseline gap-0.5 text-xs font-medium text-fg-muted">
        <label htmlFor={id}>{label}</label>
        {/* Outside the label so the accessible name stays exactly the label text. */}
        {required && (
          <span aria-hidden className="text-fg-subtle">
            *
          </span>
        )}
      </div>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && !error && (
        <p id={hintId} className="mt-1 text-[11.5px] text-fg-subtle">
          {hint}
        </p>
      )}
      {error && (
        <p id={errorId} data-testid={`field-error-${name}`} className="mt-1 text-xs text-danger">
          {error}
        </p>
      )}
    </div>
  );
}

type BaseProps = { label: ReactNode; name: string; error?: string; hint?: ReactNode; className?: string; mono?: boolean };

export function TextField({
  label,
  name,
  error,
  hint,
  className,
  mono,
  ...input
}: BaseProps & Omit<InputHTMLAttributes<HTMLInputElement>, "name">) {
  return (
    <FieldFrame label={label} name={name} error={error} hint={hint} className={className} required={input.required}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          name={name}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          className={cn(control, "h-8", invalid ? badBorder : okBorder, mono && "font-mono text-[12.5px]")}
          {...input}
          required={undefined}
          aria-required={input.required || undefined}
        />
      )}
    </FieldFrame>
  );
}

export function SelectField({
  label,
  name,
  error,
  hint,
  className,
  mono,
  children,
  ...select
}: BaseProps & Omit<SelectHTMLAttributes<HTMLSelectElement>, "name">) {
  return (
    <FieldFrame label={label} name={name} error={error} hint={hint} className={className}>
      {({ id, describedBy, invalid }) => (
        <select
          id={id}
          name={name}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          className={cn(control, "h-8 pr-7", invalid ? badBorder : okBorder, mono && "font-mono text-[12.5px]")}
          {...select}
        >
          {children}
        </select>
      )}
    </FieldFrame>
  );
}

export function TextAreaField({
  label,
  name,
  error,
  hint,
  className,
  mono,
  ...area
}: BaseProps & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "name">) {
  return (
    <FieldFrame label={label} name={name} error={error} hint={hint} className={className}>
      {({ id, describedBy, invalid }) => (
        <textarea
          id={id}
          name={name}
          aria-invalid={invalid || undefined}
          aria-describedby={describedBy}
          className={cn(control, "py-1.5", invalid ? badBorder : okBorder, mono && "font-mono text-[12.5px]")}
          {...area}
        />
      )}
    </FieldFrame>
  );
}

export function CheckboxField({
  label,
  name,
  checked,
  onChange,
  hint,
  error,
}: {
  label: ReactNode;
  name: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  error?: string;
}) {
  const id = useId();
  return (
    <div>
      <div className="flex items-center gap-2">
        <input
          id={id}
          name={name}
          type="checkbox"
          checked={checked}
          onChange={(event) => onChange(event.target.checked)}
          className="h-3.5 w-3.5 rounded border-line-strong accent-[var(--accent)]"
        />
        <label htmlFor={id} className="text-[13px] text-fg">
          {label}
        </label>
      </div>
      {hint && <p className="mt-0.5 ml-5.5 text-[11.5px] text-fg-subtle">{hint}</p>}
      {error && (
        <p data-testid={`field-error-${name}`} className="mt-1 text-xs text-danger">
          {error}
        </p>
      )}
    </div>
  );
}

/** Form-level error (not tied to one field), e.g. "duplicate service" or network failure. */
export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <p role="alert" data-testid="form-error" className="rounded-md border border-danger/30 bg-danger-soft px-3 py-2 text-[13px] text-danger">
      {message}
    </p>
  );
}
