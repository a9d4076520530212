import * as agents from "@/server/services/agents";
import { hostIdInput, repairResultDto } from "@/shared/revisions";
import { operatorProcedure, router } from "../init";

export const agentsRouter = router({
  /** Asks the host's agent to reconcile its current desired state now (removes drift). */
  repair: operatorProcedure
    .input(hostIdInput)
    .output(repairResultDto)
    .mutation(({ ctx, input }) => agents.repairHost(ctx, input.hostId)),
});
