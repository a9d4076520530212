import * as auth from "@/server/services/auth";
import { authStatusDto, changePasswordInput, loginInput, okDto, sessionUserDto, setupInput } from "@/shared/cluster";
import { clearedSessionCookie, sessionCookie } from "../request-info";
import { publicProcedure, router, viewerProcedure } from "../init";

export const authRouter = router({
  /** Public: whether first-run setup is needed, and who is signed in. */
  status: publicProcedure.output(authStatusDto).query(({ ctx }) => auth.authStatus(ctx.db, ctx.actor)),

  /** Public, only while no user exists: creates the admin and signs in. */
  setup: publicProcedure
    .input(setupInput)
    .output(sessionUserDto)
    .mutation(async ({ ctx, input }) => {
      const result = await auth.setup(ctx.db, input, ctx.request);
      ctx.resHeaders.append("Set-Cookie", sessionCookie(result.sessionToken, ctx.request.secure));
      return result.user;
    }),

  login: publicProcedure
    .input(loginInput)
    .output(sessionUserDto)
    .mutation(async ({ ctx, input }) => {
      const result = await auth.login(ctx.db, input, ctx.request);
      ctx.resHeaders.append("Set-Cookie", sessionCookie(result.sessionToken, ctx.request.secure));
      return result.user;
    }),

  logout: viewerProcedure.output(okDto).mutation(async ({ ctx }) => {
    await auth.logout(ctx.db, ctx.actor);
    ctx.resHeaders.append("Set-Cookie", clearedSessionCookie(ctx.request.secure));
    return { ok: true as const };
  }),

  me: viewerProcedure.output(sessionUserDto).query(({ ctx }) => auth.sessionUserOf(ctx.actor)),

  /** Ends the user's other sessions. */
  changePassword: viewerProcedure
    .input(changePasswordInput)
    .output(okDto)
    .mutation(async ({ ctx, input }) => {
      await auth.changePassword(ctx.db, ctx.actor, input);
      return { ok: true as const };
    }),
});
