/** Errors the services raise; the tRPC layer maps them to tRPC error codes with field errors. */
import { issuesToFieldErrors, type FieldErrors, type FieldIssue } from "@/shared/cluster";

export type ServiceErrorCode = "BAD_REQUEST" | "UNAUTHORIZED" | "FORBIDDEN" | "NOT_FOUND" | "CONFLICT" | "TOO_MANY_REQUESTS";

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    /** Field path → messages, so the UI can show them under the fields. */
    readonly fieldErrors: FieldErrors | null = null,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

export const FIX_FIELDS = "Please correct the highlighted fields";

/** Invalid input: field-level issues (nothing was changed). */
export function invalid(issues: FieldIssue[] | FieldErrors, message = FIX_FIELDS): ServiceError {
  const fieldErrors = Array.isArray(issues) ? issuesToFieldErrors(issues) : issues;
  const first = Object.values(fieldErrors)[0]?.[0];
  return new ServiceError("BAD_REQUEST", message === FIX_FIELDS && first ? first : message, fieldErrors);
}

/** Conflicts with what is stored (duplicates, in use). */
export function conflict(field: string | null, message: string): ServiceError {
  return new ServiceError("CONFLICT", message, field ? { [field]: [message] } : null);
}

export function notFound(what: string): ServiceError {
  return new ServiceError("NOT_FOUND", `${what} not found`);
}

export function forbidden(message: string): ServiceError {
  return new ServiceError("FORBIDDEN", message);
}
