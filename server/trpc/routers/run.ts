import { z } from "zod";
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
});
