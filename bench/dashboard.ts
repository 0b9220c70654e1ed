import Database from "better-sqlite3";
import pg from "pg";
import { openDatabase, type Database as KeelDatabase } from "../engine/store";
import { spentToday } from "../server/services/budgets";
import { dashboard, dayFigures, queueFigures, retryFigures, stepLatency } from "../server/services/metrics/dashboard";
import { rollUpMetrics } from "../server/services/metrics/rollup";
import { addDays, dayOf, DAY_MS } from "../server/services/metrics/sql";
import { databaseKinds, migratedDatabase } from "../test/support/databases";
import { report } from "./report";

// The dashboard's queries over 1,000,000 completed steps (100,000 runs of 10 steps, 10
// workflows) spread over 30 days, as the worker's ticker leaves them (ended days rolled up).
// Each query is measured cold: a fresh connection, right after 1,000 new steps. Baseline: the
// same day-by-day counts straight from the raw steps through the bare driver (what the
// dashboard would cost without the rollup).

const RUNS = 100_000;
const STEPS_PER_RUN = 10;
const WORKFLOWS = 10;
const DAYS = 30;
const NODE_TYPES = ["http.request@1", "llm.chat@1", "email.send@1", "records.upsert_contact@1", "memory.remember@1"];

interface Raw {
  exec(sql: string): Promise<void>;
  time(sql: string): Promise<number>;
  close(): Promise<void>;
}

async function rawDriver(env: Awaited<ReturnType<typeof migratedDatabase>>): Promise<Raw> {
  const target = env.scratch.target;
  if (target.provider === "sqlite") {
    const raw = new Database(target.file, { timeout: 30_000 });
    raw.pragma("journal_mode = WAL");
    return {
      exec: async (sql) => void raw.exec(sql),
      time: async (sql) => {
        const started = performance.now();
        raw.prepare(sql).all();
        return performance.now() - started;
      },
      close: async () => void raw.close(),
    };
  }
  const raw = new pg.Client({ connectionString: target.url });
  await raw.connect();
  return {
    exec: async (sql) => void (await raw.query(sql)),
    time: async (sql) => {
      const started = performance.now();
      await raw.query(sql);
      return performance.now() - started;
    },
    close: () => raw.end(),
  };
}

/** The history, written in the database itself (a recursive CTE / generate_series), not row by row. */
async function seed(raw: Raw, pgsql: boolean, now: Date): Promise<void> {
  const start = Math.floor(now.getTime() / 1000) - DAYS * 86_400;
  const span = DAYS * 86_400 - 3_600;
  const workflows = Array.from({ length: WORKFLOWS }, (_, i) => i);
  await raw.exec(
    `INSERT INTO "Workflow" ("id", "slug", "name", "draftGraph", "createdAt", "updatedAt") VALUES ${workflows.map((i) => `('wf${i}', 'bench-${i}', 'Bench ${i}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`).join(", ")}`,
  );
  await raw.exec(
    `INSERT INTO "WorkflowVersion" ("id", "workflowId", "number", "graph", "machine", "hash", "createdAt") VALUES ${workflows.map((i) => `('v${i}', 'wf${i}', 1, '{}', '{}', 'h${i}', CURRENT_TIMESTAMP)`).join(", ")}`,
  );
  const types = NODE_TYPES.map((t) => `'${t}'`).join(", ");
  if (!pgsql) {
    const ts = (seconds: string) => `strftime('%Y-%m-%dT%H:%M:%f+00:00', ${seconds}, 'unixepoch')`;
    await raw.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${RUNS - 1})
      INSERT INTO "Run" ("id", "workflowId", "versionId", "status", "trigger", "input", "createdAt", "updatedAt", "startedAt", "finishedAt", "costUnits")
      SELECT 'r' || i, 'wf' || (i % ${WORKFLOWS}), 'v' || (i % ${WORKFLOWS}), CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'succeeded' END, 'manual', '{}',
             ${ts(`${start} + (i * ${span}) / ${RUNS}`)}, ${ts(`${start} + (i * ${span}) / ${RUNS} + 60`)}, ${ts(`${start} + (i * ${span}) / ${RUNS}`)}, ${ts(`${start} + (i * ${span}) / ${RUNS} + 60`)}, 0.01
      FROM n;`);
    await raw.exec(`
      WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < ${STEPS_PER_RUN - 1})
      INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "attempts", "costTokens", "costUnits", "startedAt", "completedAt")
      SELECT r."id" || ':' || j, r."id" || ':n' || j || ':1', r."id", 'n' || j, 1, (SELECT t FROM (SELECT ${types.split(", ").map((t, i) => `${t} AS t, ${i} AS x`).join(" UNION ALL SELECT ")}) WHERE x = j % ${NODE_TYPES.length}),
             'completed', CASE WHEN abs(random()) % 20 = 0 THEN 2 ELSE 1 END, 10, 0.001,
             strftime('%Y-%m-%dT%H:%M:%f+00:00', julianday(r."createdAt") * 86400.0 - 210866760000.0 + j * 5, 'unixepoch'),
             strftime('%Y-%m-%dT%H:%M:%f+00:00', julianday(r."createdAt") * 86400.0 - 210866760000.0 + j * 5 + (abs(random()) % 4000) / 1000.0, 'unixepoch')
      FROM "Run" r CROSS JOIN k;`);
    await raw.exec(`ANALYZE;`);
    return;
  }
  await raw.exec(`
    INSERT INTO "Run" ("id", "workflowId", "versionId", "status", "trigger", "input", "createdAt", "updatedAt", "startedAt", "finishedAt", "costUnits")
    SELECT 'r' || i, 'wf' || (i % ${WORKFLOWS}), 'v' || (i % ${WORKFLOWS}), (CASE WHEN i % 20 = 0 THEN 'failed' ELSE 'succeeded' END)::"RunStatus", 'manual', '{}'::jsonb,
           to_timestamp(${start} + (i::bigint * ${span}) / ${RUNS}) AT TIME ZONE 'UTC', to_timestamp(${start} + (i::bigint * ${span}) / ${RUNS} + 60) AT TIME ZONE 'UTC',
           to_timestamp(${start} + (i::bigint * ${span}) / ${RUNS}) AT TIME ZONE 'UTC', to_timestamp(${start} + (i::bigint * ${span}) / ${RUNS} + 60) AT TIME ZONE 'UTC', 0.01
    FROM generate_series(0, ${RUNS - 1}) AS i;`);
  await raw.exec(`
    INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "attempts", "costTokens", "costUnits", "startedAt", "completedAt")
    SELECT r."id" || ':' || j, r."id" || ':n' || j || ':1', r."id", 'n' || j, 1, (ARRAY[${types}])[1 + j % ${NODE_TYPES.length}],
           'completed'::"EffectStatus", CASE WHEN random() < 0.05 THEN 2 ELSE 1 END, 10, 0.001,
           r."createdAt" + make_interval(secs => j * 5), r."createdAt" + make_interval(secs => j * 5 + random() * 4)
    FROM "Run" r CROSS JOIN generate_series(0, ${STEPS_PER_RUN - 1}) AS j;`);
  await raw.exec(`ANALYZE;`);
}

/** 1,000 new steps: 100 runs of 10, finished a moment ago. */
async function newSteps(raw: Raw, pgsql: boolean, now: Date, batch: number): Promise<void> {
  const at = Math.floor(now.getTime() / 1000) - 120;
  const prefix = `n${batch}-`;
  if (!pgsql) {
    const ts = (seconds: string) => `strftime('%Y-%m-%dT%H:%M:%f+00:00', ${seconds}, 'unixepoch')`;
    await raw.exec(`
      WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99)
      INSERT INTO "Run" ("id", "workflowId", "versionId", "status", "trigger", "input", "createdAt", "updatedAt", "finishedAt")
      SELECT '${prefix}' || i, 'wf' || (i % ${WORKFLOWS}), 'v' || (i % ${WORKFLOWS}), 'succeeded', 'manual', '{}', ${ts(`${at}`)}, ${ts(`${at} + 60`)}, ${ts(`${at} + 60`)} FROM n;
      WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 9)
      INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "attempts", "costUnits", "startedAt", "completedAt")
      SELECT r."id" || ':' || j, r."id" || ':n' || j || ':1', r."id", 'n' || j, 1, 'http.request@1', 'completed', 1, 0.001, ${ts(`${at} + j`)}, ${ts(`${at} + j + 0.5`)}
      FROM "Run" r CROSS JOIN k WHERE r."id" LIKE '${prefix}%';`);
    return;
  }
  await raw.exec(`
    INSERT INTO "Run" ("id", "workflowId", "versionId", "status", "trigger", "input", "createdAt", "updatedAt", "finishedAt")
    SELECT '${prefix}' || i, 'wf' || (i % ${WORKFLOWS}), 'v' || (i % ${WORKFLOWS}), 'succeeded'::"RunStatus", 'manual', '{}'::jsonb,
           to_timestamp(${at}) AT TIME ZONE 'UTC', to_timestamp(${at} + 60) AT TIME ZONE 'UTC', to_timestamp(${at} + 60) AT TIME ZONE 'UTC' FROM generate_series(0, 99) AS i;
    INSERT INTO "Effect" ("id", "key", "runId", "nodeId", "visit", "nodeType", "status", "attempts", "costUnits", "startedAt", "completedAt")
    SELECT r."id" || ':' || j, r."id" || ':n' || j || ':1', r."id", 'n' || j, 1, 'http.request@1', 'completed'::"EffectStatus", 1, 0.001,
           to_timestamp(${at} + j) AT TIME ZONE 'UTC', to_timestamp(${at} + j + 0.5) AT TIME ZONE 'UTC'
    FROM "Run" r CROSS JOIN generate_series(0, 9) AS j WHERE r."id" LIKE '${prefix}%';`);
}

export async function benchDashboard(): Promise<void> {
  const now = new Date();
  for (const kind of databaseKinds()) {
    const env = await migratedDatabase(kind);
    const pgsql = env.scratch.target.provider === "postgresql";
    const raw = await rawDriver(env);
    try {
      let started = performance.now();
      await seed(raw, pgsql, now);
      report(`dashboard.${kind.name}.seed_1m_steps`, (performance.now() - started) / 1000, "s");
      started = performance.now();
      const folded = await rollUpMetrics(env.database, now);
      report(`dashboard.${kind.name}.rollup_${folded.length}_days`, performance.now() - started, "ms");

      // The baseline: day-by-day step counts straight from 1,000,000 raw rows.
      const from = addDays(dayOf(now), -(DAYS - 1));
      const day = pgsql ? `to_char("completedAt", 'YYYY-MM-DD')` : `substr("completedAt", 1, 10)`;
      const since = pgsql ? `'${from}T00:00:00'::timestamp` : `'${from}T00:00:00.000+00:00'`;
      await newSteps(raw, pgsql, now, 0);
      const baseline = await raw.time(`SELECT ${day} AS d, COUNT(*), SUM("attempts"), SUM("costUnits") FROM "Effect" WHERE "completedAt" >= ${since} GROUP BY 1`);

      const queries: [string, (db: KeelDatabase) => Promise<unknown>][] = [
        ["daily_figures_30d", (db) => dayFigures(db, now, from)],
        ["step_latency_p50_p95_24h", (db) => stepLatency(db, new Date(now.getTime() - DAY_MS))],
        ["retry_rate_24h", (db) => retryFigures(db, new Date(now.getTime() - DAY_MS))],
        ["backlog_approvals_dead_letters", (db) => queueFigures(db, now)],
        ["budget_spent_today", (db) => spentToday(db, now)],
        ["whole_dashboard_30d", (db) => dashboard(db, { now, days: DAYS })],
      ];
      for (const [i, [name, query]] of queries.entries()) {
        await newSteps(raw, pgsql, now, i + 1);
        // Cold: a fresh connection (no prepared statements, no warmed pool) for each query.
        const database = await openDatabase(env.scratch.target);
        try {
          await database.db.$queryRawUnsafe("SELECT 1");
          const t = performance.now();
          await query(database);
          report(`dashboard.${kind.name}.${name}`, performance.now() - t, "ms", baseline);
        } finally {
          await database.close();
        }
      }
    } finally {
      await raw.close();
      await env.dispose();
    }
  }
}
