import { z } from "zod";
import { RetryInput, SkipInput } from "../../services/dead-letters";
import { operatorProcedure, router } from "../init";

export const deadLetterRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.deadLetters.list()),
  /** Each open dead letter with its packet, step, error kind and keys, for the review page. */
  inbox: operatorProcedure.query(({ ctx }) => ctx.services.deadLetterInbox()),
  /** Unchanged (same key), or with the run's input and/or the step's config edited (a new key). */
  retry: operatorProcedure.input(RetryInput).mutation(({ ctx, input: { id, ...edit } }) => ctx.services.deadLetters.retry(id, ctx.actor, edit)),
  retryMany: operatorProcedure.input(z.object({ ids: z.array(z.string().min(1)).min(1).max(500) })).mutation(({ ctx, input }) => ctx.services.deadLetters.retryMany(input.ids, ctx.actor)),
  skip: operatorProcedure.input(SkipInput).mutation(({ ctx, input }) => ctx.services.deadLetters.skip(input, ctx.actor)),
  cancel: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.deadLetters.cancel(input.id, ctx.actor)),
});
