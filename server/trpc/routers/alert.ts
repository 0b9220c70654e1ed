import { z } from "zod";
import { operatorProcedure, router } from "../init";

// Inputs are checked by the service's zod schema, so its messages name the field.
export const alertRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.alerts.list()),
  create: operatorProcedure.input(z.unknown()).mutation(({ ctx, input }) => ctx.services.alerts.create(input, ctx.actor)),
  update: operatorProcedure
    .input(z.object({ id: z.string().min(1), rule: z.unknown() }))
    .mutation(({ ctx, input }) => ctx.services.alerts.update(input.id, input.rule, ctx.actor)),
  remove: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.alerts.remove(input.id, ctx.actor)),
});
