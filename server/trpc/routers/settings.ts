import { LlmSettingsSchema } from "../../../infra/llm/settings";
import { EgressAllowlistSchema } from "../../../infra/http/allowlist";
import { NotificationSettingsSchema } from "../../../infra/mail/notification-settings";
import { RetentionSettingsSchema } from "../../services/retention";
import { SaveLlmEndpointInput, TestLlmConnectionInput } from "../../services/llm-settings";
import { operatorProcedure, router } from "../init";

import { z } from "zod";

export const settingsRouter = router({
  enginePaused: operatorProcedure.query(({ ctx }) => ctx.services.settings.enginePaused()),
  setEnginePaused: operatorProcedure.input(z.object({ paused: z.boolean() })).mutation(({ ctx, input }) => ctx.services.settings.setEnginePaused(input.paused, ctx.actor)),
  retention: operatorProcedure.query(({ ctx }) => ctx.services.settings.retention()),
  llm: operatorProcedure.query(({ ctx }) => ctx.services.settings.llm()),
  saveLlm: operatorProcedure.input(LlmSettingsSchema).mutation(({ ctx, input }) => ctx.services.settings.saveLlm(input, ctx.actor)),
  /** Stores the LLM endpoint (base URL, write-only key); applies without a restart. */
  saveLlmEndpoint: operatorProcedure.input(SaveLlmEndpointInput).mutation(({ ctx, input }) => ctx.services.settings.saveLlmEndpoint(input, ctx.actor)),
  /** Lists the endpoint's models; the result names what is wrong (key, host, refused connection). */
  testLlmConnection: operatorProcedure.input(TestLlmConnectionInput).mutation(({ ctx, input }) => ctx.services.settings.testLlmConnection(input)),
  notifications: operatorProcedure.query(({ ctx }) => ctx.services.notifications.settings()),
  saveNotifications: operatorProcedure.input(NotificationSettingsSchema).mutation(({ ctx, input }) => ctx.services.notifications.saveSettings(input, ctx.actor)),
  saveRetention: operatorProcedure.input(RetentionSettingsSchema).mutation(({ ctx, input }) => ctx.services.settings.saveRetention(input, ctx.actor)),
  /** Destinations http.request may reach although they are private or loopback. */
  egressAllowlist: operatorProcedure.query(({ ctx }) => ctx.services.settings.egressAllowlist()),
  saveEgressAllowlist: operatorProcedure.input(EgressAllowlistSchema).mutation(({ ctx, input }) => ctx.services.settings.saveEgressAllowlist(input, ctx.actor)),
});
