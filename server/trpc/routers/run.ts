import { z } from "zod";
import { EventPageInput, RunListInput } from "../../services/run-history";
import { StartRunInput } from "../../services/runs";
import { RunChangeFilter, watchRunChanges } from "../../services/run-changes";
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
  /** Live: a notice per change to the runs the filter names (all runs without one), over SSE. */
  onChange: operatorProcedure.input(RunChangeFilter.optional()).subscription(async function* ({ ctx, input, signal }) {
    yield* watchRunChanges(ctx.services.runChanges, input ?? {}, signal);
  }),
  events: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.runs.events(input.id)),
  list: operatorProcedure.input(RunListInput).query(({ ctx, input }) => ctx.services.runHistory.list(input)),
  statuses: operatorProcedure.input(z.object({ ids: z.array(z.string().min(1)).max(500) })).query(({ ctx, input }) => ctx.services.runHistory.statuses(input.ids)),
  inputForm: operatorProcedure.input(z.object({ workflow: z.string().min(1) })).query(({ ctx, input }) => ctx.services.runHistory.inputForm(input.workflow)),
  listFilters: operatorProcedure.query(({ ctx }) => ctx.services.runHistory.filters()),
  replay: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.runHistory.replay(input.id)),
  eventPage: operatorProcedure.input(EventPageInput).query(({ ctx, input }) => ctx.services.runHistory.eventPage(input)),
  checkpointPage: operatorProcedure.input(EventPageInput).query(({ ctx, input }) => ctx.services.runHistory.checkpointPage(input)),
});
