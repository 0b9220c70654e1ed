import type { Database } from "../../../engine/store";
import { dialectOf, num, realRun, rows } from "./sql";

/** One UTC day of one workflow: the unit both the rollup and the raw read produce. */
export interface DayFigures {
  day: string;
  workflowId: string;
  runsStarted: number;
  runsSucceeded: number;
  runsFailed: number;
  /** Steps with an effect that completed that day, with every attempt they took. */
  steps: number;
  attempts: number;
  /** Steps whose last attempt failed (dead letters, or waiting for a retry), by the day they began. */
  stepsFailed: number;
  costUnits: number;
  costTokens: number;
}

export const emptyDay = (day: string, workflowId: string): DayFigures => ({
  day,
  workflowId,
  runsStarted: 0,
  runsSucceeded: 0,
  runsFailed: 0,
  steps: 0,
  attempts: 0,
  stepsFailed: 0,
  costUnits: 0,
  costTokens: 0,
});

/**
 * The figures of every (day, workflow) with activity in [from, to), read from the raw tables.
 * Four grouped scans, each over an index on its time column, so the cost follows the rows in
 * the window, not the size of the history.
 */
export async function rawDays(database: Database, from: Date, to: Date): Promise<DayFigures[]> {
  const d = dialectOf(database);
  const byKey = new Map<string, DayFigures>();
  const at = (day: string, workflowId: string) => {
    const key = `${day}|${workflowId}`;
    let row = byKey.get(key);
    if (!row) byKey.set(key, (row = emptyDay(day, workflowId)));
    return row;
  };
  const window = (column: string) => {
    const q = d.query();
    return { q, where: `${column} >= ${q.time(from)} AND ${column} < ${q.time(to)}` };
  };

  const started = window(`r."createdAt"`);
  const finished = window(`r."finishedAt"`);
  const completed = window(`e."completedAt"`);
  const failed = window(`e."startedAt"`);
  const [startedRows, finishedRows, stepRows, failedRows] = await Promise.all([
    rows<{ day: string; workflowId: string; n: unknown }>(
      database,
      started.q,
      `SELECT ${d.day(`r."createdAt"`)} AS "day", r."workflowId" AS "workflowId", COUNT(*) AS "n"
       FROM "Run" r WHERE ${started.where} AND ${realRun("r")} GROUP BY 1, 2`,
    ),
    rows<{ day: string; workflowId: string; ok: unknown; bad: unknown }>(
      database,
      finished.q,
      `SELECT ${d.day(`r."finishedAt"`)} AS "day", r."workflowId" AS "workflowId",
              SUM(CASE WHEN r."status" = 'succeeded' THEN 1 ELSE 0 END) AS "ok",
              SUM(CASE WHEN r."status" = 'failed' THEN 1 ELSE 0 END) AS "bad"
       FROM "Run" r WHERE ${finished.where} AND ${realRun("r")} GROUP BY 1, 2`,
    ),
    rows<{ day: string; workflowId: string; n: unknown; attempts: unknown; units: unknown; tokens: unknown }>(
      database,
      completed.q,
      `SELECT ${d.day(`e."completedAt"`)} AS "day", r."workflowId" AS "workflowId", COUNT(*) AS "n", SUM(e."attempts") AS "attempts",
              SUM(e."costUnits") AS "units", SUM(e."costTokens") AS "tokens"
       FROM "Effect" e JOIN "Run" r ON r."id" = e."runId"
       WHERE ${completed.where} AND ${realRun("r")} GROUP BY 1, 2`,
    ),
    rows<{ day: string; workflowId: string; n: unknown }>(
      database,
      failed.q,
      `SELECT ${d.day(`e."startedAt"`)} AS "day", r."workflowId" AS "workflowId", COUNT(*) AS "n"
       FROM "Effect" e JOIN "Run" r ON r."id" = e."runId"
       WHERE e."status" = 'failed'${d.pg ? `::"EffectStatus"` : ""} AND ${failed.where} AND ${realRun("r")} GROUP BY 1, 2`,
    ),
  ]);
  for (const r of startedRows) at(r.day, r.workflowId).runsStarted += num(r.n);
  for (const r of finishedRows) {
    const row = at(r.day, r.workflowId);
    row.runsSucceeded += num(r.ok);
    row.runsFailed += num(r.bad);
  }
  for (const r of stepRows) {
    const row = at(r.day, r.workflowId);
    row.steps += num(r.n);
    row.attempts += num(r.attempts);
    row.costUnits += num(r.units);
    row.costTokens += num(r.tokens);
  }
  for (const r of failedRows) at(r.day, r.workflowId).stepsFailed += num(r.n);
  return [...byKey.values()];
}
