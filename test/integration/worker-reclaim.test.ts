import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunStore } from "../../engine/runtime/store";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";

// On a loaded machine a heartbeat can come late, the lease run out, and the worker's own loop
// claim the run it is still working on. Both tasks would then pass the lease check under the
// same worker id and run the step twice (seen in the crash tests under load).

describe.each(databaseKinds())("a worker and its own expired lease on $name", (kind) => {
  it("does not start a second task on a run it is still working: the slow step runs once", async () => {
    const env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const sink = await startSink(() => ({ status: 200, body: { ok: true }, delayMs: 1_500 }));
    try {
      const services = servicesFor(loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-reclaim-")), DATABASE_URL: env.scratch.target.url }), env.database);
      const graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("slow", "http.request", { method: "POST", url: `${sink.url}/slow` }), n("done", "flow.end")], edges: [e("a", "start", "slow"), e("b", "slow", "done")] };
      const wf = await services.workflows.create({ name: "Slow step", graph });
      await services.publishing.publish({ id: wf.id });
      const run = await services.runs.start({ workflow: wf.id, input: {} });

      // Heartbeats that never extend the lease: as if each came too late.
      const deps = runtimeDeps(env.database);
      const store = deps.store;
      const lateHeartbeats: RunStore = Object.assign(Object.create(Object.getPrototypeOf(store) as object) as RunStore, store, { heartbeat: async () => true });
      const worker = new Worker({ ...deps, store: lateHeartbeats }, { id: "reclaimer", concurrency: 2, leaseMs: 200, idleMs: 20 });
      worker.start();
      try {
        const deadline = Date.now() + 30_000;
        while ((await services.runs.get(run.id)).status !== "succeeded") {
          if (Date.now() > deadline) throw new Error("the run did not finish");
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await worker.stop();
      }
      expect(sink.callsFor(`${run.id}:slow:1`)).toHaveLength(1);
      expect((await env.database.db.effect.findFirstOrThrow({ where: { runId: run.id } })).attempts).toBe(1);
    } finally {
      await sink.close();
      await env.dispose();
    }
  }, 60_000);
});
