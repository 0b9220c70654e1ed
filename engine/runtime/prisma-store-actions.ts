import { json, DbNull, type Db } from "../store";
import { RUN_RETRIED_EVENT, withInput } from "./replay";
import { CONTROL_TRANSITIONS, type ControlAction, type RunStatus } from "./run-status";
import type { NewEvent } from "./store";

// The operator's side of the run store: actions on runs no worker holds (control, decide, fork,
// dead-letter retry and cancel). Each is one transaction; `also` runs inside it, so the caller's
// audit entry commits with the change or not at all. Only the store's modules write run tables.

export type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];
/** Written in the same transaction as the action (the audit entry). */
export type WithinTx = (tx: Tx) => Promise<void>;

/** Appends an event at the run's next seq: the one place outside a worker's commit that numbers events. */
export async function appendEvent(tx: Tx, runId: string, event: NewEvent): Promise<number> {
  const last = await tx.runEvent.findFirst({ where: { runId }, orderBy: { seq: "desc" }, select: { seq: true } });
  const seq = (last?.seq ?? 0) + 1;
  await tx.runEvent.create({ data: { runId, seq, type: event.type, nodeId: event.nodeId ?? null, payload: json(event.payload ?? null) } });
  return seq;
}

/** "waiting → queued": the one statement that makes a waiting run runnable again. */
export async function queueIfWaiting(tx: Pick<Tx, "run">, runId: string): Promise<boolean> {
  const { count } = await tx.run.updateMany({ where: { id: runId, status: "waiting" }, data: { status: "queued", wakeAt: null } });
  return count === 1;
}

/** A parent waiting for this run as its sub-workflow looks again. */
async function wakeParentOf(tx: Tx, runId: string): Promise<void> {
  const run = await tx.run.findUnique({ where: { id: runId }, select: { parentRunId: true } });
  if (run?.parentRunId) await queueIfWaiting(tx, run.parentRunId);
}

export type ActionResult = { changed: true } | { changed: false; status: RunStatus | null };

async function statusOf(db: Db, runId: string): Promise<RunStatus | null> {
  return (await db.run.findUnique({ where: { id: runId }, select: { status: true } }))?.status ?? null;
}

/** Cancel, pause or resume; a cancel closes the run's open dead letters and wakes a waiting parent. */
export async function controlRun(db: Db, input: { runId: string; action: ControlAction; actor: string; now: Date; also?: WithinTx }): Promise<ActionResult> {
  const rule = CONTROL_TRANSITIONS[input.action];
  const changed = await db.$transaction(async (tx) => {
    const { count } = await tx.run.updateMany({
      where: { id: input.runId, status: { in: [...rule.from] } },
      data: { status: rule.to, leaseOwner: null, leaseExpiresAt: null, ...(input.action === "cancel" ? { finishedAt: input.now } : {}) },
    });
    if (count !== 1) return false;
    await appendEvent(tx, input.runId, { type: rule.event, payload: { by: input.actor } });
    if (input.action === "cancel") {
      await tx.deadLetter.updateMany({ where: { runId: input.runId, status: "open" }, data: { status: "cancelled", resolvedBy: input.actor, resolvedAt: input.now } });
      await wakeParentOf(tx, input.runId);
    }
    await input.also?.(tx);
    return true;
  });
  return changed ? { changed: true } : { changed: false, status: await statusOf(db, input.runId) };
}

export interface Decision {
  approvalId: string;
  decision: "approve" | "reject" | "edit";
  actor: string;
  comment?: string | undefined;
  data?: unknown;
  now: Date;
}

/** Settles a pending approval and queues its run; null when it was not pending (or does not exist). */
export async function decideApproval(db: Db, input: Decision & { also?: (tx: Tx, approval: { runId: string; nodeId: string }) => Promise<void> }): Promise<{ runId: string; nodeId: string } | null> {
  return db.$transaction(async (tx) => {
    const { count } = await tx.approval.updateMany({
      where: { id: input.approvalId, status: "pending" },
      data: {
        status: input.decision === "reject" ? "rejected" : "approved",
        decidedBy: input.actor,
        decidedAt: input.now,
        comment: input.comment ?? null,
        ...(input.decision === "edit" ? { editedData: json(input.data) } : {}),
      },
    });
    if (count !== 1) return null;
    const approval = await tx.approval.findUniqueOrThrow({ where: { id: input.approvalId }, select: { runId: true, nodeId: true } });
    await queueIfWaiting(tx, approval.runId);
    await input.also?.(tx, approval);
    return approval;
  });
}

/** A new queued run seeded with another run's checkpoint: its first event and checkpoint are seq 1. */
export async function forkRun(
  db: Db,
  input: { source: { id: string; workflowId: string; versionId: string }; checkpoint: { seq: number; snapshot: unknown; machineHash: string }; input: unknown; editedInput: boolean; actor: string; also?: (tx: Tx, runId: string) => Promise<void> },
): Promise<{ id: string; status: RunStatus }> {
  return db.$transaction(async (tx) => {
    const created = await tx.run.create({
      data: { workflowId: input.source.workflowId, versionId: input.source.versionId, input: json(input.input), trigger: "fork", originRunId: input.source.id, originSeq: input.checkpoint.seq },
      select: { id: true, status: true },
    });
    await tx.runEvent.create({ data: { runId: created.id, seq: 1, type: "run.forked", payload: json({ from: input.source.id, seq: input.checkpoint.seq, by: input.actor, editedInput: input.editedInput }) } });
    await tx.checkpoint.create({ data: { runId: created.id, seq: 1, snapshot: json(input.checkpoint.snapshot), machineHash: input.checkpoint.machineHash } });
    await input.also?.(tx, created.id);
    return created;
  });
}

export type DeadLetterOutcome = "retried" | "skipped" | "cancelled";

/** Closes an open dead letter; false when someone else handled it first. */
async function closeDeadLetter(tx: Tx, id: string, status: DeadLetterOutcome, actor: string, now: Date): Promise<{ runId: string; nodeId: string } | null> {
  const { count } = await tx.deadLetter.updateMany({ where: { id, status: "open" }, data: { status, resolvedBy: actor, resolvedAt: now } });
  if (count !== 1) return null;
  return tx.deadLetter.findUniqueOrThrow({ where: { id }, select: { runId: true, nodeId: true } });
}

export type DeadLetterActionResult = { ok: true; runId: string; nodeId: string } | { ok: false; reason: "handled" | "not-dead" };

/** An operator's edits for a dead step's retry: either makes it a new request, under a new key. */
export interface RetryOverride {
  visit: number;
  /** Config fields that replace the node's own for this visit ({} when only the input changed). */
  config: Record<string, unknown>;
  generation: number;
  /** The run's step overrides so far, kept for the other nodes. */
  overrides: Record<string, unknown>;
  /** The run's input, edited: replaces the run's input and the input its checkpoint carries. */
  input?: { value: unknown };
}

/**
 * Queues a dead run again at its failed step. Unchanged, the step keeps its idempotency key and
 * gets a fresh retry budget; with an override (edited config or input) it runs under a new key.
 * Edited input is written into the run and into a checkpoint at the run.retried event, which
 * carries the input so a replay of the log reaches the same state (replay.ts, editedInputOf).
 */
export async function retryDeadLetter(
  db: Db,
  input: { letterId: string; actor: string; now: Date; override?: RetryOverride; also?: (tx: Tx, letter: { runId: string; nodeId: string }) => Promise<void> },
): Promise<DeadLetterActionResult> {
  return db
    .$transaction(async (tx) => {
      const letter = await closeDeadLetter(tx, input.letterId, "retried", input.actor, input.now);
      if (!letter) return { ok: false as const, reason: "handled" as const };
      const { override } = input;
      const { count } = await tx.run.updateMany({
        where: { id: letter.runId, status: "dead" },
        data: {
          status: "queued",
          error: DbNull,
          wakeAt: null,
          ...(override?.input ? { input: json(override.input.value) } : {}),
          ...(override ? { stepOverrides: json({ ...override.overrides, [letter.nodeId]: { visit: override.visit, config: override.config, generation: override.generation } }) } : {}),
        },
      });
      // Thrown to roll the dead letter's closing back too.
      if (count !== 1) throw new NotDeadSignal();
      if (!override) await tx.effect.updateMany({ where: { runId: letter.runId, nodeId: letter.nodeId, status: "failed" }, data: { attempts: 0 } });
      const edited = [...Object.keys(override?.config ?? {}).map((k) => `config.${k}`), ...(override?.input ? ["input"] : [])];
      const seq = await appendEvent(tx, letter.runId, {
        type: RUN_RETRIED_EVENT,
        nodeId: letter.nodeId,
        payload: { by: input.actor, edited, ...(override?.input ? { input: override.input.value } : {}) },
      });
      if (override?.input) {
        const last = await tx.checkpoint.findFirst({ where: { runId: letter.runId }, orderBy: { seq: "desc" }, select: { snapshot: true, machineHash: true } });
        if (last) await tx.checkpoint.create({ data: { runId: letter.runId, seq, snapshot: json(withInput(last.snapshot as { context?: unknown }, override.input.value)), machineHash: last.machineHash } });
      }
      await input.also?.(tx, letter);
      return { ok: true as const, ...letter };
    })
    .catch((error: unknown) => {
      if (error instanceof NotDeadSignal) return { ok: false as const, reason: "not-dead" as const };
      throw error;
    });
}

class NotDeadSignal extends Error {}

/** Cancels a dead run from its dead letter; a parent waiting on it as a sub-workflow goes on. */
export async function cancelDeadLetter(
  db: Db,
  input: { letterId: string; actor: string; now: Date; also?: (tx: Tx, letter: { runId: string; nodeId: string }) => Promise<void> },
): Promise<DeadLetterActionResult> {
  return db.$transaction(async (tx) => {
    const letter = await closeDeadLetter(tx, input.letterId, "cancelled", input.actor, input.now);
    if (!letter) return { ok: false as const, reason: "handled" as const };
    await tx.run.updateMany({ where: { id: letter.runId, status: "dead" }, data: { status: "cancelled", finishedAt: input.now } });
    await wakeParentOf(tx, letter.runId);
    await appendEvent(tx, letter.runId, { type: "run.cancelled", nodeId: letter.nodeId, payload: { by: input.actor } });
    await input.also?.(tx, letter);
    return { ok: true as const, ...letter };
  });
}

/** Marks a dead letter skipped after the engine completed its step with the operator's output. */
export async function markDeadLetterSkipped(db: Db, input: { letterId: string; actor: string; now: Date; also?: WithinTx }): Promise<void> {
  await db.$transaction(async (tx) => {
    if (await closeDeadLetter(tx, input.letterId, "skipped", input.actor, input.now)) await input.also?.(tx);
  });
}

/** Records which run a retried-from-start run came from. */
export async function setRunOrigin(db: Db, runId: string, originRunId: string): Promise<void> {
  await db.run.updateMany({ where: { id: runId }, data: { originRunId } });
}
