"use client";
/** The cluster's health view, shared by every real-server row of the services table (one query, one live subscription). */
import { createContext, useContext, type ReactNode } from "react";
import { useClusterHealth, type ClusterHealthState } from "./use-cluster-health";

const Ctx = createContext<(ClusterHealthState & { clusterId: string }) | null>(null);

export function ClusterHealthProvider({ clusterId, children }: { clusterId: string; children: ReactNode }) {
  const state = useClusterHealth(clusterId);
  return <Ctx.Provider value={{ ...state, clusterId }}>{children}</Ctx.Provider>;
}

export function useHealthContext() {
  return useContext(Ctx);
}
