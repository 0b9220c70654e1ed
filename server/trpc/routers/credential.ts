import { z } from "zod";
import { CreateCredentialInput, SetRateLimitInput } from "../../services/credentials";
import { operatorProcedure, router } from "../init";

// Secrets go in, never come out: there is no procedure that returns one.
export const credentialRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.credentials.list()),
  create: operatorProcedure.input(CreateCredentialInput).mutation(({ ctx, input }) => ctx.services.credentials.create(input, ctx.actor)),
  setRateLimit: operatorProcedure.input(SetRateLimitInput).mutation(({ ctx, input }) => ctx.services.credentials.setRateLimit(input, ctx.actor)),
  remove: operatorProcedure.input(z.object({ name: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.credentials.remove(input.name, ctx.actor)),
});
