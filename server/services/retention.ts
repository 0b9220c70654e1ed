import { z } from "zod";
import { ValidationError } from "../../engine/errors";
import { pruneRuns, type PruneCounts } from "../../engine/runtime/prisma-store-tombstones";
import { json, openDatabase, type Database, type Db } from "../../engine/store";
import type { KeelConfig } from "../config";
import { audit } from "./audit";
import { zodIssues } from "./zod-issues";

// Retention: the payloads of old finished runs (inputs, outputs, event payloads, effect
// requests and results, intermediate snapshots) are replaced by tombstones. The skeleton stays
// (which run, which node, which event, when, with what status) and the last checkpoint too, so
// history remains drawable and honest about what is gone.

export const RETENTION_SETTING_KEY = "retention";
const DAY_MS = 86_400_000;

export const RetentionSettingsSchema = z.object({
  runPayloadDays: z.number().int("must be a whole number of days").min(1, "must be at least 1 day").default(90),
});

export type RetentionSettings = z.output<typeof RetentionSettingsSchema>;

function parseSettings(value: unknown): RetentionSettings {
  const parsed = RetentionSettingsSchema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, RETENTION_SETTING_KEY);
    throw new ValidationError(`setting ${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

/** The retention setting, with defaults when it was never set. */
export async function readRetentionSettings(db: Db): Promise<RetentionSettings> {
  const row = await db.setting.findUnique({ where: { key: RETENTION_SETTING_KEY } });
  return parseSettings(row?.value ?? {});
}

export async function saveRetentionSettings(db: Db, input: unknown, actor = "operator"): Promise<RetentionSettings> {
  const settings = parseSettings(input);
  await db.setting.upsert({
    where: { key: RETENTION_SETTING_KEY },
    create: { key: RETENTION_SETTING_KEY, value: json(settings) },
    update: { value: json(settings) },
  });
  await audit(db, { actor, action: "settings.update", targetType: "setting", targetId: RETENTION_SETTING_KEY, detail: settings });
  return settings;
}

export type { PruneCounts };

export interface PruneResult extends PruneCounts {
  cutoff: string;
}

function isTombstone(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "pruned" in value;
}

/**
 * Replaces the payloads of runs finished before `now - days` with tombstones. Runs still open
 * in dead letters are left alone (their review needs the data). Idempotent: a second call
 * finds nothing to change. Each batch of runs is one transaction.
 */
export async function pruneRunPayloads(
  db: Db,
  options: { now: Date; days: number; batchSize?: number },
): Promise<PruneResult> {
  if (!Number.isInteger(options.days) || options.days < 1) {
    throw new ValidationError(`days: must be a whole number of at least 1, got ${options.days}`, [
      { path: "days", message: "must be a whole number of at least 1" },
    ]);
  }
  const cutoff = new Date(options.now.getTime() - options.days * DAY_MS);
  const prunedAt = options.now.toISOString();
  const batchSize = options.batchSize ?? 100;
  const counts: PruneCounts = { runs: 0, events: 0, checkpoints: 0, effects: 0, approvals: 0, deadLetters: 0, timers: 0, webhookDeliveries: 0 };

  let cursor: string | undefined;
  for (;;) {
    const candidates = await db.run.findMany({
      where: { finishedAt: { lt: cutoff }, deadLetters: { none: { status: "open" } } },
      select: { id: true, input: true },
      orderBy: { id: "asc" },
      take: batchSize,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    if (candidates.length === 0) break;
    cursor = candidates[candidates.length - 1]!.id;
    // A run's input becomes a tombstone in the same transaction as the rest of its pruning,
    // so a tombstoned run is a fully pruned run.
    const ids = candidates.filter((run) => !isTombstone(run.input)).map((run) => run.id);
    if (ids.length === 0) continue;

    const pruned = await pruneRuns(db, ids, prunedAt);
    for (const key of Object.keys(counts) as (keyof PruneCounts)[]) counts[key] += pruned[key];
  }
  return { ...counts, cutoff: cutoff.toISOString() };
}

export interface CompactResult {
  vacuumed: boolean;
  freePages: number;
  pageCount: number;
}

/**
 * SQLite only: VACUUM when more than `threshold` of the file is free pages, then truncate the
 * WAL so the file really shrinks. PostgreSQL reclaims space with autovacuum; never run there.
 */
export async function compactDatabase(database: Database, threshold = 0.25): Promise<CompactResult> {
  if (database.provider !== "sqlite") return { vacuumed: false, freePages: 0, pageCount: 0 };
  const pragma = async (name: string) => {
    const rows = await database.db.$queryRawUnsafe<Record<string, number | bigint>[]>(`PRAGMA ${name}`);
    return Number(Object.values(rows[0] ?? {})[0] ?? 0);
  };
  const freePages = await pragma("freelist_count");
  const pageCount = await pragma("page_count");
  if (pageCount === 0 || freePages / pageCount <= threshold) return { vacuumed: false, freePages, pageCount };
  await database.db.$executeRawUnsafe("VACUUM");
  await database.db.$queryRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
  return { vacuumed: true, freePages, pageCount };
}

export interface RetentionResult extends PruneResult, CompactResult {
  days: number;
}

/**
 * One retention pass: prune with `days` (default: the retention setting), compact, and record
 * "retention.prune" in the audit log (always for the CLI; for the scheduled pass only when it
 * changed something, so a quiet day leaves no entry).
 */
export async function runRetention(
  database: Database,
  options: { now: Date; days?: number; actor: string; auditUnchanged?: boolean },
): Promise<RetentionResult> {
  const days = options.days ?? (await readRetentionSettings(database.db)).runPayloadDays;
  const pruned = await pruneRunPayloads(database.db, { now: options.now, days });
  const compacted = await compactDatabase(database);
  const result = { days, ...pruned, ...compacted };
  const changed = pruned.runs > 0 || compacted.vacuumed;
  if (changed || (options.auditUnchanged ?? true)) {
    await audit(database.db, { actor: options.actor, action: "retention.prune", targetType: "run", detail: { ...result } });
  }
  return result;
}

export function describeRetention(result: RetentionResult): string {
  const pruned =
    result.runs === 0
      ? `no run finished before ${result.cutoff} (${result.days} days) had payloads left to prune`
      : `pruned the payloads of ${result.runs} run(s) finished before ${result.cutoff} (${result.days} days): ` +
        `${result.events} event(s), ${result.checkpoints} checkpoint(s) deleted, ${result.effects} effect(s)` +
        (result.approvals || result.deadLetters || result.timers || result.webhookDeliveries
          ? `, ${result.approvals} approval(s), ${result.deadLetters} dead letter(s), ${result.timers} timer(s), ${result.webhookDeliveries} webhook delivery(ies)`
          : "");
  return result.vacuumed ? `${pruned}; compacted the database (VACUUM)` : pruned;
}

/**
 * The scheduled pass in `keel start`: once now, then every `intervalMs` (24 h). A failure is
 * logged and the next pass tried as usual; it never stops Keel.
 */
export function startRetentionTimer(
  config: KeelConfig,
  options: { log: (line: string) => void; intervalMs?: number; now?: () => Date },
): { stop(): void } {
  const intervalMs = options.intervalMs ?? DAY_MS;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const pass = async () => {
    try {
      const database = await openDatabase(config.database);
      try {
        const result = await runRetention(database, { now: options.now?.() ?? new Date(), actor: "system", auditUnchanged: false });
        if (result.runs > 0 || result.vacuumed) options.log(`retention: ${describeRetention(result)}`);
      } finally {
        await database.close();
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      const next = intervalMs >= 3_600_000 ? `${Math.round(intervalMs / 3_600_000)} h` : `${Math.round(intervalMs / 1000)} s`;
      options.log(`retention failed (next try in ${next}): ${reason}`);
    }
    if (!stopped) {
      timer = setTimeout(() => void pass(), intervalMs);
      timer.unref();
    }
  };
  void pass();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
