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

/**
 * `keel run FILE|WORKFLOW [--input JSON] [--idempotency-key K] [--wait]`: starts a run of the
 * workflow's current version (a file is published first) and prints it as JSON. With --wait it
 * works the run in this process until it finishes or waits for a person.
 */
export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { input: { type: "string" }, wait: { type: "boolean" }, "idempotency-key": { type: "string" } },
  });
  const ref = positionals[0];
  if (!ref) throw new ValidationError("run: which workflow? usage: keel run FILE|WORKFLOW [--input JSON] [--wait]");
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
    if (values.wait) {
      // Memory steps use CHROMA_URL, or the local Chroma of a running Keel; without either,
      // items are stored and indexed later by Keel's worker.
      const index = memoryIndexFor(services.config, services.config.chromaUrl ?? (await runningChromaUrl(services.config.dataDir)));
      const worker = new Worker(runtimeDepsFor(services.config, services.database, { memory: { index } }), { id: `keel-run:${process.pid}`, concurrency: 1 });
      for (;;) {
        const run = await services.runs.get(started.id);
        // A waiting run waits for a person: `--wait` returns then too.
        if (isFinished(run.status) || run.status === "waiting") break;
        if ((await worker.drain(1)) === 0) await new Promise((r) => setTimeout(r, 200));
      }
    }
    const run = await services.runs.get(started.id);
    process.stdout.write(`${JSON.stringify({ id: run.id, status: run.status, output: run.output, error: run.error })}\n`);
    return run.status === "failed" || run.status === "dead" ? 1 : 0;
  });
}
