import { z } from "zod";
import { RunStepInput, SaveTestInput, StartTestRunInput } from "../../services/test-runs";
import { operatorProcedure, router } from "../init";

const RunRef = z.object({ runId: z.string().min(1) });

export const testRunRouter = router({
  preflight: operatorProcedure
    .input(z.object({ id: z.string().min(1), emailToOutbox: z.boolean().optional() }))
    .query(({ ctx, input }) => ctx.services.testRuns.preflight(input)),
  saveInput: operatorProcedure.input(SaveTestInput).mutation(({ ctx, input }) => ctx.services.testRuns.saveInput(input, ctx.actor)),
  start: operatorProcedure.input(StartTestRunInput).mutation(({ ctx, input }) => ctx.services.testRuns.start(input, ctx.actor)),
  runStep: operatorProcedure.input(RunStepInput).mutation(({ ctx, input }) => ctx.services.testRuns.runStep(input, ctx.actor)),
  latest: operatorProcedure.input(z.object({ workflowId: z.string().min(1) })).query(({ ctx, input }) => ctx.services.testRuns.latest(input.workflowId)),
  detail: operatorProcedure.input(RunRef).query(({ ctx, input }) => ctx.services.testRuns.detail(input.runId)),
  skipWait: operatorProcedure.input(RunRef).mutation(({ ctx, input }) => ctx.services.testRuns.skipWait(input.runId, ctx.actor)),
});
