import { publicProcedure, router } from "./init";
import { alertRouter } from "./routers/alert";
import { auditRouter } from "./routers/audit";
import { budgetRouter } from "./routers/budget";
import { credentialRouter } from "./routers/credential";
import { formRouter } from "./routers/form";
import { intentRouter } from "./routers/intent";
import { authRouter } from "./routers/auth";
import { approvalRouter } from "./routers/approval";
import { approvalLinkRouter } from "./routers/approval-link";
import { deadLetterRouter } from "./routers/dead-letter";
import { runRouter } from "./routers/run";
import { memoryRouter } from "./routers/memory";
import { metricsRouter } from "./routers/metrics";
import { notificationRouter } from "./routers/notification";
import { outboxRouter } from "./routers/outbox";
import { scheduleRouter } from "./routers/schedule";
import { settingsRouter } from "./routers/settings";
import { testRunRouter } from "./routers/test-run";
import { versionRouter } from "./routers/version";
import { backtestRouter } from "./routers/backtest";
import { webhookRouter } from "./routers/webhook";
import { workflowRouter } from "./routers/workflow";

export const appRouter = router({
  health: publicProcedure.query(({ ctx }) => ctx.services.health()),
  alert: alertRouter,
  auth: authRouter,
  budget: budgetRouter,
  approval: approvalRouter,
  approvalLink: approvalLinkRouter,
  run: runRouter,
  deadLetter: deadLetterRouter,
  form: formRouter,
  intent: intentRouter,
  audit: auditRouter,
  credential: credentialRouter,
  memory: memoryRouter,
  metrics: metricsRouter,
  notification: notificationRouter,
  outbox: outboxRouter,
  schedule: scheduleRouter,
  settings: settingsRouter,
  testRun: testRunRouter,
  version: versionRouter,
  backtest: backtestRouter,
  webhook: webhookRouter,
  workflow: workflowRouter,
});

export type AppRouter = typeof appRouter;
