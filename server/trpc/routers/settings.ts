import { RetentionSettingsSchema } from "../../services/retention";
import { operatorProcedure, router } from "../init";

export const settingsRouter = router({
  retention: operatorProcedure.query(({ ctx }) => ctx.services.settings.retention()),
  saveRetention: operatorProcedure.input(RetentionSettingsSchema).mutation(({ ctx, input }) => ctx.services.settings.saveRetention(input, ctx.actor)),
});
