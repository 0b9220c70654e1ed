import { AnyNull, DbNull, json, type Db } from "../store";
import type { WithinTx } from "./prisma-store-actions";

// Payloads leave run history as tombstones, never rows: retention (old finished runs) and
// forgetting a subject (its items and every payload that mentions it) both keep the skeleton
// (which run, node, event, when), so history stays replayable and honest about what is gone.

export interface PruneCounts {
  runs: number;
  events: number;
  checkpoints: number;
  effects: number;
  /** Decided approvals: the context packet and the operator's edits. */
  approvals: number;
  /** Resolved dead letters: the review packet. */
  deadLetters: number;
  timers: number;
  /** Inbound webhook bodies that started these runs. */
  webhookDeliveries: number;
}

/** Tombstones one batch of finished runs in one transaction; the last checkpoint of each stays. */
export async function pruneRuns(db: Db, ids: string[], prunedAt: string): Promise<PruneCounts> {
  const tombstone = json({ pruned: prunedAt });
  return db.$transaction(
    async (tx) => {
      const events = await tx.runEvent.updateMany({
        where: { runId: { in: ids }, tombstone: null, NOT: { payload: { equals: AnyNull } } },
        data: { payload: DbNull, tombstone: `pruned ${prunedAt}` },
      });
      const last = await tx.checkpoint.groupBy({ by: ["runId"], where: { runId: { in: ids } }, _max: { seq: true } });
      const checkpoints = last.length > 0 ? (await tx.checkpoint.deleteMany({ where: { OR: last.map((row) => ({ runId: row.runId, seq: { lt: row._max.seq! } })) } })).count : 0;
      const effects = await tx.effect.updateMany({
        where: {
          runId: { in: ids },
          OR: [{ NOT: { request: { equals: AnyNull } } }, { NOT: { result: { equals: AnyNull } } }, { NOT: { error: { equals: AnyNull } } }],
        },
        data: { request: DbNull, result: DbNull, error: DbNull },
      });
      // Approvals keep who decided what and when; their packet and edits go.
      const approvals = await tx.approval.updateMany({ where: { runId: { in: ids } }, data: { packet: tombstone } });
      await tx.approval.updateMany({ where: { runId: { in: ids }, NOT: { editedData: { equals: AnyNull } } }, data: { editedData: tombstone } });
      // Runs with an open dead letter are never pruned, so these are resolved ones.
      const deadLetters = await tx.deadLetter.updateMany({ where: { runId: { in: ids } }, data: { packet: tombstone } });
      const timers = await tx.timer.updateMany({ where: { runId: { in: ids }, NOT: { payload: { equals: AnyNull } } }, data: { payload: tombstone } });
      const webhookDeliveries = await tx.webhookDelivery.updateMany({ where: { runId: { in: ids } }, data: { body: tombstone } });
      // output and error become tombstones only where there was one: "it had an error" stays true.
      await tx.run.updateMany({ where: { id: { in: ids }, NOT: { output: { equals: AnyNull } } }, data: { output: tombstone } });
      await tx.run.updateMany({ where: { id: { in: ids }, NOT: { error: { equals: AnyNull } } }, data: { error: tombstone } });
      // The input last, in the same transaction: a tombstoned input means a fully pruned run.
      const runs = await tx.run.updateMany({ where: { id: { in: ids } }, data: { input: tombstone } });
      return {
        runs: runs.count,
        events: events.count,
        checkpoints,
        effects: effects.count,
        approvals: approvals.count,
        deadLetters: deadLetters.count,
        timers: timers.count,
        webhookDeliveries: webhookDeliveries.count,
      };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

export interface ForgetTargets {
  /** Steps that produced the subject's items: their events and effects lose their payloads. */
  steps: { runId: string; nodeId: string }[];
  eventIds: string[];
  effectIds: string[];
  /** Runs whose input or output mention the subject; only finished ones are tombstoned. */
  runIds: string[];
}

/**
 * Tombstones what carried a forgotten subject, in one transaction with `also` (deleting the
 * subject, auditing). Open runs keep their input and output: they still need them to go on.
 */
export async function forgetPayloads<T>(db: Db, targets: ForgetTargets, at: Date, also: (tx: Parameters<WithinTx>[0], counts: { events: number; effects: number; runs: number }) => Promise<T>): Promise<T> {
  const stamp = at.toISOString();
  return db.$transaction(
    async (tx) => {
      const events = await tx.runEvent.updateMany({
        where: { OR: [...targets.steps, { id: { in: targets.eventIds } }], NOT: { payload: { equals: AnyNull } } },
        data: { payload: DbNull, tombstone: `forgotten ${stamp}` },
      });
      const effects = await tx.effect.updateMany({ where: { OR: [...targets.steps, { id: { in: targets.effectIds } }] }, data: { request: DbNull, result: DbNull, error: DbNull } });
      const tombstone = json({ forgotten: stamp });
      const finished = { id: { in: targets.runIds }, finishedAt: { not: null } };
      const runs = await tx.run.updateMany({ where: finished, data: { input: tombstone } });
      await tx.run.updateMany({ where: { ...finished, NOT: { output: { equals: AnyNull } } }, data: { output: tombstone } });
      return also(tx, { events: events.count, effects: effects.count, runs: runs.count });
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}
