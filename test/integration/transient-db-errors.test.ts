import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDepsFor } from "../../server/runtime";
import { servicesFor } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { runKeel } from "../support/keel-process";
import { e, n } from "../support/graph-builders";

// Issue 13: with two processes writing one SQLite file, a memory step's write met the other
// process's lock, the adapter reported it as "Operation has timed out" and the engine classed
// it permanent: the run went straight to dead letters. A busy database is transient.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const remember: Graph = {
  schemaVersion: 1,
  nodes: [
    n("start", "trigger.manual"),
    // Every run writes to the same subject, so the writers meet on the same rows.
    n("note", "memory.remember", { subject: "project:contention", kind: "note", text: "run {{ input.i }} was here" }),
    n("again", "memory.remember", { subject: "contact:run-{{ input.i }}@example.com", kind: "note", text: "second note of run {{ input.i }}" }),
    n("done", "flow.end"),
  ],
  edges: [e("e1", "start", "note"), e("e2", "note", "again"), e("e3", "again", "done")],
};

describe.each(databaseKinds().filter((k) => k.name === "sqlite"))("a busy database on $name", (kind) => {
  it("40 concurrent runs doing memory.remember from three writing processes all succeed; none dies of a busy database", async () => {
    const env = await migratedDatabase(kind);
    const dataDir = mkdtempSync(join(tmpdir(), "keel-busy-"));
    dirs.push(dataDir);
    const workerEnv = { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url, KEEL_WORKER_IDLE_MS: "20" };
    const config = loadConfig(workerEnv);
    const services = servicesFor(config, env.database);
    const wf = await services.workflows.create({ name: "Busy", graph: remember });
    await services.publishing.publish({ id: wf.id });
    const workers = [1, 2].map((i) => runKeel(["worker", "--id", `busy-${i}`, "--concurrency", "8"], workerEnv));
    // This process writes too, as the web server does when it runs synchronous webhooks itself.
    const local = new Worker(runtimeDepsFor(config, env.database, { memory: {} }), { id: "busy-local", concurrency: 8, idleMs: 20 });
    try {
      await Promise.all(workers.map((w) => w.waitFor(/running \(concurrency/, 60_000)));
      local.start();
      await Promise.all(Array.from({ length: 40 }, (_, i) => services.runs.start({ workflow: wf.id, input: { i } })));
      const deadline = Date.now() + 150_000;
      for (;;) {
        const open = await env.database.db.run.count({ where: { workflowId: wf.id, status: { in: ["queued", "running", "sleeping"] } } });
        if (open === 0) break;
        if (Date.now() > deadline) throw new Error(`${open} runs still open; workers:\n${workers.map((w) => w.output()).join("\n")}`);
        if (workers.some((w) => w.child.exitCode !== null)) throw new Error(`a worker exited: ${workers.map((w) => w.output()).join("\n")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await local.stop();
      for (const w of workers) w.child.kill("SIGINT");
      await Promise.all(workers.map((w) => w.exited));
    }
    const failures = await env.database.db.runEvent.findMany({ where: { run: { workflowId: wf.id }, type: { in: ["node.failed", "run.dead"] } }, select: { type: true, payload: true } });
    // A busy database may make a step wait and try again, never fail for good.
    const permanent = failures.filter((f) => (f.payload as { error?: { kind?: string } } | null)?.error?.kind === "permanent");
    expect(permanent).toEqual([]);
    expect(await env.database.db.deadLetter.count()).toBe(0);
    const statuses = await env.database.db.run.groupBy({ by: ["status"], where: { workflowId: wf.id }, _count: { _all: true } });
    expect(statuses.map((s) => [s.status, s._count._all])).toEqual([["succeeded", 40]]);
    // Each step stored its item exactly once.
    expect(await env.database.db.memoryItem.count()).toBe(80);
    await env.dispose();
  }, 240_000);
});
