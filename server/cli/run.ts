import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ValidationError } from "../../engine/errors";
import { isFinished } from "../../engine/runtime/run-status";
import { migrate, openDatabase } from "../../engine/store";
import { PrismaRunStore } from "../../engine/runtime/prisma-store";
import { loadConfig } from "../config";
import { migrationsDir, PROJECT_ROOT } from "../process/paths";
import { runService, type RunService } from "../services/runs";

// Starting a run is the CLI's hot path (scripts call it in loops): it loads only the run
// service and the store, not every service; --wait and publishing a file load the rest.


/** The inputs of --input-file: one JSON value per line (blank lines skipped), each line named in errors. */
function readInputLines(file: string): { line: number; input: unknown }[] {
  if (!existsSync(file)) throw new ValidationError(`--input-file: ${file}: no such file`);
  const inputs: { line: number; input: unknown }[] = [];
  readFileSync(file, "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (!text.trim()) return;
      try {
        inputs.push({ line: i + 1, input: JSON.parse(text) });
      } catch (error) {
        throw new ValidationError(`--input-file: line ${i + 1}: not valid JSON (${(error as Error).message})`);
      }
    });
  if (inputs.length === 0) throw new ValidationError(`--input-file: ${file} has no input lines`);
  return inputs;
}

/** States that need outside time or a person: `--wait` returns on them, with that state. */
const NEEDS_OUTSIDE = new Set(["waiting", "sleeping", "paused"]);

/** Whether `--wait` (until "attention", the default) or `--until finished` stops at this status. */
export function stopsAt(status: string, until: "attention" | "finished"): boolean {
  return isFinished(status) || (until === "attention" && NEEDS_OUTSIDE.has(status));
}

/**
 * `keel run FILE|WORKFLOW [--input JSON | --input-file FILE] [--idempotency-key K] [--wait] [--until finished]`:
 * starts a run of the workflow's current version (a file is published first) and prints it as
 * JSON. --input-file starts one run per JSON line and prints one line per run as it starts.
 * With --wait it works the run in this process until it finishes or needs outside time or a
 * person (waiting, sleeping, paused: printed with that state); --until finished waits for the
 * end, through timers and decisions made elsewhere.
 */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { input: { type: "string" }, "input-file": { type: "string" }, wait: { type: "boolean" }, until: { type: "string" }, "idempotency-key": { type: "string" } },
  });
  const ref = positionals[0];
  if (!ref) throw new ValidationError("run: which workflow? usage: keel run FILE|WORKFLOW [--input JSON | --input-file FILE] [--wait] [--until finished]");
  if (values.until !== undefined && values.until !== "finished") throw new ValidationError(`--until: '${values.until}' is not known; the one value is 'finished'`);
  const until = values.until === "finished" ? "finished" : "attention";
  const wait = Boolean(values.wait) || values.until !== undefined;
  if (values["input-file"] !== undefined && values.input !== undefined) throw new ValidationError("--input-file: give either --input or --input-file, not both");
  if (values["input-file"] !== undefined && wait) throw new ValidationError("--wait: works with one run; leave it out with --input-file");
  // Read every line before starting anything: a broken line 900 must not leave 899 runs started.
  const bulk = values["input-file"] === undefined ? undefined : readInputLines(values["input-file"]);
  let input: unknown = {};
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch (error) {
      throw new ValidationError(`--input: not valid JSON (${(error as Error).message})`);
    }
  }
  let workflow = ref;
  if (existsSync(ref)) {
    const doc = JSON.parse(readFileSync(ref, "utf8")) as { slug?: string; name?: string };
    await (await import("./graph-commands")).publishCommand(ref, undefined, () => undefined);
    workflow = doc.slug ?? (await import("../services/workflows")).slugify(String(doc.name ?? ""));
  }
  const key = values["idempotency-key"];
  if (bulk) {
    return withRuns(async (runs) => {
      for (const { line, input: lineInput } of bulk) {
        const run = await runs.start({ workflow, input: lineInput, ...(key ? { idempotencyKey: `${key}:${line}` } : {}) }, "cli");
        process.stdout.write(`${JSON.stringify({ id: run.id, status: run.status, line })}\n`);
      }
      return 0;
    });
  }
  if (!wait) {
    return withRuns(async (runs) => {
      const started = await runs.start({ workflow, input, ...(key ? { idempotencyKey: key } : {}) }, "cli");
      // A run seen before under its idempotency key may have finished already: read it back.
      // A new one is queued with nothing to read, and reading would cost Prisma's first query.
      const run = started.created ? { id: started.id, status: started.status, output: null, error: null } : await runs.get(started.id);
      process.stdout.write(`${JSON.stringify({ id: run.id, status: run.status, output: run.output, error: run.error })}\n`);
      return run.status === "failed" || run.status === "dead" ? 1 : 0;
    });
  }
  const [{ withServices }, { Worker }, { memoryIndexFor }, { runningChromaUrl }, { runtimeDepsFor }] = await Promise.all([
    import("./with-services"),
    import("../../engine/runtime/worker"),
    import("../memory/index-for"),
    import("../process/chroma"),
    import("../runtime"),
  ]);
  return withServices(async (services) => {
    const started = await services.runs.start({ workflow, input, ...(key ? { idempotencyKey: key } : {}) }, "cli");
    // Memory steps use CHROMA_URL, or the local Chroma of a running Keel; without either,
    // items are stored and indexed later by Keel's worker.
    const index = memoryIndexFor(services.config, services.config.chromaUrl ?? (await runningChromaUrl(services.config.dataDir)), services.database.db);
    const worker = new Worker(runtimeDepsFor(services.config, services.database, { memory: { index } }), { id: `keel-run:${process.pid}`, concurrency: 1 });
    for (;;) {
      const run = await services.runs.get(started.id);
      if (stopsAt(run.status, until)) break;
      if ((await worker.drain(1)) === 0) await new Promise((r) => setTimeout(r, 200));
    }
    const run = await services.runs.get(started.id);
    process.stdout.write(`${JSON.stringify({ id: run.id, status: run.status, output: run.output, error: run.error })}\n`);
    return run.status === "failed" || run.status === "dead" ? 1 : 0;
  });
}

/** The run service alone over a migrated database, closed afterwards. */
async function withRuns<T>(use: (runs: RunService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await migrate(config.database, migrationsDir(config.database.provider, PROJECT_ROOT));
  const database = await openDatabase(config.database);
  try {
    return await use(runService(database.db, { store: new PrismaRunStore(database) }));
  } finally {
    await database.close();
  }
}
