import { parseDatabaseUrl, openDatabase } from "../../engine/store";
import { PrismaRunStore } from "../../engine/runtime/prisma-store";

// A process that starts and finishes runs, 10 at a time, and prints each run's id once its
// final commit is acknowledged; group-commit.test.ts kills it mid-flight (SIGKILL).
// argv: DATABASE_URL workflowId versionId

const [url, workflowId, versionId] = process.argv.slice(2) as [string, string, string];
const database = await openDatabase(parseDatabaseUrl(url, process.cwd()));
const store = new PrismaRunStore(database);
const lane = async () => {
  for (;;) {
    const { run } = await store.createRun({ workflowId, versionId, input: {}, trigger: "manual", claimedBy: { workerId: "child", now: new Date(), leaseMs: 60_000 } });
    await store.commit({ runId: run.id, workerId: "child", firstSeq: 1, events: [{ type: "run.started" }, { type: "run.succeeded" }], checkpoint: null, run: { status: "succeeded", finished: true }, release: true });
    process.stdout.write(`acked ${run.id}\n`);
  }
};
await Promise.all(Array.from({ length: 10 }, lane));
