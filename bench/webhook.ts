import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { Graph } from "../engine/graph/schema";
import { openDatabase } from "../engine/store";
import { loadConfig } from "../server/config";
import { freePort } from "../server/process/wait";
import { servicesFor } from "../server/services";
import { databaseKinds, migratedDatabase, type DatabaseKind } from "../test/support/databases";
import { runKeel } from "../test/support/keel-process";
import { postLarge } from "../test/support/large-post";
import { report } from "./report";
import { rssMb, treeRssMb } from "./rss";

// A synchronous webhook (trigger answers with the result) → set fields → end, under concurrent
// load for 20 s against `keel start` (web server + worker + Chroma), on SQLite and, with
// KEEL_TEST_DATABASE_URL, Postgres: runs per second and p99 latency, beside the same server's
// bare ingress answering static JSON (the HTTP stack without a run). Afterwards every 2xx
// answer must be a stored succeeded run. Then the footprint: RSS of all of `keel start`'s
// processes after the load, the web process's RSS across two 20 MB posts (refused while
// streaming), and the total again after 100 runs that use memory (the embedder loads lazily).

const DURATION_S = 20;
const CONNECTIONS = 10;
const MEMORY_RUNS = 100;

const node = (id: string, type: string, x: number, config: Record<string, unknown>) => ({ id, type, typeVersion: 1, label: "", position: { x, y: 0 }, config });
const chain = (nodes: Graph["nodes"]): Graph => ({
  schemaVersion: 1,
  nodes,
  edges: nodes.slice(1).map((n, i) => ({ id: `e${i}`, source: nodes[i]!.id, sourcePort: "out", target: n.id, targetPort: "in" })),
});

const syncGraph = chain([
  node("hook", "trigger.webhook", 0, { respond: "result", timeoutSeconds: 30 }),
  node("fields", "data.set", 1, { fields: { order: "{{ input.order }}", accepted: true } }),
  node("done", "flow.end", 2, { output: "{{ fields }}" }),
]);

const memoryGraph = chain([
  node("hook", "trigger.webhook", 0, { respond: "accepted" }),
  node("remember", "memory.remember", 1, { subject: "contact:{{ input.email }}", text: "{{ input.note }}" }),
  node("recall", "memory.recall", 2, { query: "{{ input.note }}", subject: "contact:{{ input.email }}" }),
  node("done", "flow.end", 3, {}),
]);

function load(url: string, options: { method?: "POST" | "GET"; headers?: Record<string, string>; body?: string; duration: number }) {
  return autocannon({ url, connections: CONNECTIONS, duration: options.duration, method: options.method ?? "GET", headers: options.headers, body: options.body });
}

export async function benchWebhook(): Promise<void> {
  for (const kind of databaseKinds()) await benchOn(kind);
}

async function benchOn(kind: DatabaseKind): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "keel-bench-hook-"));
  const db = await migratedDatabase(kind);
  const env = { KEEL_DATA_DIR: dir, DATABASE_URL: db.scratch.target.url, KEEL_PASSWORD: "bench-password-123", NEXT_TELEMETRY_DISABLED: "1" };
  const name = `webhook.${kind.name}`;
  try {
    const config = loadConfig(env);
    const services = servicesFor(config, db.database);
    const wf = await services.workflows.create({ name: "Bench webhook", graph: syncGraph });
    await services.publishing.publish({ id: wf.id });
    const memoryWf = await services.workflows.create({ name: "Bench memory", graph: memoryGraph });
    await services.publishing.publish({ id: memoryWf.id });
    const { token } = await services.auth.createApiToken({ name: "bench" });

    const port = await freePort();
    const keel = runKeel(["start"], { ...env, PORT: String(port) });
    try {
      await keel.waitFor(/Keel is running at http:\/\/127\.0\.0\.1:\d+/, 600_000);
      const pid = keel.child.pid!;
      const web = treeRssMb(pid).processes.find((p) => p.cmdline.includes("serve-web"));
      if (!web) throw new Error("webhook bench: no web process under keel start");
      const base = `http://127.0.0.1:${port}`;
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const hook = { method: "POST" as const, headers, body: JSON.stringify({ order: 42 }) };
      await load(`${base}/api/webhooks/${wf.id}`, { ...hook, duration: 2 }); // warm up the route
      const ping = await load(`${base}/.keel/ping`, { duration: DURATION_S / 2 });
      const result = await load(`${base}/api/webhooks/${wf.id}`, { ...hook, duration: DURATION_S });
      const ok = result["2xx"];
      report(`${name}.sync.runs_per_second`, ok / DURATION_S, "runs/s", ping.requests.average);
      report(`${name}.sync.latency_p99`, result.latency.p99, "ms", ping.latency.p99);
      const afterLoad = treeRssMb(pid);
      report(`keel_start.${kind.name}.rss_after_webhook_load`, afterLoad.total, "MB");
      console.error(`keel start after the webhook load: ${afterLoad.processes.map((p) => `${p.cmdline.slice(0, 60)} ${Math.round(p.mb)} MB`).join("; ")}`);

      // Two 20 MB posts, one declared and one chunked: refused as they stream, never held.
      const before = rssMb(web.pid);
      for (const declare of [true, false]) {
        const refused = await postLarge(`${base}/api/webhooks/${wf.id}`, { totalBytes: 20 * 1024 * 1024, declare, headers });
        if (refused.status !== 413) throw new Error(`webhook bench: a 20 MB post was answered ${refused.status}, not 413`);
        console.error(`20 MB post (${declare ? "declared" : "chunked"}): 413 after ${(refused.sentBeforeAnswer / 1024).toFixed(0)} KB sent`);
      }
      report(`${name}.rss_growth_two_20mb_posts`, rssMb(web.pid) - before, "MB");

      // Runs that remember and recall: the embedder and the index client load on first use.
      const memoryHook = `${base}/api/webhooks/${memoryWf.id}`;
      for (let i = 0; i < MEMORY_RUNS; i += CONNECTIONS) {
        await Promise.all(
          Array.from({ length: Math.min(CONNECTIONS, MEMORY_RUNS - i) }, async (_, j) => {
            const body = JSON.stringify({ email: `person${(i + j) % 10}@example.test`, note: `Order ${i + j} asked about delivery times and invoices` });
            const answer = await fetch(memoryHook, { method: "POST", headers, body });
            if (answer.status !== 202) throw new Error(`webhook bench: a memory run was answered ${answer.status}: ${await answer.text()}`);
          }),
        );
      }
      const deadline = Date.now() + 300_000;
      for (;;) {
        const done = await db.database.db.run.count({ where: { workflowId: memoryWf.id, status: { in: ["succeeded", "failed", "cancelled"] } } });
        if (done >= MEMORY_RUNS) break;
        if (Date.now() > deadline) throw new Error(`webhook bench: only ${done} of ${MEMORY_RUNS} memory runs finished in 5 minutes`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      const memorySucceeded = await db.database.db.run.count({ where: { workflowId: memoryWf.id, status: "succeeded" } });
      if (memorySucceeded !== MEMORY_RUNS) throw new Error(`webhook bench: ${MEMORY_RUNS - memorySucceeded} memory runs did not succeed`);
      const afterMemory = treeRssMb(pid);
      report(`keel_start.${kind.name}.rss_after_memory_runs`, afterMemory.total, "MB");
      console.error(`keel start after ${MEMORY_RUNS} memory runs: ${afterMemory.processes.map((p) => `${p.cmdline.slice(0, 60)} ${Math.round(p.mb)} MB`).join("; ")}`);

      keel.child.kill("SIGINT");
      await keel.exited;
      const after = await openDatabase(config.database);
      try {
        const succeeded = await after.db.run.count({ where: { workflowId: wf.id, status: "succeeded" } });
        const deliveries = await after.db.webhookDelivery.count({ where: { workflowId: wf.id } });
        const withRun = await after.db.webhookDelivery.count({ where: { workflowId: wf.id, runId: { not: null } } });
        // Warm-up requests started runs too; every answered one must be there, none half-done.
        const unfinished = await after.db.run.count({ where: { workflowId: wf.id, status: { notIn: ["succeeded"] } } });
        if (succeeded < ok || unfinished > 0 || deliveries !== succeeded || withRun !== deliveries) {
          throw new Error(`webhook bench: ${ok} answered 2xx, ${succeeded} runs succeeded, ${unfinished} not finished, ${deliveries} deliveries stored (${withRun} with their run)`);
        }
        console.error(`webhook bench (${kind.name}): ${result.requests.total} requests, ${ok} answered 2xx, ${result.non2xx} other, ${succeeded} runs succeeded and stored`);
      } finally {
        await after.close();
      }
    } finally {
      keel.child.kill("SIGKILL");
    }
  } finally {
    await db.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
