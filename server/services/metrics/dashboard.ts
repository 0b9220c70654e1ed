import { z } from "zod";
import type { Database } from "../../../engine/store";
import { emptyDay, rawDays, type DayFigures } from "./daily";
import { rolledUpThrough } from "./rollup";
import { addDays, dayOf, DAY_MS, dialectOf, num, realRun, rows, startOfDay } from "./sql";

export const DashboardInput = z.object({
  days: z.number().int("must be a whole number of days").min(1, "must be at least 1").max(90, "must be at most 90").default(14),
});

export interface LatencyFigure {
  nodeType: string;
  steps: number;
  p50Ms: number;
  p95Ms: number;
}

export interface Dashboard {
  generatedAt: string;
  days: number;
  /** One entry per UTC day of the range, oldest first, zeros included; costUnits includes Keel's own. */
  daily: (Omit<DayFigures, "workflowId"> & { keelCostUnits: number })[];
  totals: Omit<DayFigures, "workflowId" | "day">;
  /** Cost and runs of each workflow over the range, most expensive first; workflowId null: Keel's own (summaries, embeddings). */
  workflows: { workflowId: string | null; name: string; runs: number; steps: number; costUnits: number; costTokens: number }[];
  /** Over the last 24 hours. */
  latency: LatencyFigure[];
  retry: { steps: number; attempts: number; rate: number };
  backlog: { queued: number; oldestAgeSeconds: number | null };
  approvals: { waiting: number; oldestAgeSeconds: number | null };
  deadLetters: { open: number; last24h: number; oldestAgeSeconds: number | null };
}

const sum = (list: DayFigures[], key: keyof Omit<DayFigures, "day" | "workflowId">) => list.reduce((total, row) => total + row[key], 0);
const ageSeconds = (now: Date, oldest: unknown): number | null => (oldest === null || oldest === undefined ? null : Math.max(0, Math.round((now.getTime() - toDate(oldest).getTime()) / 1000)));
// SQLite hands raw timestamps back as text.
const toDate = (value: unknown): Date => {
  if (value instanceof Date) return value;
  const text = String(value).replace(" ", "T");
  return new Date(/(Z|[+-]\d\d:\d\d)$/i.test(text) ? text : `${text}Z`);
};

/** Per (day, workflow) over [fromDay, today]: ended days from the rollup, the rest from the raw rows. */
export async function dayFigures(database: Database, now: Date, fromDay: string): Promise<DayFigures[]> {
  const through = await rolledUpThrough(database);
  const rolled =
    through && through >= fromDay
      ? await database.db.metricsDay.findMany({ where: { day: { gte: fromDay, lte: through } }, omit: { computedAt: true } })
      : [];
  const rawFrom = through && through >= fromDay ? addDays(through, 1) : fromDay;
  const raw = await rawDays(database, new Date(`${rawFrom}T00:00:00.000Z`), new Date(startOfDay(now).getTime() + DAY_MS));
  return [...rolled, ...raw];
}

/** p50 and p95 of completed steps' durations per node type since `since`, ranked in SQL. */
export async function stepLatency(database: Database, since: Date): Promise<LatencyFigure[]> {
  const d = dialectOf(database);
  const q = d.query();
  const ms = d.millis(`e."startedAt"`, `e."completedAt"`);
  const found = await rows<{ nodeType: string; n: unknown; rn: unknown; ms: unknown }>(
    database,
    q,
    `SELECT "nodeType", "n", "rn", "ms" FROM (
       SELECT e."nodeType" AS "nodeType", ${ms} AS "ms",
              ROW_NUMBER() OVER (PARTITION BY e."nodeType" ORDER BY ${ms}) AS "rn",
              COUNT(*) OVER (PARTITION BY e."nodeType") AS "n"
       FROM "Effect" e JOIN "Run" r ON r."id" = e."runId"
       WHERE e."completedAt" >= ${q.time(since)} AND ${realRun("r")}
     ) ranked
     WHERE "rn" = ("n" * 50 + 99) / 100 OR "rn" = ("n" * 95 + 99) / 100
     ORDER BY "nodeType", "rn"`,
  );
  const byType = new Map<string, LatencyFigure>();
  for (const row of found) {
    const n = num(row.n);
    const figure = byType.get(row.nodeType) ?? { nodeType: row.nodeType, steps: n, p50Ms: 0, p95Ms: 0 };
    const value = Math.round(num(row.ms));
    // Both ranks are the same row when a type has one step.
    if (num(row.rn) === Math.floor((n * 50 + 99) / 100)) figure.p50Ms = value;
    if (num(row.rn) === Math.floor((n * 95 + 99) / 100)) figure.p95Ms = value;
    byType.set(row.nodeType, figure);
  }
  return [...byType.values()].sort((a, b) => b.p95Ms - a.p95Ms);
}

/** Keel's own spending (memory summaries, embeddings) per UTC day since `from`. */
export async function keelSpendByDay(database: Database, from: Date): Promise<Map<string, { units: number; tokens: number }>> {
  const d = dialectOf(database);
  const q = d.query();
  const found = await rows<{ day: string; units: unknown; tokens: unknown }>(
    database,
    q,
    `SELECT ${d.day(`k."createdAt"`)} AS "day", SUM(k."costUnits") AS "units", SUM(k."costTokens") AS "tokens" FROM "KeelSpend" k WHERE k."createdAt" >= ${q.time(from)} GROUP BY 1`,
  );
  return new Map(found.map((row) => [row.day, { units: num(row.units), tokens: num(row.tokens) }]));
}

/** Queue depth, waiting approvals and open dead letters, with the age of the oldest of each. */
export async function queueFigures(database: Database, now: Date) {
  const d = dialectOf(database);
  const q = d.query();
  const since = q.time(new Date(now.getTime() - DAY_MS));
  const [row] = await rows<Record<string, unknown>>(
    database,
    q,
    `SELECT
       (SELECT COUNT(*) FROM "Run" r WHERE r."status" = 'queued' AND ${realRun("r")}) AS "queued",
       (SELECT MIN(r."createdAt") FROM "Run" r WHERE r."status" = 'queued' AND ${realRun("r")}) AS "queuedOldest",
       (SELECT COUNT(*) FROM "Approval" a WHERE a."status" = 'pending') AS "waiting",
       (SELECT MIN(a."createdAt") FROM "Approval" a WHERE a."status" = 'pending') AS "waitingOldest",
       (SELECT COUNT(*) FROM "DeadLetter" x WHERE x."status" = 'open') AS "open",
       (SELECT MIN(x."createdAt") FROM "DeadLetter" x WHERE x."status" = 'open') AS "openOldest",
       (SELECT COUNT(*) FROM "DeadLetter" x WHERE x."status" = 'open' AND x."createdAt" >= ${since}) AS "openRecent"`,
  );
  return {
    backlog: { queued: num(row!.queued), oldestAgeSeconds: ageSeconds(now, row!.queuedOldest) },
    approvals: { waiting: num(row!.waiting), oldestAgeSeconds: ageSeconds(now, row!.waitingOldest) },
    deadLetters: { open: num(row!.open), last24h: num(row!.openRecent), oldestAgeSeconds: ageSeconds(now, row!.openOldest) },
  };
}

/** Attempts per completed step over the last 24 hours: the share of attempts that were retries. */
export async function retryFigures(database: Database, since: Date) {
  const d = dialectOf(database);
  const q = d.query();
  const [row] = await rows<{ steps: unknown; attempts: unknown }>(
    database,
    q,
    `SELECT COUNT(*) AS "steps", SUM(e."attempts") AS "attempts" FROM "Effect" e JOIN "Run" r ON r."id" = e."runId"
     WHERE e."completedAt" >= ${q.time(since)} AND ${realRun("r")}`,
  );
  const steps = num(row?.steps);
  const attempts = num(row?.attempts);
  return { steps, attempts, rate: attempts === 0 ? 0 : (attempts - steps) / attempts };
}

export async function dashboard(database: Database, options: { now: Date; days: number }): Promise<Dashboard> {
  const { now, days } = options;
  const today = dayOf(now);
  const fromDay = addDays(today, -(days - 1));
  const since24h = new Date(now.getTime() - DAY_MS);
  const [figures, keel, latency, retry, queues] = [
    await dayFigures(database, now, fromDay),
    await keelSpendByDay(database, new Date(`${fromDay}T00:00:00.000Z`)),
    await stepLatency(database, since24h),
    await retryFigures(database, since24h),
    await queueFigures(database, now),
  ];

  const byDay = new Map<string, DayFigures[]>();
  const byWorkflow = new Map<string, DayFigures[]>();
  for (const row of figures) {
    byDay.set(row.day, [...(byDay.get(row.day) ?? []), row]);
    byWorkflow.set(row.workflowId, [...(byWorkflow.get(row.workflowId) ?? []), row]);
  }
  const totalsOf = (list: DayFigures[]) => {
    const { day: _day, workflowId: _workflow, ...zero } = emptyDay("", "");
    for (const key of Object.keys(zero) as (keyof typeof zero)[]) zero[key] = sum(list, key);
    return zero;
  };
  const daily = Array.from({ length: days }, (_, i) => {
    const day = addDays(fromDay, i);
    const totals = totalsOf(byDay.get(day) ?? []);
    const own = keel.get(day) ?? { units: 0, tokens: 0 };
    return { day, ...totals, costUnits: totals.costUnits + own.units, costTokens: totals.costTokens + own.tokens, keelCostUnits: own.units };
  });
  const names = new Map(
    (await database.db.workflow.findMany({ where: { id: { in: [...byWorkflow.keys()] } }, select: { id: true, name: true } })).map((w) => [w.id, w.name]),
  );
  const workflows = [...byWorkflow.entries()]
    .map(([workflowId, list]) => {
      const t = totalsOf(list);
      return { workflowId, name: names.get(workflowId) ?? "(deleted workflow)", runs: t.runsStarted, steps: t.steps, costUnits: t.costUnits, costTokens: t.costTokens };
    })
    .sort((a, b) => b.costUnits - a.costUnits || b.runs - a.runs);
  const own = [...keel.values()].reduce((sum, k) => ({ units: sum.units + k.units, tokens: sum.tokens + k.tokens }), { units: 0, tokens: 0 });
  const keelLine = own.units > 0 || own.tokens > 0 ? [{ workflowId: null, name: "Keel (memory summaries, embeddings)", runs: 0, steps: 0, costUnits: own.units, costTokens: own.tokens }] : [];
  const totals = totalsOf(figures);
  return {
    generatedAt: now.toISOString(),
    days,
    daily,
    totals: { ...totals, costUnits: totals.costUnits + own.units, costTokens: totals.costTokens + own.tokens },
    workflows: [...workflows, ...keelLine].sort((a, b) => b.costUnits - a.costUnits || b.runs - a.runs),
    latency,
    retry,
    ...queues,
  };
}
