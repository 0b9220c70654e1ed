import { NotificationSettingsSchema } from "../../../nodes/notify/settings";
import { RetentionSettingsSchema } from "../../services/retention";
import { operatorProcedure, router } from "../init";

import { z } from "zod";

export const settingsRouter = router({
  enginePaused: operatorProcedure.query(({ ctx }) => ctx.services.settings.enginePaused()),
  setEnginePaused: operatorProcedure.input(z.object({ paused: z.boolean() })).mutation(({ ctx, input }) => ctx.services.settings.setEnginePaused(input.paused, ctx.actor)),
  retention: operatorProcedure.query(({ ctx }) => ctx.services.settings.retention()),
  notifications: operatorProcedure.query(({ ctx }) => ctx.services.notifications.settings()),
  saveNotifications: operatorProcedure.input(NotificationSettingsSchema).mutation(({ ctx, input }) => ctx.services.notifications.saveSettings(input, ctx.actor)),
  saveRetention: operatorProcedure.input(RetentionSettingsSchema).mutation(({ ctx, input }) => ctx.services.settings.saveRetention(input, ctx.actor)),
});
