import type { Database } from "../../../engine/store";
import { keelSpendByDay, queueFigures, retryFigures } from "../metrics/dashboard";
import { rawDays } from "../metrics/daily";
import { DAY_MS, startOfDay } from "../metrics/sql";
import type { AlertMetric } from "./rules";

const HOUR_MS = 3_600_000;

/** The current value of each metric an alert can watch, read once per tick. */
export async function metricValues(database: Database, now: Date): Promise<Record<AlertMetric, number>> {
  const [retry, queues, growth, today, extra] = [
    await retryFigures(database, new Date(now.getTime() - HOUR_MS)),
    await queueFigures(database, now),
    await database.db.deadLetter.count({ where: { createdAt: { gte: new Date(now.getTime() - HOUR_MS) } } }),
    await rawDays(database, startOfDay(now), new Date(startOfDay(now).getTime() + DAY_MS)),
    // Keel's own spending (summaries, embeddings) is part of the day's cost.
    [...(await keelSpendByDay(database, startOfDay(now))).values()].reduce((sum, k) => sum + k.units, 0),
  ];
  return {
    retry_rate: retry.rate,
    backlog_age: queues.backlog.oldestAgeSeconds ?? 0,
    dead_letter_growth: growth,
    daily_cost: today.reduce((sum, row) => sum + row.costUnits, 0) + extra,
  };
}
