import { z } from "zod";
import { AlertRuleInput } from "../../services/alerts";
import { operatorProcedure, router } from "../init";

export const alertRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.alerts.list()),
  create: operatorProcedure.input(AlertRuleInput).mutation(({ ctx, input }) => ctx.services.alerts.create(input, ctx.actor)),
  update: operatorProcedure.input(z.object({ id: z.string().min(1), rule: AlertRuleInput })).mutation(({ ctx, input }) => ctx.services.alerts.update(input.id, input.rule, ctx.actor)),
  remove: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.alerts.remove(input.id, ctx.actor)),
});
