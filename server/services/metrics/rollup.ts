import { json, type Database } from "../../../engine/store";
import { rawDays } from "./daily";
import { addDays, dayOf, DAY_MS } from "./sql";

// Ended UTC days are folded into MetricsDay once, by the worker's ticker, so the dashboard reads
// one small row per workflow and day instead of every step of the month. Nothing on the step
// commit path writes here. A day is folded only a while after it ended, so a step committed on
// its last millisecond is in it.

export const ROLLUP_SETTING = "metrics.rollup";
/** How long after midnight (UTC) a day is folded. */
export const ROLLUP_GRACE_MS = 10 * 60_000;
/** Days folded per pass at most, so a first pass over a long history does not hold the ticker. */
const DAYS_PER_PASS = 62;

/** The last day folded into MetricsDay, or null when none is. */
export async function rolledUpThrough(database: Database): Promise<string | null> {
  const row = await database.db.setting.findUnique({ where: { key: ROLLUP_SETTING } });
  const through = (row?.value as { through?: unknown } | null)?.through;
  return typeof through === "string" ? through : null;
}

/** Folds every ended day not folded yet (oldest first); returns the days it folded. */
export async function rollUpMetrics(database: Database, now: Date): Promise<string[]> {
  const { db } = database;
  const lastEnded = dayOf(new Date(now.getTime() - ROLLUP_GRACE_MS - DAY_MS));
  const through = await rolledUpThrough(database);
  let first: string;
  if (through) first = addDays(through, 1);
  else {
    const oldest = await db.run.findFirst({ orderBy: { createdAt: "asc" }, select: { createdAt: true } });
    if (!oldest) return [];
    first = dayOf(oldest.createdAt);
  }
  const folded: string[] = [];
  for (let day = first; day <= lastEnded && folded.length < DAYS_PER_PASS; day = addDays(day, 1)) {
    const from = new Date(`${day}T00:00:00.000Z`);
    const figures = await rawDays(database, from, new Date(from.getTime() + DAY_MS));
    await db.$transaction([
      db.metricsDay.deleteMany({ where: { day } }),
      db.metricsDay.createMany({ data: figures.map((f) => ({ ...f, computedAt: now })) }),
      db.setting.upsert({ where: { key: ROLLUP_SETTING }, create: { key: ROLLUP_SETTING, value: json({ through: day }) }, update: { value: json({ through: day }) } }),
    ]);
    folded.push(day);
  }
  return folded;
}
