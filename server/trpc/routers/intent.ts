import { z } from "zod";
import { IntentRoutingSettingsSchema } from "../../intents/settings";
import { IntentInput } from "../../intents/service";
import { operatorProcedure, router } from "../init";

// The coordinator: submit a request (an API token's is source "api", the app's form "form"),
// the intents list and the triage queue, the operator's choice, "Try it", routing settings.
export const intentRouter = router({
  submit: operatorProcedure
    .input(IntentInput)
    .mutation(({ ctx, input }) => ctx.services.intents.submit(ctx.principal.kind === "token" ? "api" : "form", input, { actor: ctx.actor })),
  list: operatorProcedure
    .input(z.object({ status: z.enum(["routed", "triage"]).optional(), limit: z.number().int().min(1).max(200).default(50), before: z.string().optional() }))
    .query(({ ctx, input }) => ctx.services.intents.list(input)),
  /** The intent behind a run (null when it was not started by one): shown in the run's replay. */
  forRun: operatorProcedure.input(z.object({ runId: z.string().min(1) })).query(({ ctx, input }) => ctx.services.intents.forRun(input.runId)),
  get: operatorProcedure.input(z.object({ id: z.string().min(1) })).query(({ ctx, input }) => ctx.services.intents.get(input.id)),
  /** The triage queue, shaped for the approval queue: each intent with the router's guesses and the workflows to choose from. */
  triage: operatorProcedure.input(z.object({ limit: z.number().int().min(1).max(200).default(100) }).default({ limit: 100 })).query(({ ctx, input }) => ctx.services.intents.triage(input.limit)),
  choose: operatorProcedure
    .input(z.object({ id: z.string().min(1), workflow: z.string().min(1, "is required") }))
    .mutation(({ ctx, input }) => ctx.services.intents.choose(input, ctx.actor)),
  targets: operatorProcedure.query(({ ctx }) => ctx.services.intents.targets()),
  tryWorkflow: operatorProcedure.input(z.object({ workflow: z.string().min(1) })).mutation(({ ctx, input }) => ctx.services.intents.tryWorkflow(input.workflow, ctx.actor)),
  routing: operatorProcedure.query(({ ctx }) => ctx.services.settings.intentRouting()),
  saveRouting: operatorProcedure.input(IntentRoutingSettingsSchema).mutation(({ ctx, input }) => ctx.services.settings.saveIntentRouting(input, ctx.actor)),
  rotateSigningSecret: operatorProcedure.mutation(({ ctx }) => ctx.services.intentIntake.rotateSigningSecret(ctx.actor)),
});
