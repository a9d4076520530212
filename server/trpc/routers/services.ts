import * as vs from "@/server/services/virtual-services";
import {
  byIdInput,
  okDto,
  realServerCreateInput,
  realServerDto,
  realServerUpdateInput,
  virtualServiceCreateInput,
  virtualServiceDto,
  virtualServiceListInput,
  virtualServicePageDto,
  virtualServiceUpdateInput,
} from "@/shared/cluster";
import { operatorProcedure, router, viewerProcedure } from "../init";

const ok = { ok: true as const };

export const servicesRouter = router({
  /** One page of a cluster's virtual services (VIP order) with their real servers nested. */
  list: viewerProcedure
    .input(virtualServiceListInput)
    .output(virtualServicePageDto)
    .query(({ ctx, input }) => vs.listServices(ctx.db, input)),
  get: viewerProcedure
    .input(byIdInput)
    .output(virtualServiceDto)
    .query(({ ctx, input }) => vs.getService(ctx.db, input.id)),
  /** Creates a service, optionally with its real servers (all or nothing). */
  create: operatorProcedure
    .input(virtualServiceCreateInput)
    .output(virtualServiceDto)
    .mutation(({ ctx, input }) => vs.createService(ctx, input)),
  /** Partial update: omitted fields keep their values; the merged service is validated as a whole. */
  update: operatorProcedure
    .input(virtualServiceUpdateInput)
    .output(virtualServiceDto)
    .mutation(({ ctx, input }) => vs.updateService(ctx, input)),
  delete: operatorProcedure
    .input(byIdInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await vs.deleteService(ctx, input.id);
      return ok;
    }),
});

export const realServersRouter = router({
  create: operatorProcedure
    .input(realServerCreateInput)
    .output(realServerDto)
    .mutation(({ ctx, input }) => vs.createRealServer(ctx, input)),
  /** Partial update, e.g. { id, weight }. */
  update: operatorProcedure
    .input(realServerUpdateInput)
    .output(realServerDto)
    .mutation(({ ctx, input }) => vs.updateRealServer(ctx, input)),
  delete: operatorProcedure
    .input(byIdInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await vs.deleteRealServer(ctx, input.id);
      return ok;
    }),
});
