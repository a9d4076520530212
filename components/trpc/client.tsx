"use client";
/**
 * tRPC + TanStack Query for client components: `useTRPC()` gives typed
 * queryOptions/mutationOptions for every procedure of the server's AppRouter.
 * Plain JSON transport (no transformer): dates arrive as ISO strings.
 */
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "@/server/trpc/root";

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

function errorCode(error: unknown): string | undefined {
  return (error as { data?: { code?: string } } | null)?.data?.code;
}

/**
 * A read refused as UNAUTHORIZED means the session ended (expired, signed out
 * elsewhere, user disabled): go to sign-in and come back here afterwards.
 */
function onQueryError(error: unknown) {
  if (errorCode(error) !== "UNAUTHORIZED" || typeof window === "undefined") return;
  const here = window.location.pathname + window.location.search;
  if (here.startsWith("/login") || here.startsWith("/setup")) return;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/** Query key prefix of revisions.status (tRPC keys are [path, {input, type}]). */
const REVISION_STATUS_KEY = [["revisions", "status"]];

function makeQueryClient() {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: onQueryError }),
    // Any change may add to (or resolve) "changes not applied": re-read the status bars on screen.
    mutationCache: new MutationCache({ onSuccess: () => client.invalidateQueries({ queryKey: REVISION_STATUS_KEY }) }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: false,
        retry: (failureCount, error) => {
          const code = errorCode(error);
          if (code === "UNAUTHORIZED" || code === "FORBIDDEN" || code === "NOT_FOUND" || code === "BAD_REQUEST") return false;
          return failureCount < 2;
        },
      },
    },
  });
  return client;
}

export function TrpcProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: "/api/trpc" })],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
