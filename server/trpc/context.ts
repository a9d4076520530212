/** tRPC context: the database, the request's details and the authenticated actor. */
import { getDatabase, type Database } from "@/server/db";
import type { Actor } from "@/server/services/actor";
import { resolveAuth } from "@/server/services/auth";
import { requestInfoFromHeaders, type RequestInfo } from "./request-info";

export interface Context {
  db: Database;
  request: RequestInfo;
  actor: Actor | null;
  /** Why presented credentials were refused (e.g. revoked token), for the UNAUTHORIZED message. */
  authProblem: string | null;
  /** Response headers (Set-Cookie for login/logout). */
  resHeaders: Headers;
}

export async function createContextFromRequestInfo(
  request: RequestInfo,
  resHeaders: Headers,
  db?: Database,
): Promise<Context> {
  const database = db ?? (await getDatabase());
  const auth = await resolveAuth(database, request);
  return { db: database, request, actor: auth.actor, authProblem: auth.problem, resHeaders };
}

/** Context for an HTTP request (the fetch adapter) or a test's Request. */
export function createContext(opts: { req: Request; resHeaders: Headers; db?: Database }): Promise<Context> {
  return createContextFromRequestInfo(requestInfoFromHeaders(opts.req.headers, opts.req.url), opts.resHeaders, opts.db);
}
