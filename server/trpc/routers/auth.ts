import { z } from "zod";
import { clearedSessionCookie, deviceCookie, sessionCookie } from "../../http/cookies";
import { operatorProcedure, publicProcedure, router } from "../init";

export const authRouter = router({
  status: publicProcedure.query(async ({ ctx }) => ({
    ...(await ctx.services.auth.status()),
    signedIn: ctx.principal.kind !== "none",
  })),

  login: publicProcedure.input(z.object({ password: z.string().max(1024) })).mutation(async ({ ctx, input }) => {
    const session = await ctx.services.auth.login(input, ctx.client);
    ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, ctx.services.config.publicUrl));
    ctx.resHeaders.append("set-cookie", deviceCookie(session.device, ctx.services.config.publicUrl));
    return { ok: true as const };
  }),

  setup: publicProcedure
    .input(z.object({ token: z.string().max(200), password: z.string().max(1024) }))
    .mutation(async ({ ctx, input }) => {
      const session = await ctx.services.auth.setup(input, ctx.client);
      ctx.resHeaders.append("set-cookie", sessionCookie(session.token, session.expiresAt, ctx.services.config.publicUrl));
      ctx.resHeaders.append("set-cookie", deviceCookie(session.device, ctx.services.config.publicUrl));
    ctx.resHeaders.append("set-cookie", deviceCookie(session.device, ctx.services.config.publicUrl));
      return { ok: true as const };
    }),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    await ctx.services.auth.logout(ctx.sessionToken);
    ctx.resHeaders.append("set-cookie", clearedSessionCookie(ctx.services.config.publicUrl));
    return { ok: true as const };
  }),

  tokens: router({
    list: operatorProcedure.query(({ ctx }) => ctx.services.auth.listApiTokens()),
    create: operatorProcedure.input(z.object({ name: z.string() })).mutation(({ ctx, input }) => ctx.services.auth.createApiToken(input, ctx.actor)),
    revoke: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.auth.revokeApiToken(input.id, ctx.actor)),
  }),
});
