import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { Graph } from "../engine/graph/schema";
import { migrate, openDatabase } from "../engine/store";
import { loadConfig } from "../server/config";
import { freePort } from "../server/process/wait";
import { migrationsDir, servicesFor } from "../server/services";
import { runKeel } from "../test/support/keel-process";
import { report } from "./report";

// A synchronous webhook (trigger answers with the result) → set fields → end, under concurrent
// load for 20 s against `keel start` (web server + worker, SQLite): runs per second and p99
// latency, beside the same server answering its health check (the HTTP stack without a run).
// Afterwards every 200 answer must have a succeeded run in the database.

const DURATION_S = 20;
const CONNECTIONS = 10;

const graph: Graph = {
  schemaVersion: 1,
  nodes: [
    { id: "hook", type: "trigger.webhook", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { respond: "result", timeoutSeconds: 30 } },
    { id: "fields", type: "data.set", typeVersion: 1, label: "", position: { x: 1, y: 0 }, config: { fields: { order: "{{ input.order }}", accepted: true } } },
    { id: "done", type: "flow.end", typeVersion: 1, label: "", position: { x: 2, y: 0 }, config: { output: "{{ fields }}" } },
  ],
  edges: [
    { id: "e1", source: "hook", sourcePort: "out", target: "fields", targetPort: "in" },
    { id: "e2", source: "fields", sourcePort: "out", target: "done", targetPort: "in" },
  ],
};

function load(url: string, options: { method?: "POST" | "GET"; headers?: Record<string, string>; body?: string; duration: number }) {
  return autocannon({ url, connections: CONNECTIONS, duration: options.duration, method: options.method ?? "GET", headers: options.headers, body: options.body });
}

export async function benchWebhook(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "keel-bench-hook-"));
  const env = { KEEL_DATA_DIR: dir, KEEL_PASSWORD: "bench-password-123", NEXT_TELEMETRY_DISABLED: "1" };
  try {
    const config = loadConfig(env);
    await migrate(config.database, migrationsDir(config.database.provider));
    const database = await openDatabase(config.database);
    const services = servicesFor(config, database);
    const wf = await services.workflows.create({ name: "Bench webhook", graph });
    await services.publishing.publish({ id: wf.id });
    const { token } = await services.auth.createApiToken({ name: "bench" });
    await database.close();

    const port = await freePort();
    const keel = runKeel(["start"], { ...env, PORT: String(port) });
    try {
      await keel.waitFor(/Keel is running at http:\/\/127\.0\.0\.1:\d+/, 600_000);
      const base = `http://127.0.0.1:${port}`;
      const hook = { method: "POST" as const, headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ order: 42 }) };
      await load(`${base}/api/webhooks/${wf.id}`, { ...hook, duration: 2 }); // warm up the route
      const health = await load(`${base}/api/trpc/health`, { duration: DURATION_S / 2 });
      const result = await load(`${base}/api/webhooks/${wf.id}`, { ...hook, duration: DURATION_S });
      const ok = result["2xx"];
      report("webhook.sync.runs_per_second", ok / DURATION_S, "runs/s", health.requests.average);
      report("webhook.sync.latency_p99", result.latency.p99, "ms", health.latency.p99);

      keel.child.kill("SIGINT");
      await keel.exited;
      const after = await openDatabase(config.database);
      try {
        const succeeded = await after.db.run.count({ where: { workflowId: wf.id, status: "succeeded" } });
        const deliveries = await after.db.webhookDelivery.count({ where: { workflowId: wf.id } });
        // Warm-up requests started runs too; every answered one must be there, none half-done.
        const unfinished = await after.db.run.count({ where: { workflowId: wf.id, status: { notIn: ["succeeded"] } } });
        if (succeeded < ok || unfinished > 0 || deliveries !== succeeded) {
          throw new Error(`webhook bench: ${ok} answered 2xx, ${succeeded} runs succeeded, ${unfinished} not finished, ${deliveries} deliveries stored`);
        }
        console.error(`webhook bench: ${result.requests.total} requests, ${ok} answered 2xx, ${result.non2xx} other, ${succeeded} runs succeeded and stored`);
      } finally {
        await after.close();
      }
    } finally {
      keel.child.kill("SIGKILL");
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
