import { json, type Db } from "../store";

// The run store's side of the editor's test runs: marking a run as a test, ending a test run's
// delay early, and starting a one-step run from a seeded checkpoint. Only store modules write
// run tables (eslint.config.js).

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** Marks a run as a test of the draft: same ledger, left out of dashboards and run lists. */
export async function markTestRun(db: Db, runId: string): Promise<void> {
  await db.run.update({ where: { id: runId }, data: { test: true } });
}

/** A sleeping run's unfired delays fire now; false when the run was not sleeping. */
export async function skipDelay(db: Db, runId: string, now: Date): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.run.updateMany({ where: { id: runId, status: "sleeping" }, data: { wakeAt: now } });
    if (count !== 1) return false;
    await tx.timer.updateMany({ where: { runId, kind: "delay", firedAt: null }, data: { fireAt: now } });
    return true;
  });
}

/**
 * A test run that starts from a seeded checkpoint (seq 1) instead of its trigger: the editor's
 * "run one step", with the upstream outputs of an earlier test run already in its context.
 */
export async function createSeededTestRun(
  db: Db,
  input: { workflowId: string; versionId: string; input: unknown; trigger: string; originRunId: string; event: { type: string; payload: unknown }; snapshot: unknown; machineHash: string; also?: (tx: Tx, runId: string) => Promise<void> },
): Promise<{ id: string }> {
  return db.$transaction(async (tx) => {
    const created = await tx.run.create({
      data: { workflowId: input.workflowId, versionId: input.versionId, input: json(input.input), trigger: input.trigger, test: true, originRunId: input.originRunId },
      select: { id: true },
    });
    await tx.runEvent.create({ data: { runId: created.id, seq: 1, type: input.event.type, payload: json(input.event.payload) } });
    await tx.checkpoint.create({ data: { runId: created.id, seq: 1, snapshot: json(input.snapshot), machineHash: input.machineHash } });
    await input.also?.(tx, created.id);
    return created;
  });
}
