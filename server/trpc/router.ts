import { publicProcedure, router } from "./init";
import { alertRouter } from "./routers/alert";
import { auditRouter } from "./routers/audit";
import { budgetRouter } from "./routers/budget";
import { credentialRouter } from "./routers/credential";
import { formRouter } from "./routers/form";
import { authRouter } from "./routers/auth";
import { approvalRouter, deadLetterRouter, runRouter } from "./routers/run";
import { memoryRouter } from "./routers/memory";
import { metricsRouter } from "./routers/metrics";
import { notificationRouter } from "./routers/notification";
import { outboxRouter } from "./routers/outbox";
import { scheduleRouter } from "./routers/schedule";
import { settingsRouter } from "./routers/settings";
import { webhookRouter } from "./routers/webhook";
import { workflowRouter } from "./routers/workflow";

export const appRouter = router({
  health: publicProcedure.query(({ ctx }) => ctx.services.health()),
  alert: alertRouter,
  auth: authRouter,
  budget: budgetRouter,
  approval: approvalRouter,
  run: runRouter,
  deadLetter: deadLetterRouter,
  form: formRouter,
  audit: auditRouter,
  credential: credentialRouter,
  memory: memoryRouter,
  metrics: metricsRouter,
  notification: notificationRouter,
  outbox: outboxRouter,
  schedule: scheduleRouter,
  settings: settingsRouter,
  webhook: webhookRouter,
  workflow: workflowRouter,
});

export type AppRouter = typeof appRouter;
