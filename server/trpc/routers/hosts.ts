import * as hosts from "@/server/services/hosts";
import { byIdInput, hostCreateInput, hostDto, hostUpdateInput, okDto } from "@/shared/cluster";
import { z } from "zod";
import { operatorProcedure, router, viewerProcedure } from "../init";

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
});
