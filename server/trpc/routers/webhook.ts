import { z } from "zod";
import { operatorProcedure, router } from "../init";

export const webhookRouter = router({
  rotateSecret: operatorProcedure
    .input(z.object({ workflowId: z.string().min(1) }))
    .mutation(({ ctx, input }) => ctx.services.webhooks.rotateSigningSecret(input.workflowId, ctx.actor)),
});
