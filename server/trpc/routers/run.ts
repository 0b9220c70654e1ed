import { z } from "zod";
import { SkipInput } from "../../services/dead-letters";
import { EventPageInput, RunListInput } from "../../services/run-history";
import { DecideInput, StartRunInput } from "../../services/runs";
import { operatorProcedure, router } from "../init";

export const runRouter = router({
  start: operatorProcedure.input(StartRunInput).mutation(({ ctx, input }) => ctx.services.runs.start(input, ctx.actor)),
  get: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.runs.get(input.id)),
  control: operatorProcedure
    .input(z.object({ id: z.string().min(1), action: z.enum(["cancel", "pause", "resume"]) }))
    .mutation(({ ctx, input }) => ctx.services.runs.control(input, ctx.actor)),
  fork: operatorProcedure
    .input(z.object({ id: z.string().min(1), seq: z.number().int().positive().optional(), input: z.unknown().optional() }))
    .mutation(({ ctx, input }) => ctx.services.runs.fork(input, ctx.actor)),
  retryFromStart: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.runs.retryFromStart(input.id, ctx.actor)),
  costByWorkflow: operatorProcedure.query(({ ctx }) => ctx.services.runs.costByWorkflow()),
  events: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.runs.events(input.id)),
  list: operatorProcedure.input(RunListInput).query(({ ctx, input }) => ctx.services.runHistory.list(input)),
  statuses: operatorProcedure.input(z.object({ ids: z.array(z.string().min(1)).max(500) })).query(({ ctx, input }) => ctx.services.runHistory.statuses(input.ids)),
  inputForm: operatorProcedure.input(z.object({ workflow: z.string().min(1) })).query(({ ctx, input }) => ctx.services.runHistory.inputForm(input.workflow)),
  listFilters: operatorProcedure.query(({ ctx }) => ctx.services.runHistory.filters()),
  replay: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.runHistory.replay(input.id)),
  eventPage: operatorProcedure.input(EventPageInput).query(({ ctx, input }) => ctx.services.runHistory.eventPage(input)),
  checkpointPage: operatorProcedure.input(EventPageInput).query(({ ctx, input }) => ctx.services.runHistory.checkpointPage(input)),
});

export const approvalRouter = router({
  pending: operatorProcedure.query(({ ctx }) => ctx.services.runs.pendingApprovals()),
  decide: operatorProcedure.input(DecideInput).mutation(({ ctx, input }) => ctx.services.runs.decide(input, ctx.actor)),
});

export const deadLetterRouter = router({
  list: operatorProcedure.query(({ ctx }) => ctx.services.deadLetters.list()),
  retry: operatorProcedure
    .input(z.object({ id: z.string().min(1), config: z.record(z.string(), z.unknown()).optional() }))
    .mutation(({ ctx, input }) => ctx.services.deadLetters.retry(input.id, ctx.actor, input.config ? { config: input.config } : undefined)),
  retryMany: operatorProcedure.input(z.object({ ids: z.array(z.string().min(1)).min(1).max(500) })).mutation(({ ctx, input }) => ctx.services.deadLetters.retryMany(input.ids, ctx.actor)),
  skip: operatorProcedure.input(SkipInput).mutation(({ ctx, input }) => ctx.services.deadLetters.skip(input, ctx.actor)),
  cancel: operatorProcedure.input(z.object({ id: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.deadLetters.cancel(input.id, ctx.actor)),
});
