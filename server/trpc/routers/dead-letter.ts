import { z } from "zod";
import { SkipInput } from "../../services/dead-letters";
import { operatorProcedure, router } from "../init";

export const deadLetterRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.deadLetters.list()),
  /** Each open dead letter with its packet, step, error kind and keys, for the review page. */
  inbox: operatorProcedure.query(({ ctx }) => ctx.services.deadLetterInbox()),
  retry: operatorProcedure
    .input(z.object({ id: z.string().min(1), config: z.record(z.string(), z.unknown()).optional() }))
    .mutation(({ ctx, input }) => ctx.services.deadLetters.retry(input.id, ctx.actor, input.config ? { config: input.config } : undefined)),
  retryMany: operatorProcedure.input(z.object({ ids: z.array(z.string().min(1)).min(1).max(500) })).mutation(({ ctx, input }) => ctx.services.deadLetters.retryMany(input.ids, ctx.actor)),
  skip: operatorProcedure.input(SkipInput).mutation(({ ctx, input }) => ctx.services.deadLetters.skip(input, ctx.actor)),
  cancel: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.deadLetters.cancel(input.id, ctx.actor)),
});
