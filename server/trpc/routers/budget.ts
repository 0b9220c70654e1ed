import { SetBudgetInput } from "../../services/budgets";
import { operatorProcedure, router } from "../init";

export const budgetRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.budgets.list()),
  set: operatorProcedure.input(SetBudgetInput).mutation(({ ctx, input }) => ctx.services.budgets.set(input, ctx.actor)),
});
