import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import pg from "pg";
import type { Graph } from "../engine/graph/schema";
import { Worker } from "../engine/runtime/worker";
import { openDatabase } from "../engine/store";
import { loadConfig } from "../server/config";
import { runtimeDeps } from "../server/runtime";
import { servicesFor } from "../server/services";
import { databaseKinds, migratedDatabase } from "../test/support/databases";
import { report } from "./report";

// Durable steps per second for a 10-step workflow, beside a raw loop that does one equivalent
// write transaction per step (lease check, two events, a checkpoint, the ledger row) with the
// same driver on the same database in the same run. Two workflows: pure steps (data.transform,
// which the engine commits in batches) and steps with effects (notify.operator, each recorded in
// the ledger before it runs and committed on its own).

const STEPS = 10;
const RUNS = 200;
// Runs (and raw steps) done first, untimed, so both sides are measured warm (JIT, caches).
const WARMUP_RUNS = 20;
const REPEATS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

type Kind = "pure" | "effects";

function chain(kind: Kind): Graph {
  const nodes: Graph["nodes"] = [{ id: "start", type: "trigger.manual", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} }];
  const edges: Graph["edges"] = [];
  for (let i = 1; i <= STEPS; i++) {
    nodes.push(
      kind === "pure"
        ? { id: `s${i}`, type: "data.transform", typeVersion: 1, label: "", position: { x: i, y: 0 }, config: { expression: `{ 'step': ${i}, 'n': input.n }` } }
        : { id: `s${i}`, type: "notify.operator", typeVersion: 1, label: "", position: { x: i, y: 0 }, config: { title: `Step ${i} of run {{ input.n }}` } },
    );
    edges.push({ id: `e${i}`, source: i === 1 ? "start" : `s${i - 1}`, sourcePort: "out", target: `s${i}`, targetPort: "in" });
  }
  return { schemaVersion: 1, nodes, edges };
}

const SNAPSHOT = JSON.stringify({ status: "active", value: "s5", context: { input: { n: 1 }, outputs: Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`s${i}`, { step: i, n: 1 }])), visits: {} } });

/** The raw loop on one connection kept open (and so warm) for the whole measurement, like Keel's. */
interface RawLoop {
  steps(runId: string, count: number): Promise<number>;
  close(): Promise<void>;
}

function rawSqlite(file: string): RawLoop {
  const db = new Database(file, { timeout: 10_000 });
  const lease = db.prepare(`UPDATE "Run" SET "updatedAt" = ? WHERE "id" = ? AND "status" = 'queued'`);
  const event = db.prepare(`INSERT INTO "RunEvent" ("id", "runId", "seq", "type", "nodeId", "payload", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const checkpoint = db.prepare(`INSERT INTO "Checkpoint" ("id", "runId", "seq", "snapshot", "machineHash", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`);
  const effect = db.prepare(`INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "result", "attempts", "startedAt") VALUES (?, ?, ?, ?, 1, 'data.transform@1', 'completed', ?, 1, ?)`);
  let seq = 100_000;
  const step = db.transaction((runId: string, i: number) => {
    const now = new Date().toISOString();
    lease.run(now, runId);
    effect.run(randomUUID(), `${runId}:raw${i}:1`, runId, `raw${i}`, '{"port":"out","output":{"step":1}}', now);
    event.run(randomUUID(), runId, seq++, "node.completed", `raw${i}`, '{"port":"out"}', now);
    event.run(randomUUID(), runId, seq++, "node.entered", `raw${i}`, '{"visit":1}', now);
    checkpoint.run(randomUUID(), runId, seq - 1, SNAPSHOT, "bench", now);
  });
  return {
    async steps(runId, count) {
      const started = performance.now();
      for (let i = 0; i < count; i++) step(runId, i);
      return count / ((performance.now() - started) / 1000);
    },
    async close() {
      db.close();
    },
  };
}

async function rawPostgres(url: string): Promise<RawLoop> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let seq = 100_000;
  return {
    async steps(runId, count) {
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        await client.query("BEGIN");
        await client.query(`UPDATE "Run" SET "updatedAt" = now() WHERE "id" = $1 AND "status" = 'queued'`, [runId]);
        await client.query(`INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "result", "attempts", "startedAt") VALUES ($1, $2, $3, $4, 1, 'data.transform@1', 'completed', $5, 1, now())`, [randomUUID(), `${runId}:raw${i}:1`, runId, `raw${i}`, '{"port":"out","output":{"step":1}}']);
        await client.query(`INSERT INTO "RunEvent" ("id", "runId", "seq", "type", "nodeId", "payload", "createdAt") VALUES ($1, $2, $3, 'node.completed', $4, '{"port":"out"}', now()), ($5, $2, $6, 'node.entered', $4, '{"visit":1}', now())`, [randomUUID(), runId, seq++, `raw${i}`, randomUUID(), seq++]);
        await client.query(`INSERT INTO "Checkpoint" ("id", "runId", "seq", "snapshot", "machineHash", "createdAt") VALUES ($1, $2, $3, $4, 'bench', now())`, [randomUUID(), runId, seq - 1, SNAPSHOT]);
        await client.query("COMMIT");
      }
      return count / ((performance.now() - started) / 1000);
    },
    close: () => client.end(),
  };
}

export async function benchEngine(): Promise<void> {
  for (const kind of databaseKinds()) {
    for (const [steps, workers] of (kind.name === "sqlite" ? [["pure", 1], ["effects", 1]] : [["pure", 1], ["pure", 2], ["effects", 1]]) as [Kind, number][]) {
      const env = await migratedDatabase(kind);
      try {
        const config = loadConfig({ KEEL_DATA_DIR: "/tmp", DATABASE_URL: env.scratch.target.url });
        const services = servicesFor(config, env.database);
        const wf = await services.workflows.create({ name: "Bench chain", graph: chain(steps) });
        await services.publishing.publish({ id: wf.id });
        // Each worker has its own connection pool, as separate processes would.
        const databases = await Promise.all(Array.from({ length: workers }, () => openDatabase(env.scratch.target)));
        const pool = databases.map((database, i) => new Worker(runtimeDeps(database), { id: `bench-${i}`, concurrency: 1 }));
        const warmup: string[] = [];
        for (let i = 0; i < WARMUP_RUNS; i++) warmup.push((await services.runs.start({ workflow: wf.id, input: { n: -i } })).id);
        await Promise.all(pool.map((w) => w.drain()));
        const target = env.scratch.target;
        const raw = target.provider === "sqlite" ? rawSqlite(target.file) : await rawPostgres(target.url);
        await raw.steps(warmup[0]!, WARMUP_RUNS * (STEPS + 2));
        // Keel and the raw loop take turns, REPEATS times; the medians are reported, since one
        // measurement of either side varies by a fifth from one second to the next here.
        const total = RUNS * (STEPS + 2); // trigger + steps + end
        const rates: number[] = [];
        const baselines: number[] = [];
        for (let repeat = 0; repeat < REPEATS; repeat++) {
          const runIds: string[] = [];
          for (let i = 0; i < RUNS; i++) runIds.push((await services.runs.start({ workflow: wf.id, input: { n: i } })).id);
          const started = performance.now();
          await Promise.all(pool.map((w) => w.drain()));
          rates.push(total / ((performance.now() - started) / 1000));
          const done = await env.database.db.run.count({ where: { id: { in: runIds }, status: "succeeded" } });
          if (done !== RUNS) throw new Error(`only ${done} of ${RUNS} bench runs succeeded`);
          baselines.push(await raw.steps(runIds[0]!, total));
        }
        report(`engine.${kind.name}.${steps}.${workers}_worker${workers > 1 ? "s" : ""}.steps_per_second`, median(rates), "steps/s", median(baselines));
        await raw.close();
        await Promise.all(databases.map((d) => d.close()));
      } finally {
        await env.dispose();
      }
    }
  }
}
