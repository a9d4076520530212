/** The tRPC HTTP endpoint (/api/trpc/*): plain JSON, no transformer. */
import { createContext } from "@/server/trpc/context";
import { appRouter } from "@/server/trpc/root";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

function handler(req: Request) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: ({ req, resHeaders }) => createContext({ req, resHeaders }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"}:`, error.cause ?? error);
    },
    responseMeta({ errors }) {
      const retry = errors
        .map((e) => (e.cause as { retryAfterSeconds?: number | null } | undefined)?.retryAfterSeconds)
        .find((s): s is number => typeof s === "number");
      return retry ? { headers: new Headers({ "Retry-After": String(retry) }) } : {};
    },
  });
}

export { handler as GET, handler as POST };
