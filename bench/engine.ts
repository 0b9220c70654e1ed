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

// Durable steps per second for a 10-step workflow, beside a raw loop on the same driver and
// database in the same run that writes, per step, what the engine must:
// - steps with effects (notify.operator): in one transaction, this step's ledger row marked
//   completed, the next step's ledger row written as started, the node's own row (the
//   Notification), the step's two events, a checkpoint of the engine's own checkpoint size, and
//   the lease update, asserted to change exactly one row;
// - pure steps (data.transform): the engine commits a run's pure steps together (up to 32 per
//   transaction; this 12-step run is one batch), so the raw loop commits the same 12 steps' events
//   and checkpoints per transaction, with the lease update. The batching is named in the result.

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

/** A snapshot-shaped JSON text of `bytes` characters, the size of the engine's own checkpoints. */
function snapshotOf(bytes: number): string {
  const base = { status: "active", value: "s5", context: { input: { n: 1 }, outputs: {}, visits: {} }, pad: "" };
  return JSON.stringify({ ...base, pad: "x".repeat(Math.max(0, bytes - JSON.stringify(base).length)) });
}

/** Pure steps the engine commits in one transaction in this workflow (a whole run: trigger, 10 steps, end). */
const PURE_BATCH = STEPS + 2;

/** The raw loop on one connection kept open (and so warm) for the whole measurement, like Keel's. */
interface RawLoop {
  /** Steps per second over `count` steps of `kind`. */
  steps(kind: Kind, count: number): Promise<number>;
  close(): Promise<void>;
}

/** The raw loop's own run: leased to it, so its lease update has exactly one row to change. */
const RAW_OWNER = "raw-loop";
/** Long enough that the engine's workers, draining beside it, never take the raw loop's run over. */
const RAW_LEASE_MS = 86_400_000;

function leaseChanged(changes: number) {
  if (changes !== 1) throw new Error(`the raw loop's lease update changed ${changes} rows, not 1`);
}

function rawSqlite(file: string, runId: string, snapshot: string): RawLoop {
  const db = new Database(file, { timeout: 10_000 });
  // Durable like the engine's commits: better-sqlite3 builds SQLite with WAL commits at
  // synchronous=NORMAL, which do not reach the disk; the engine answers a commit only after an
  // fdatasync of the WAL (engine/store/commit-group.ts), so the raw loop syncs each commit too.
  db.pragma("synchronous = FULL");
  const lease = db.prepare(`UPDATE "Run" SET "leaseExpiresAt" = ?, "updatedAt" = ? WHERE "id" = ? AND "leaseOwner" = ? AND "status" = 'running'`);
  const event = db.prepare(`INSERT INTO "RunEvent" ("id", "runId", "seq", "type", "nodeId", "payload", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`);
  const checkpoint = db.prepare(`INSERT INTO "Checkpoint" ("id", "runId", "seq", "snapshot", "machineHash", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`);
  const started = db.prepare(`INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "request", "attempts", "startedAt") VALUES (?, ?, ?, ?, 1, 'notify.operator@1', 'started', ?, 1, ?)`);
  const completed = db.prepare(`UPDATE "Effect" SET "status" = 'completed', "result" = ?, "completedAt" = ? WHERE "key" = ?`);
  const notification = db.prepare(`INSERT INTO "Notification" ("id", "kind", "title", "body", "runId", "createdAt") VALUES (?, ?, ?, '', ?, ?)`);
  let seq = 100_000;
  let step = 0;
  const key = (i: number) => `${runId}:raw${i}:1`;
  started.run(randomUUID(), key(0), runId, "raw0", '{"config":{}}', new Date().toISOString());
  const effectStep = db.transaction(() => {
    const now = new Date().toISOString();
    const i = step++;
    leaseChanged(lease.run(new Date(Date.now() + RAW_LEASE_MS).toISOString(), now, runId, RAW_OWNER).changes);
    notification.run(randomUUID(), `step:${key(i)}`, `Step ${i}`, runId, now);
    completed.run('{"port":"out","output":{"notificationId":"n"}}', now, key(i));
    event.run(randomUUID(), runId, seq++, "node.completed", `raw${i}`, '{"port":"out","attempt":1}', now);
    event.run(randomUUID(), runId, seq++, "node.entered", `raw${i + 1}`, '{"visit":1}', now);
    checkpoint.run(randomUUID(), runId, seq - 1, snapshot, "bench", now);
    started.run(randomUUID(), key(i + 1), runId, `raw${i + 1}`, '{"config":{}}', now);
  });
  const pureBatch = db.transaction((count: number) => {
    const now = new Date().toISOString();
    leaseChanged(lease.run(new Date(Date.now() + RAW_LEASE_MS).toISOString(), now, runId, RAW_OWNER).changes);
    for (let i = 0; i < count; i++) {
      event.run(randomUUID(), runId, seq++, "node.completed", `p${i}`, '{"port":"out","attempt":1}', now);
      event.run(randomUUID(), runId, seq++, "node.entered", `p${i + 1}`, '{"visit":1}', now);
      checkpoint.run(randomUUID(), runId, seq - 1, snapshot, "bench", now);
    }
  });
  return {
    async steps(kind, count) {
      const begun = performance.now();
      if (kind === "effects") for (let i = 0; i < count; i++) effectStep();
      else for (let done = 0; done < count; done += PURE_BATCH) pureBatch(Math.min(PURE_BATCH, count - done));
      return count / ((performance.now() - begun) / 1000);
    },
    async close() {
      db.close();
    },
  };
}

async function rawPostgres(url: string, runId: string, snapshot: string): Promise<RawLoop> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let seq = 100_000;
  let step = 0;
  const key = (i: number) => `${runId}:raw${i}:1`;
  const startedSql = `INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "request", "attempts", "startedAt") VALUES ($1, $2, $3, $4, 1, 'notify.operator@1', 'started', '{"config":{}}', 1, now())`;
  const leaseSql = { name: "raw-lease", text: `UPDATE "Run" SET "leaseExpiresAt" = now() + interval '1 day', "updatedAt" = now() WHERE "id" = $1 AND "leaseOwner" = $2 AND "status" = 'running'` };
  await client.query(startedSql, [randomUUID(), key(0), runId, "raw0"]);
  const lease = async () => leaseChanged((await client.query({ ...leaseSql, values: [runId, RAW_OWNER] })).rowCount ?? 0);
  return {
    async steps(kind, count) {
      const begun = performance.now();
      if (kind === "effects") {
        for (let n = 0; n < count; n++) {
          const i = step++;
          await client.query("BEGIN");
          await lease();
          await client.query({ name: "raw-notification", text: `INSERT INTO "Notification" ("id", "kind", "title", "body", "runId", "createdAt") VALUES ($1, $2, $3, '', $4, now())`, values: [randomUUID(), `step:${key(i)}`, `Step ${i}`, runId] });
          await client.query({ name: "raw-completed", text: `UPDATE "Effect" SET "status" = 'completed', "result" = '{"port":"out","output":{"notificationId":"n"}}', "completedAt" = now() WHERE "key" = $1`, values: [key(i)] });
          await client.query({
            name: "raw-events",
            text: `INSERT INTO "RunEvent" ("id", "runId", "seq", "type", "nodeId", "payload", "createdAt") VALUES ($1, $2, $3, 'node.completed', $4, '{"port":"out","attempt":1}', now()), ($5, $2, $6, 'node.entered', $7, '{"visit":1}', now())`,
            values: [randomUUID(), runId, seq++, `raw${i}`, randomUUID(), seq++, `raw${i + 1}`],
          });
          await client.query({ name: "raw-checkpoint", text: `INSERT INTO "Checkpoint" ("id", "runId", "seq", "snapshot", "machineHash", "createdAt") VALUES ($1, $2, $3, $4, 'bench', now())`, values: [randomUUID(), runId, seq - 1, snapshot] });
          await client.query({ name: "raw-started", text: startedSql, values: [randomUUID(), key(i + 1), runId, `raw${i + 1}`] });
          await client.query("COMMIT");
        }
      } else {
        for (let done = 0; done < count; done += PURE_BATCH) {
          const batch = Math.min(PURE_BATCH, count - done);
          await client.query("BEGIN");
          await lease();
          for (let i = 0; i < batch; i++) {
            await client.query({
              name: "raw-events",
              text: `INSERT INTO "RunEvent" ("id", "runId", "seq", "type", "nodeId", "payload", "createdAt") VALUES ($1, $2, $3, 'node.completed', $4, '{"port":"out","attempt":1}', now()), ($5, $2, $6, 'node.entered', $7, '{"visit":1}', now())`,
              values: [randomUUID(), runId, seq++, `p${i}`, randomUUID(), seq++, `p${i + 1}`],
            });
            await client.query({ name: "raw-checkpoint", text: `INSERT INTO "Checkpoint" ("id", "runId", "seq", "snapshot", "machineHash", "createdAt") VALUES ($1, $2, $3, $4, 'bench', now())`, values: [randomUUID(), runId, seq - 1, snapshot] });
          }
          await client.query("COMMIT");
        }
      }
      return count / ((performance.now() - begun) / 1000);
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
        // The raw loop's run is leased to it; its checkpoints are as large as the engine's own.
        const rawRun = (await services.runs.start({ workflow: wf.id, input: { n: "raw" } })).id;
        await env.database.db.run.update({ where: { id: rawRun }, data: { status: "running", leaseOwner: RAW_OWNER, leaseExpiresAt: new Date(Date.now() + RAW_LEASE_MS) } });
        const sizes = await env.database.db.checkpoint.findMany({ where: { runId: { in: warmup } }, select: { snapshot: true } });
        const checkpointBytes = Math.round(sizes.reduce((sum, c) => sum + JSON.stringify(c.snapshot).length, 0) / sizes.length);
        const snapshot = snapshotOf(checkpointBytes);
        const raw = target.provider === "sqlite" ? rawSqlite(target.file, rawRun, snapshot) : await rawPostgres(target.url, rawRun, snapshot);
        await raw.steps(steps, WARMUP_RUNS * (STEPS + 2));
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
          baselines.push(await raw.steps(steps, total));
        }
        const shape = steps === "pure" ? `pure_batch${PURE_BATCH}` : "effects";
        report(`engine.${kind.name}.${shape}.${workers}_worker${workers > 1 ? "s" : ""}.steps_per_second`, median(rates), "steps/s", median(baselines));
        await raw.close();
        await Promise.all(databases.map((d) => d.close()));
      } finally {
        await env.dispose();
      }
    }
  }
}
