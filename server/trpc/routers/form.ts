import { z } from "zod";
import { SubmitFormInput } from "../../services/forms";
import { operatorProcedure, router } from "../init";

export const formRouter = router({
  get: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.forms.get(input.id)),
  submit: operatorProcedure.input(SubmitFormInput).mutation(({ ctx, input }) => ctx.services.forms.submit(input, ctx.actor)),
  decline: operatorProcedure
    .input(z.object({ id: z.string().min(1), comment: z.string().max(5_000).optional() }))
    .mutation(({ ctx, input }) => ctx.services.forms.decline(input, ctx.actor)),
});
