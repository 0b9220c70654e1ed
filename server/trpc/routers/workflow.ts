import { z } from "zod";
import { CreateWorkflowInput, SaveDraftInput } from "../../services/workflows";
import { operatorProcedure, router } from "../init";

export const workflowRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.workflows.list()),
  get: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.workflows.get(input.id)),
  create: operatorProcedure.input(CreateWorkflowInput).mutation(({ ctx, input }) => ctx.services.workflows.create(input, ctx.actor)),
  saveDraft: operatorProcedure.input(SaveDraftInput).mutation(({ ctx, input }) => ctx.services.workflows.saveDraft(input, ctx.actor)),
});
