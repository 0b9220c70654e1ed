import { z } from "zod";
import { StartRunInput } from "../../services/runs";
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
});
