/** The panel API: every router, one tree. The UI imports the AppRouter type only. */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { createCallerFactory, router } from "./init";
import { agentsRouter } from "./routers/agents";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { clustersRouter, directorsRouter } from "./routers/clusters";
import { drainsRouter, healthRouter } from "./routers/health";
import { hostsRouter } from "./routers/hosts";
import { revisionsRouter } from "./routers/revisions";
import { realServersRouter, servicesRouter } from "./routers/services";
import { statsRouter } from "./routers/stats";
import { tokensRouter, usersRouter } from "./routers/users";

export const appRouter = router({
  auth: authRouter,
  clusters: clustersRouter,
  directors: directorsRouter,
  services: servicesRouter,
  realServers: realServersRouter,
  hosts: hostsRouter,
  users: usersRouter,
  tokens: tokensRouter,
  audit: auditRouter,
  revisions: revisionsRouter,
  agents: agentsRouter,
  stats: statsRouter,
  health: healthRouter,
  drains: drainsRouter,
});

export type AppRouter = typeof appRouter;
export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export const createCaller = createCallerFactory(appRouter);
