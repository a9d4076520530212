import * as agents from "@/server/services/agents";
import * as hosts from "@/server/services/hosts";
import { enrollResultDto, hostIdInput } from "@/shared/revisions";
import { byIdInput, hostCreateInput, hostDto, hostUpdateInput, okDto } from "@/shared/cluster";
import { z } from "zod";
import { adminProcedure, operatorProcedure, router, viewerProcedure } from "../init";

export const hostsRouter = router({
  list: viewerProcedure.output(z.array(hostDto)).query(({ ctx }) => hosts.listHosts(ctx.db)),
  get: viewerProcedure
    .input(byIdInput)
    .output(hostDto)
    .query(({ ctx, input }) => hosts.getHost(ctx.db, input.id)),
  create: operatorProcedure
    .input(hostCreateInput)
    .output(hostDto)
    .mutation(({ ctx, input }) => hosts.createHost(ctx, input)),
  update: operatorProcedure
    .input(hostUpdateInput)
    .output(hostDto)
    .mutation(({ ctx, input }) => hosts.updateHost(ctx, input)),
  /** Refused while the host directs a cluster or is a real server. */
  delete: operatorProcedure
    .input(byIdInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await hosts.deleteHost(ctx, input.id);
      return { ok: true as const };
    }),
  /** One-time enrollment token (1 h, shown once) and the copy-paste install command for the host. */
  enroll: adminProcedure
    .input(hostIdInput)
    .output(enrollResultDto)
    .mutation(({ ctx, input }) => agents.enrollHost({ ...ctx, panelUrl: agents.panelBaseUrl(ctx.request.origin) }, input.hostId)),
  /** Revokes the host's agent credential (and unused enrollment tokens); the agent is disconnected. */
  revokeAgent: adminProcedure
    .input(hostIdInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await agents.revokeAgent(ctx, input.hostId);
      return { ok: true as const };
    }),
});
