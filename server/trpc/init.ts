/**
 * tRPC building blocks: error format, CSRF check, and role-checked procedures.
 *
 * Error format (every error): the standard tRPC shape, with
 *   data.code            tRPC code (BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, TOO_MANY_REQUESTS, …)
 *   data.fieldErrors     { "port": ["…"], "realServers.1.address": ["…"] } or null
 *   data.retryAfterSeconds  for TOO_MANY_REQUESTS, else null
 * Input validation failures are BAD_REQUEST with fieldErrors from the zod issues.
 */
import { ConstraintError } from "@/server/repositories/db";
import { ServiceError } from "@/server/services/errors";
import { issuesToFieldErrors, roleAtLeast, type FieldErrors, type Role } from "@/shared/cluster";
import { TRPCError, initTRPC } from "@trpc/server";
import { ZodError } from "zod";
import type { Context } from "./context";

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    let fieldErrors: FieldErrors | null = null;
    let retryAfterSeconds: number | null = null;
    let message = shape.message;
    const cause = error.cause;
    if (cause instanceof ZodError) {
      fieldErrors = issuesToFieldErrors(cause.issues);
      const first = Object.values(fieldErrors)[0]?.[0];
      message = first ?? "Please correct the highlighted fields";
    } else if (cause instanceof ServiceError) {
      fieldErrors = cause.fieldErrors;
      retryAfterSeconds = cause.retryAfterSeconds;
    }
    if (error.code === "INTERNAL_SERVER_ERROR" && process.env.NODE_ENV === "production") {
      message = "Internal error; see the panel log";
    }
    return { ...shape, message, data: { ...shape.data, fieldErrors, retryAfterSeconds } };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const mergeRouters = t.mergeRouters;

/** Maps service and constraint errors to tRPC errors (keeping the cause for the formatter). */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof ServiceError) {
      throw new TRPCError({ code: cause.code, message: cause.message, cause });
    }
    if (cause instanceof ConstraintError) {
      const message =
        cause.kind === "unique"
          ? "This conflicts with an existing entry; reload and try again"
          : cause.kind === "foreignKey"
            ? "Still in use elsewhere; remove the references first"
            : "Not found";
      throw new TRPCError({ code: cause.kind === "notFound" ? "NOT_FOUND" : "CONFLICT", message, cause });
    }
  }
  return result;
});

/**
 * CSRF: a mutation carried by a browser must be same-origin. Bearer-token
 * requests are exempt (no ambient credentials). A request without Origin and
 * Sec-Fetch-Site (not a browser) may not use a session cookie for a mutation.
 */
const csrfCheck = t.middleware(({ ctx, type, next }) => {
  if (type === "mutation" && ctx.actor?.via !== "token") {
    const { sameOrigin, sessionToken } = ctx.request;
    if (sameOrigin === false || (sameOrigin === null && sessionToken !== null)) {
      throw new TRPCError({ code: "FORBIDDEN", message: "Cross-site request refused" });
    }
  }
  return next();
});

export const publicProcedure = t.procedure.use(errorMapping).use(csrfCheck);

function requireRole(minimum: Role) {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.actor) {
      throw new TRPCError({ code: "UNAUTHORIZED", message: ctx.authProblem ?? "Sign in first" });
    }
    if (!roleAtLeast(ctx.actor.role, minimum)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `This needs the ${minimum} role; you are ${ctx.actor.role === "admin" ? "an" : "a"} ${ctx.actor.role}`,
      });
    }
    return next({ ctx: { ...ctx, actor: ctx.actor } });
  });
}

/** Any signed-in user or token: reads. */
export const viewerProcedure = publicProcedure.use(requireRole("viewer"));
/** Operators and admins: edit clusters and hosts. */
export const operatorProcedure = publicProcedure.use(requireRole("operator"));
/** Admins: users and API tokens. */
export const adminProcedure = publicProcedure.use(requireRole("admin"));
