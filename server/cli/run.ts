import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ValidationError } from "../../engine/errors";
import { isFinished } from "../../engine/runtime/run-status";
import { Worker } from "../../engine/runtime/worker";
import { memoryIndexFor } from "../memory/index-for";
import { runningChromaUrl } from "../process/chroma";
import { runtimeDepsFor } from "../runtime";
import { withServices } from "./with-services";
import { publishCommand } from "./graph-commands";

/** States that need outside time or a person: `--wait` returns on them, with that state. */
const NEEDS_OUTSIDE = new Set(["waiting", "sleeping", "paused"]);

/** Whether `--wait` (until "attention", the default) or `--until finished` stops at this status. */
export function stopsAt(status: string, until: "attention" | "finished"): boolean {
  return isFinished(status) || (until === "attention" && NEEDS_OUTSIDE.has(status));
}

/**
 * `keel run FILE|WORKFLOW [--input JSON] [--idempotency-key K] [--wait] [--until finished]`:
 * starts a run of the workflow's current version (a file is published first) and prints it as
 * JSON. With --wait it works the run in this process until it finishes or needs outside time or
 * a person (waiting, sleeping, paused: printed with that state); --until finished waits for the
 * end, through timers and decisions made elsewhere.
 */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { input: { type: "string" }, wait: { type: "boolean" }, until: { type: "string" }, "idempotency-key": { type: "string" } },
  });
  const ref = positionals[0];
  if (!ref) throw new ValidationError("run: which workflow? usage: keel run FILE|WORKFLOW [--input JSON] [--wait]");
  if (values.until !== undefined && values.until !== "finished") throw new ValidationError(`--until: '${values.until}' is not known; the one value is 'finished'`);
  const until = values.until === "finished" ? "finished" : "attention";
  const wait = Boolean(values.wait) || values.until !== undefined;
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
    await publishCommand(ref, undefined, () => undefined);
    workflow = doc.slug ?? (await import("../services/workflows")).slugify(String(doc.name ?? ""));
  }
  return withServices(async (services) => {
    const started = await services.runs.start({ workflow, input, ...(values["idempotency-key"] ? { idempotencyKey: values["idempotency-key"] } : {}) }, "cli");
    if (wait) {
      // Memory steps use CHROMA_URL, or the local Chroma of a running Keel; without either,
      // items are stored and indexed later by Keel's worker.
      const index = memoryIndexFor(services.config, services.config.chromaUrl ?? (await runningChromaUrl(services.config.dataDir)));
      const worker = new Worker(runtimeDepsFor(services.config, services.database, { memory: { index } }), { id: `keel-run:${process.pid}`, concurrency: 1 });
      for (;;) {
        const run = await services.runs.get(started.id);
        if (stopsAt(run.status, until)) break;
        if ((await worker.drain(1)) === 0) await new Promise((r) => setTimeout(r, 200));
      }
    }
    const run = await services.runs.get(started.id);
    process.stdout.write(`${JSON.stringify({ id: run.id, status: run.status, output: run.output, error: run.error })}\n`);
    return run.status === "failed" || run.status === "dead" ? 1 : 0;
  });
}
