import { z } from "zod";
import { CreateWorkflowInput, SaveDraftInput } from "../../services/workflows";
import { publicProcedure, router } from "../init";

export const workflowRouter = router({
  list: publicProcedure.query(({ ctx }) => ctx.services.workflows.list()),
  get: publicProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.workflows.get(input.id)),
  create: publicProcedure.input(CreateWorkflowInput).mutation(({ ctx, input }) => ctx.services.workflows.create(input)),
  saveDraft: publicProcedure.input(SaveDraftInput).mutation(({ ctx, input }) => ctx.services.workflows.saveDraft(input)),
});
