"use client";
/**
 * Form state for dialogs: string/boolean values as typed, client-side
 * validation with the shared zod schema, server field errors mapped back to
 * the same fields. An invalid submit sends nothing.
 */
import { useCallback, useState } from "react";
import type { z } from "zod";
import { issuesToFormErrors, serverErrorToFormErrors, splitKnownFields, type FieldErrors, type FormErrors } from "./errors";

export interface FormController<V extends Record<string, unknown>> {
  values: V;
  set: <K extends keyof V>(key: K, value: V[K]) => void;
  errors: FieldErrors;
  formError: string | null;
  /** Validates `input` with `schema`; on failure shows the messages and returns null. */
  validate: <S extends z.ZodType>(schema: S, input: unknown, preErrors?: FieldErrors) => z.output<S> | null;
  /** Shows a server error under the fields it names (unknown fields go to the form-level message). */
  showServerError: (error: unknown) => void;
  setErrors: (errors: FormErrors) => void;
  /** `{ error, name, onChange-ready value }` for a text field bound to `key`. */
  text: (key: keyof V & string) => { name: string; value: string; error?: string; onChange: (e: { target: { value: string } }) => void };
}

/**
 * `mapPath` renames schema paths that differ from form keys, e.g.
 * "address" -> "vip"; return the path unchanged for the rest.
 */
export function useForm<V extends Record<string, unknown>>(initial: V | (() => V), mapPath?: (path: string) => string): FormController<V> {
  const [values, setValues] = useState<V>(initial);
  const [errors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);

  const set = useCallback(<K extends keyof V>(key: K, value: V[K]) => {
    setValues((prev) => ({ ...prev, [key]: value }));
    // Editing a field clears its message (and messages of paths under it).
    setFieldErrors((prev) => {
      const k = key as string;
      const stale = Object.keys(prev).filter((p) => p === k || p.startsWith(`${k}.`));
      if (stale.length === 0) return prev;
      const next = { ...prev };
      for (const p of stale) delete next[p];
      return next;
    });
  }, []);

  const known = Object.keys(values);
  const apply = useCallback(
    (raw: FormErrors) => {
      // Map schema paths that differ from form keys (e.g. "persistence.timeout" -> "persistenceTimeout").
      const fields: FieldErrors = {};
      for (const [path, message] of Object.entries(raw.fields)) {
        const key = mapPath ? mapPath(path) : path;
        fields[key] ??= message;
      }
      const split = splitKnownFields({ fields, form: raw.form }, known);
      setFieldErrors(split.fields);
      setFormError(split.form);
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [known.join(","), mapPath],
  );

  const validate = useCallback(
    <S extends z.ZodType>(schema: S, input: unknown, preErrors: FieldErrors = {}): z.output<S> | null => {
      const result = schema.safeParse(input);
      const fromSchema = result.success ? { fields: {}, form: null } : issuesToFormErrors(result.error.issues);
      const fields = { ...fromSchema.fields, ...preErrors };
      if (!result.success || Object.keys(preErrors).length > 0) {
        apply({ fields, form: fromSchema.form });
        return null;
      }
      setFieldErrors({});
      setFormError(null);
      return result.data;
    },
    [apply],
  );

  const showServerError = useCallback((error: unknown) => apply(serverErrorToFormErrors(error)), [apply]);

  const text = (key: keyof V & string) => ({
    name: key,
    value: String(values[key] ?? ""),
    error: errors[key],
    onChange: (e: { target: { value: string } }) => set(key, e.target.value as V[typeof key]),
  });

  return { values, set, errors, formError, validate, showServerError, setErrors: apply, text };
}

/**
 * Reads an integer text field. Empty -> undefined (the schema decides whether
 * that is allowed); not an integer -> an error message for that field.
 */
export function readInteger(text: string, errors: FieldErrors, key: string): number | undefined {
  const t = text.trim();
  if (t === "") return undefined;
  if (!/^-?\d+$/.test(t)) {
    errors[key] = "Enter a whole number";
    return undefined;
  }
  return Number(t);
}

/** Empty text -> undefined (or null when the schema wants null for "not set"). */
export function optionalText(text: string): string | undefined {
  const t = text.trim();
  return t === "" ? undefined : t;
}
