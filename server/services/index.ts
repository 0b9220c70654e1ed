import { createHmac } from "node:crypto";
import { migrationsDir as migrationsDirOf } from "../process/paths";
import { hostname } from "node:os";
import { Worker } from "../../engine/runtime/worker";
import { migrate, openDatabase, type Database } from "../../engine/store";
import { authService } from "../auth/service";
import { loadConfig, type KeelConfig } from "../config";
import { errorLine, type Logger } from "../../engine/log";
import { webLogger } from "../log";
import { runtimeDepsFor } from "../runtime";
import { createCipher } from "../secrets/cipher";
import { ensureSecret } from "../secret-key";
import { audit, listAudit } from "./audit";
import { readRetentionSettings, saveRetentionSettings } from "./retention";
import { registry } from "../../nodes/catalog";
import { ENGINE_PAUSED_SETTING, PrismaRunStore } from "../../engine/runtime/prisma-store";
import { resolvedCapabilities } from "./capabilities";
import { credentialService } from "./credentials";
import { llmSettingsService } from "./llm-settings";
import { readEgressAllowlist, saveEgressAllowlist } from "./egress";
import { deadLetterInbox } from "./dead-letter-inbox";
import { deadLetterService } from "./dead-letters";
import { memoryService } from "./memory";
import { metricsService } from "./metrics";
import { alertService } from "./alerts";
import { budgetService } from "./budgets";
import { egressPolicySource } from "./egress";
import { memoryIndexFor } from "../memory/index-for";
import { formService } from "./forms";
import { approvalLinkService } from "./approval-links";
import { approvalService } from "./approvals";
import { autonomyService } from "./autonomy";
import { intentIntake } from "../intents/intake";
import { intentClassifierNow } from "../intents/classifier-for";
import { llmEndpointResolver } from "../llm/endpoint";
import { intentService } from "../intents/service";
import { readIntentRouting, saveIntentRouting } from "../intents/settings";
import { publishingService } from "./publishing";
import { runService } from "./runs";
import { runHistoryService } from "./run-history";
import { runChangeFeed } from "./run-changes";
import { testRunService } from "./test-runs";
import { versionService } from "./versions";
import { backtestService } from "./backtest";
import { schedulerService } from "./scheduler";
import { notificationService, notifierService } from "./notifications";
import { webhookService } from "./webhooks";
import { workflowService } from "./workflows";

// In paths.ts, so the CLI's light commands need not load every service to find it.
export { migrationsDir } from "../process/paths";

export async function createServices(config: KeelConfig, log?: Logger): Promise<Services> {
  await migrate(config.database, migrationsDirOf(config.database.provider));
  return servicesFor(config, await openDatabase(config.database), log ? { log } : {});
}

export function servicesFor(config: KeelConfig, database: Database, { log, ...options }: { now?: () => Date; log?: Logger } = {}) {
  const { db } = database;
  const secret = ensureSecret(config.dataDir, config.secret).secret;
  const cipher = createCipher(secret);
  // Device cookies are signed with a key derived from the master secret, so they survive restarts.
  const deviceKey = createHmac("sha256", secret).update("keel:device-cookie").digest("hex");
  const auth = authService(db, { sessionTtlMs: config.sessionTtlMs, deviceKey, database, ...options });
  const workflows = workflowService(db);
  const store = new PrismaRunStore(database);
  const runs = runService(db, { store });
  // One endpoint resolver for this process: publishing, the classifier and the settings page share its cache.
  const llmEndpoint = llmEndpointResolver(db, cipher, config.openai);
  const llm = llmSettingsService(db, config, { cipher, endpoint: llmEndpoint });
  // A worker of the web process's own, for runs a caller waits on (synchronous webhooks); made
  // when first needed, so pages that never start such a run never load the executors.
  let inline: Worker | undefined;
  let backtestExecutors: ReturnType<typeof runtimeDepsFor>["executors"] | undefined;
  const inlineWorker = () =>
    (inline ??= new Worker(runtimeDepsFor(config, database, { ...options, memory: { index: memoryIndexFor(config, config.chromaUrl, db) } }), {
      id: `web:${hostname()}:${process.pid}`,
      ...(log ? { log, onError: (error: unknown, runId?: string) => log.error({ ...(runId ? { runId } : {}), error: errorLine(error) }, "inline run failed") } : {}),
    }));
  const credentials = credentialService(db, cipher);
  const approvalLinks = approvalLinkService(db, { secret, publicUrl: config.publicUrl, runs, ...options });
  const intents = intentService(db, {
    runs,
    index: memoryIndexFor(config, config.chromaUrl, db),
    classifierNow: intentClassifierNow(llmEndpoint, db),
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    config,
    database,
    registry,
    auth,
    workflows,
    credentials,
    publishing: publishingService(db, { registry, workflows, capabilities: resolvedCapabilities(llmEndpoint) }),
    runs,
    runHistory: runHistoryService(database),
    versions: versionService(db),
    // Only pure executors run in a backtest; built on first use like the inline worker's.
    backtest: backtestService(db, { registry, executors: () => (backtestExecutors ??= runtimeDepsFor(config, database, options).executors) }),
    testRuns: testRunService(db, { registry, store, capabilities: resolvedCapabilities(llmEndpoint) }),
    // Lazy: connects (Postgres) or polls (SQLite) only while a page watches runs.
    runChanges: runChangeFeed(database, config.database),
    forms: formService(db, { runs }),
    approvals: approvalService(db, { runs, ...options }),
    autonomy: autonomyService(db, { runs, ...options }),
    scheduler: schedulerService(db, { runs, ...options }),
    notifications: notificationService(db),
    notifier: notifierService(db, { smtp: (name: string) => credentials.resolve(name, "smtp"), publicUrl: config.publicUrl, approvalLinks: approvalLinks.links, ...options }),
    approvalLinks,
    deadLetters: deadLetterService(db, { store, registry, ...(options.now ? { now: options.now } : {}) }),
    deadLetterInbox: () => deadLetterInbox(db),
    webhooks: webhookService(db, { auth, cipher, runs, database, inline: { claim: () => inlineWorker().claim(), runNow: (runId, timeoutMs, claimed) => inlineWorker().runNow(runId, timeoutMs, claimed) }, ...options }),
    intents,
    intentIntake: intentIntake(db, { auth, cipher, intents, ...options }),
    memory: memoryService(database, { index: memoryIndexFor(config, config.chromaUrl, db), ...(options.now ? { now: options.now } : {}) }),
    metrics: metricsService(database, options),
    alerts: alertsFor(config, database, credentials, options),
    budgets: budgetService(database, options),
    audit: { list: (input: { limit: number; after?: string | undefined }) => listAudit(db, input) },
    settings: {
      retention: () => readRetentionSettings(db),
      saveRetention: (input: unknown, actor: string) => saveRetentionSettings(db, input, actor),
      llm: llm.read,
      saveLlm: llm.save,
      saveLlmEndpoint: llm.saveEndpoint,
      testLlmConnection: llm.testConnection,
      intentRouting: () => readIntentRouting(db),
      saveIntentRouting: (input: unknown, actor: string) => saveIntentRouting(db, input, actor),
      egressAllowlist: () => readEgressAllowlist(db),
      saveEgressAllowlist: (input: unknown, actor: string) => saveEgressAllowlist(db, input, actor),
      enginePaused: async () => (await db.setting.findUnique({ where: { key: ENGINE_PAUSED_SETTING } }))?.value === true,
      /** The global switch: while on, workers finish the step in hand and take no new runs. */
      async setEnginePaused(paused: boolean, actor: string) {
        await db.setting.upsert({ where: { key: ENGINE_PAUSED_SETTING }, create: { key: ENGINE_PAUSED_SETTING, value: paused }, update: { value: paused } });
        await audit(db, { actor, action: paused ? "engine.pause" : "engine.resume", targetType: "setting", targetId: ENGINE_PAUSED_SETTING });
        return { paused };
      },
    },
    async health() {
      await db.$queryRawUnsafe("SELECT 1");
      return { status: "ok" as const, database: database.provider, time: new Date().toISOString() };
    },
  };
}

export type Services = ReturnType<typeof servicesFor>;

/** Alert rules with everything their messages need: SMTP, signing secrets, the egress guard. */
export function alertsFor(config: KeelConfig, database: Database, credentials: ReturnType<typeof credentialService>, options: { now?: () => Date } = {}) {
  return alertService(database, {
    smtp: (name: string) => credentials.resolve(name, "smtp"),
    signingSecret: async (name: string) => (await credentials.resolve(name, "signing")).secret,
    egress: egressPolicySource(database.db, config.egressAllow),
    ...options,
  });
}

// One set of services per server process; kept on globalThis so dev-mode reloads reuse it.
const holder = globalThis as typeof globalThis & { __keelServices?: Promise<Services> };

export function getServices(): Promise<Services> {
  holder.__keelServices ??= createServices(loadConfig(), webLogger()).catch((error: unknown) => {
    holder.__keelServices = undefined;
    throw error;
  });
  return holder.__keelServices;
}
