"use client";
/**
 * The signed-in user, given by the (panel) layout (a server component that
 * checked the session), available to every client component below it.
 * What a role may do is decided on the server; this only hides controls the
 * role cannot use.
 */
import { createContext, useContext, type ReactNode } from "react";

import type { Role } from "@/shared/cluster/constants";
import type { SessionUser } from "@/shared/cluster/dto";
export type { Role };
export type ShellUser = SessionUser;

const SessionContext = createContext<ShellUser | null>(null);

export function SessionProvider({ user, children }: { user: ShellUser; children: ReactNode }) {
  return <SessionContext.Provider value={user}>{children}</SessionContext.Provider>;
}

export function useSessionUser(): ShellUser {
  const user = useContext(SessionContext);
  if (!user) throw new Error("useSessionUser outside the signed-in layout");
  return user;
}

/** operator and admin edit clusters and hosts; viewer only reads. */
export function canEdit(role: Role): boolean {
  return role === "admin" || role === "operator";
}

export function isAdmin(role: Role): boolean {
  return role === "admin";
}

export function useCanEdit(): boolean {
  return canEdit(useSessionUser().role);
}
