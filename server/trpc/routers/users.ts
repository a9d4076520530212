import * as users from "@/server/services/users";
import {
  apiTokenDto,
  byIdInput,
  createdApiTokenDto,
  okDto,
  tokenCreateInput,
  userCreateInput,
  userDto,
  userUpdateInput,
} from "@/shared/cluster";
import { z } from "zod";
import { adminProcedure, router } from "../init";

export const usersRouter = router({
  list: adminProcedure.output(z.array(userDto)).query(({ ctx }) => users.listUsers(ctx.db)),
  create: adminProcedure
    .input(userCreateInput)
    .output(userDto)
    .mutation(({ ctx, input }) => users.createUser(ctx, input)),
  /** Role, disabled, or a password reset. The last active admin cannot be demoted or disabled. */
  update: adminProcedure
    .input(userUpdateInput)
    .output(userDto)
    .mutation(({ ctx, input }) => users.updateUser(ctx, input)),
  /** Refused for yourself and for the last active admin. */
  delete: adminProcedure
    .input(byIdInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await users.deleteUser(ctx, input.id);
      return { ok: true as const };
    }),
});

export const tokensRouter = router({
  list: adminProcedure.output(z.array(apiTokenDto)).query(({ ctx }) => users.listTokens(ctx.db)),
  /** Returns the secret once; only its hash is stored. */
  create: adminProcedure
    .input(tokenCreateInput)
    .output(createdApiTokenDto)
    .mutation(({ ctx, input }) => users.createToken(ctx, input)),
  revoke: adminProcedure
    .input(byIdInput)
    .output(apiTokenDto)
    .mutation(({ ctx, input }) => users.revokeToken(ctx, input.id)),
});
