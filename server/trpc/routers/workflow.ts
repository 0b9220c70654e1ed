import { z } from "zod";
import { CreateFromTemplateInput, CreateWorkflowInput, ListWorkflowsInput, RenameWorkflowInput, SaveDraftInput, workflowTemplates } from "../../services/workflows";
import { operatorProcedure, router } from "../init";

const Ref = z.object({ id: z.string().min(1) });

export const workflowRouter = router({
  list: operatorProcedure.input(ListWorkflowsInput.optional()).query(({ ctx, input }) => ctx.services.workflows.list(input)),
  templates: operatorProcedure.query(() => workflowTemplates()),
  createFromTemplate: operatorProcedure.input(CreateFromTemplateInput).mutation(({ ctx, input }) => ctx.services.workflows.createFromTemplate(input, ctx.actor)),
  rename: operatorProcedure.input(RenameWorkflowInput).mutation(({ ctx, input }) => ctx.services.workflows.rename(input, ctx.actor)),
  duplicate: operatorProcedure.input(Ref).mutation(({ ctx, input }) => ctx.services.workflows.duplicate(input.id, ctx.actor)),
  setArchived: operatorProcedure.input(Ref.extend({ archived: z.boolean() })).mutation(({ ctx, input }) => ctx.services.workflows.setArchived(input, ctx.actor)),
  delete: operatorProcedure.input(Ref).mutation(({ ctx, input }) => ctx.services.workflows.remove(input.id, ctx.actor)),
  get: operatorProcedure.input(Ref).query(({ ctx, input }) => ctx.services.workflows.get(input.id)),
  create: operatorProcedure.input(CreateWorkflowInput).mutation(({ ctx, input }) => ctx.services.workflows.create(input, ctx.actor)),
  saveDraft: operatorProcedure.input(SaveDraftInput).mutation(({ ctx, input }) => ctx.services.workflows.saveDraft(input, ctx.actor)),
  setLimits: operatorProcedure
    .input(
      Ref.extend({
        maxConcurrentRuns: z.number().int().min(1, "must be at least 1").max(1000).nullable(),
        maxRunSeconds: z.number().int().min(1, "must be at least 1").max(365 * 24 * 3600).nullable(),
      }),
    )
    .mutation(({ ctx, input }) => ctx.services.workflows.setLimits(input, ctx.actor)),
  validate: operatorProcedure.input(Ref).query(({ ctx, input }) => ctx.services.publishing.validateDraft(input.id)),
  publish: operatorProcedure
    .input(Ref.extend({ notes: z.string().max(2000).optional() }))
    .mutation(({ ctx, input }) => ctx.services.publishing.publish(input, ctx.actor)),
  statechart: operatorProcedure.input(Ref).query(({ ctx, input }) => ctx.services.publishing.statechart(input.id)),
  versions: operatorProcedure.input(Ref).query(({ ctx, input }) => ctx.services.publishing.versions(input.id)),
  setCurrentVersion: operatorProcedure
    .input(Ref.extend({ number: z.number().int().positive() }))
    .mutation(({ ctx, input }) => ctx.services.publishing.setCurrentVersion(input, ctx.actor)),
  export: operatorProcedure.input(Ref).query(({ ctx, input }) => ctx.services.publishing.exportWorkflow(input.id)),
  import: operatorProcedure.input(z.object({ file: z.unknown() })).mutation(({ ctx, input }) => ctx.services.publishing.importWorkflow(input.file, ctx.actor)),
});
