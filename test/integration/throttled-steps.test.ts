import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { ensureSecret } from "../../server/secret-key";
import { servicesFor } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";

// Issue 12: a throttled step wrote node.throttled at every wake-up, so a backlog behind a rate
// limit grew the log with the square of its length (667 events for 40 runs behind 2/s). A step
// held back by Keel's own limit is logged once; later wake-ups only move its wake time.

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(databaseKinds())("throttled steps on $name", (kind) => {
  it("40 runs behind a 2-per-second limit all succeed, with at most one node.throttled event per step", async () => {
    const env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const sink = await startSink();
    const dataDir = mkdtempSync(join(tmpdir(), "keel-throttle-"));
    dirs.push(dataDir);
    try {
      const config = loadConfig({ KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url });
      const services = servicesFor(config, env.database);
      await services.credentials.create({ name: "two-per-second", kind: "bearer", secret: { token: "t0ken-two" }, rateLimit: { capacity: 2, refillPerSecond: 2 } });
      const graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/x`, auth: { credential: "two-per-second" } }), n("done", "flow.end")], edges: [e("a", "start", "call"), e("b", "call", "done")] };
      const wf = await services.workflows.create({ name: "Behind a limit", graph });
      await services.publishing.publish({ id: wf.id });
      for (let i = 0; i < 40; i++) await services.runs.start({ workflow: wf.id, input: { i } });

      const worker = new Worker(runtimeDeps(env.database, { secret: ensureSecret(config.dataDir, config.secret).secret }), { id: "throttle", concurrency: 8, idleMs: 25 });
      worker.start();
      try {
        const deadline = Date.now() + 90_000;
        while ((await env.database.db.run.count({ where: { workflowId: wf.id, status: "succeeded" } })) < 40) {
          if (Date.now() > deadline) throw new Error("the runs did not get through the limit in time");
          await new Promise((r) => setTimeout(r, 250));
        }
      } finally {
        await worker.stop();
      }

      expect(sink.calls).toHaveLength(40);
      const throttled = await env.database.db.runEvent.groupBy({ by: ["runId"], where: { run: { workflowId: wf.id }, type: "node.throttled" }, _count: { _all: true } });
      // The limit held most runs back (only the first two tokens were there at once)...
      expect(throttled.length).toBeGreaterThanOrEqual(30);
      // ...and each held-back step says so once, however many times it woke to an empty bucket.
      expect(Math.max(...throttled.map((t) => t._count._all))).toBe(1);
      // Nothing counted as a failure, and every ledger row shows the one real attempt.
      expect(await env.database.db.runEvent.count({ where: { run: { workflowId: wf.id }, type: "node.failed" } })).toBe(0);
      const effects = await env.database.db.effect.findMany({ where: { run: { workflowId: wf.id } }, select: { attempts: true, status: true } });
      expect(effects.every((x) => x.status === "completed" && x.attempts === 1)).toBe(true);
    } finally {
      await sink.close();
      await env.dispose();
    }
  }, 150_000);
});
