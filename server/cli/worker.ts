import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { ValidationError } from "../../engine/errors";
import { Worker } from "../../engine/runtime/worker";
import { openDatabase } from "../../engine/store";
import { loadConfig } from "../config";
import type { IndexDeferred } from "../../infra/memory/memory-capability";
import { memoryIndexFor, workerSummarizer } from "../memory/index-for";
import { startMemoryMaintenance } from "../memory/maintenance";
import { llmEndpointFor, runtimeDepsFor } from "../runtime";
import { ensureSecret } from "../secret-key";
import { createCipher } from "../secrets/cipher";
import { approvalLinkService } from "../services/approval-links";
import { autonomyService } from "../services/autonomy";
import { credentialService } from "../services/credentials";
import { alertsFor } from "../services";
import { metricsService } from "../services/metrics";
import { notifierService } from "../services/notifications";
import { runService } from "../services/runs";
import { schedulerService } from "../services/scheduler";
import { startTicker } from "../services/ticker";
import { errorLine, watchDependency, type Logger } from "../../engine/log";
import type { RuntimeDeps } from "../../engine/runtime/process-run";
import { createLogger, failureOnce } from "../log";

// `keel worker`: claims runs and advances them until SIGINT/SIGTERM, then finishes the step in
// hand, gives its runs back and exits. Run as many as you like against one Postgres database.

/** Test-only crash points: KEEL_CRASH_AT=before-effect|after-effect|after-commit kills the process there. */
function crashHooks(point: string | undefined) {
  if (!point) return undefined;
  const die = (at: string) => () => {
    if (at === point) {
      process.stderr.write(`keel worker: crashing ${at} (KEEL_CRASH_AT)\n`);
      process.kill(process.pid, "SIGKILL");
    }
  };
  return { beforeEffect: die("before-effect"), afterEffect: die("after-effect"), afterCommit: die("after-commit") };
}

export async function workerCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { concurrency: { type: "string" }, id: { type: "string" }, retention: { type: "boolean" }, prepared: { type: "boolean" } },
    allowPositionals: true,
  });
  const concurrency = Number(values.concurrency ?? 4);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new ValidationError("--concurrency: must be a whole number from 1 to 64");
  const config = loadConfig();
  // --prepared (internal): `keel start` prepared the database in a child of its own before
  // starting this worker; preparing again would only load the migrations, the templates and the
  // password hasher into a process that runs for as long as Keel does.
  if (!values.prepared) await (await import("./prepare")).prepareDatabase(config);
  const database = await openDatabase(config.database);
  const id = values.id ?? `${hostname()}:${process.pid}`;
  const hooks = crashHooks(config.worker.crashAt);
  // Under `keel start` CHROMA_URL names the local Chroma it started; without any, memory items
  // are still stored and indexed once an index is configured.
  const index = memoryIndexFor(config, config.chromaUrl, database.db);
  const logger = createLogger(config, "worker").child({ worker: id });
  const log = (line: string) => logger.info({}, line);
  // One watch of the database for every loop of this process: one "down" line, one "back" line.
  const databaseWatch = watchDependency(logger, "the database", { baseMs: config.worker.idleMs });
  // Counted, so a Keel under load says how often inline indexing fell behind.
  let deferred = 0;
  const memory = {
    index,
    onIndexDeferred: (event: IndexDeferred) => {
      deferred++;
      const why = event.reason === "timeout" ? "did not finish in time" : event.error instanceof Error ? event.error.message.split("\n")[0] : String(event.error);
      logger.warn({ itemId: event.itemId, reason: event.reason, deferred }, `memory item not indexed inline (${why}; ${deferred} since start); the sweeper indexes it`);
    },
  };
  const deps = withStepLogs(runtimeDepsFor(config, database, { memory }), logger);
  const worker = new Worker(
    { ...deps, ...(hooks ? { hooks } : {}) },
    {
      id,
      concurrency,
      leaseMs: config.worker.leaseMs,
      idleMs: config.worker.idleMs,
      log: logger,
      databaseWatch,
      onError: (error, runId) => {
        if (!databaseWatch.down) logger.error({ ...(runId ? { runId } : {}), error: errorLine(error) }, "worker error");
      },
    },
  );
  worker.start();
  const upkeep = startMemoryMaintenance(database, {
    index,
    summarizer: await workerSummarizer(config, database.db, llmEndpointFor(config, database.db)),
    intervalMs: config.worker.memoryUpkeepMs,
    log: (line) => (databaseWatch.down ? undefined : log(line)),
  });
  // Every worker also fires schedules and reminders; they agree through the database, so N
  // workers fire each schedule instant and each reminder once.
  const intervalMs = config.worker.schedulerIntervalMs;
  const logError = (what: string) => failureOnce(logger, what, () => databaseWatch.down);
  const secret = ensureSecret(config.dataDir, config.secret).secret;
  const credentials = credentialService(database.db, createCipher(secret));
  const runs = runService(database.db, { store: deps.store, onRunnable: () => worker.poke() });
  const tickers = [
    startTicker(schedulerService(database.db, { runs }), { intervalMs, onError: logError("scheduler"), backoffMs: () => databaseWatch.backoffMs }),
    // Approvals a node's autonomy rule covers are approved by the first worker to look.
    startTicker(autonomyService(database.db, { runs }), { intervalMs: config.worker.autonomyIntervalMs, onError: logError("autonomy"), backoffMs: () => databaseWatch.backoffMs }),
    startTicker(notifierService(database.db, { smtp: (name) => credentials.resolve(name, "smtp"), publicUrl: config.publicUrl, approvalLinks: approvalLinkService(database.db, { secret, publicUrl: config.publicUrl }).links }), {
      intervalMs,
      onError: logError("notifier"),
      backoffMs: () => databaseWatch.backoffMs,
    }),
    // Folds ended days into the dashboard's rollup; a tick with nothing to fold is one read.
    startTicker(metricsService(database), { intervalMs, onError: logError("metrics"), backoffMs: () => databaseWatch.backoffMs }),
    startTicker(alertsFor(config, database, credentials), { intervalMs, onError: logError("alerts"), backoffMs: () => databaseWatch.backoffMs }),
  ];
  // `keel start`'s worker (--retention) prunes old payloads now and every 24 h; failures are logged, never fatal.
  const retention = values.retention ? (await import("../services/retention")).startRetentionTimer(config, { log }) : undefined;
  logger.info({ concurrency }, `keel worker ${id}: running (concurrency ${concurrency})`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
  });
  logger.info({}, `keel worker ${id}: stopping after the current steps`);
  retention?.stop();
  await Promise.all([...tickers.map((t) => t.stop()), upkeep.stop()]);
  await worker.stop();
  await database.close();
  return 0;
}

/** Every step's failure logged with its run and step ids (never its message); starts and ends at debug level. */
function withStepLogs(deps: RuntimeDeps, logger: Logger): RuntimeDeps {
  const executors = new Map<string, RuntimeDeps["executors"] extends ReadonlyMap<string, infer E> ? E : never>();
  for (const [type, execute] of deps.executors) {
    executors.set(type, async (ctx) => {
      const fields = { runId: ctx.runId, nodeId: ctx.nodeId, type };
      logger.debug(fields, "step started");
      try {
        const result = await execute(ctx);
        logger.debug(fields, "step finished");
        return result;
      } catch (error) {
        // Not the message: it may quote a secret the step used (an API echoing its token); the
        // run's record has it, redacted by the engine.
        logger.warn({ ...fields, kind: (error as { kind?: unknown }).kind ?? "unclassified", error: error instanceof Error ? error.name : typeof error }, "step failed");
        throw error;
      }
    });
  }
  return { ...deps, executors };
}
