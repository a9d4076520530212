/**
 * For server components and route handlers: the signed-in user of the
 * current request (session cookie or bearer token, via next/headers), or null.
 */
import { getDatabase } from "@/server/db";
import { authStatus, resolveAuth, sessionUserOf } from "@/server/services/auth";
import { requestInfoFromHeaders } from "@/server/trpc/request-info";
import type { SessionUser } from "@/shared/cluster";
import { headers } from "next/headers";

export type { SessionUser };

export async function getCurrentUser(): Promise<SessionUser | null> {
  const request = requestInfoFromHeaders(await headers());
  const auth = await resolveAuth(await getDatabase(), request);
  return auth.actor ? sessionUserOf(auth.actor) : null;
}

/** True while no user exists (first run: show the setup page). */
export async function needsSetup(): Promise<boolean> {
  return (await authStatus(await getDatabase(), null)).needsSetup;
}
