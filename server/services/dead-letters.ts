import { z } from "zod";
import { ConflictError, NotFoundError } from "../../engine/errors";
import { skipNode } from "../../engine/runtime/operator-actions";
import type { RunStore } from "../../engine/runtime/store";
import { json, type Db } from "../../engine/store";
import { DbNull as DbNullValue } from "../../engine/store/json";
import { audit } from "./audit";

// Dead letters: runs whose step failed for good, each with a review packet. The operator
// retries the step (same idempotency key, fresh retry budget), skips it with an output of
// their own, or cancels the run; retries also come in bulk.

export const SkipInput = z.object({ id: z.string().min(1), port: z.string().min(1).default("out"), output: z.unknown().default(null) });

export function deadLetterService(db: Db, deps: { store: RunStore; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  async function open(id: string) {
    const letter = await db.deadLetter.findUnique({ where: { id }, select: { id: true, runId: true, nodeId: true, status: true } });
    if (!letter) throw new NotFoundError(`no dead letter '${id}'`);
    if (letter.status !== "open") throw new ConflictError(`This dead letter was already handled (${letter.status}).`);
    return letter;
  }

  async function appendEvent(tx: Pick<Db, "runEvent">, runId: string, type: string, nodeId: string, payload: unknown) {
    const last = await tx.runEvent.findFirst({ where: { runId }, orderBy: { seq: "desc" }, select: { seq: true } });
    await tx.runEvent.create({ data: { runId, seq: (last?.seq ?? 0) + 1, type, nodeId, payload: json(payload) } });
  }

  async function resolve(id: string, status: "retried" | "skipped" | "cancelled", actor: string, apply: (tx: Db, letter: { runId: string; nodeId: string }) => Promise<void>) {
    return db.$transaction(async (tx) => {
      const { count } = await tx.deadLetter.updateMany({ where: { id, status: "open" }, data: { status, resolvedBy: actor, resolvedAt: now() } });
      if (count !== 1) throw new ConflictError("This dead letter was already handled.");
      const letter = await tx.deadLetter.findUniqueOrThrow({ where: { id }, select: { runId: true, nodeId: true } });
      await apply(tx as unknown as Db, letter);
      await audit(tx, { actor, action: `deadletter.${status === "retried" ? "retry" : status === "skipped" ? "skip" : "cancel"}`, targetType: "run", targetId: letter.runId, detail: { node: letter.nodeId } });
      return letter;
    });
  }

  const service = {
    async list() {
      const rows = await db.deadLetter.findMany({ where: { status: "open" }, orderBy: { createdAt: "asc" }, select: { id: true, runId: true, nodeId: true, packet: true, createdAt: true } });
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
    },

    /** Runs the failed step again with the same idempotency key and a fresh retry budget. */
    async retry(id: string, actor = "operator") {
      await open(id);
      return resolve(id, "retried", actor, async (tx, letter) => {
        const { count } = await tx.run.updateMany({ where: { id: letter.runId, status: "dead" }, data: { status: "queued", error: DbNullValue, wakeAt: null } });
        if (count !== 1) throw new ConflictError("The run is no longer dead.");
        await tx.effect.updateMany({ where: { runId: letter.runId, nodeId: letter.nodeId, status: "failed" }, data: { attempts: 0 } });
        await appendEvent(tx, letter.runId, "run.retried", letter.nodeId, { by: actor });
      });
    },

    async retryMany(ids: string[], actor = "operator") {
      const results: { id: string; ok: boolean; error?: string }[] = [];
      for (const id of ids) {
        try {
          await service.retry(id, actor);
          results.push({ id, ok: true });
        } catch (error) {
          results.push({ id, ok: false, error: (error as Error).message });
        }
      }
      return results;
    },

    /** Completes the failed step with the operator's output on the given port, and continues. */
    async skip(raw: z.input<typeof SkipInput>, actor = "operator") {
      const input = SkipInput.parse(raw);
      const letter = await open(input.id);
      await skipNode({ store: deps.store, clock: { now } }, { runId: letter.runId, nodeId: letter.nodeId, port: input.port, output: input.output, actor });
      await db.deadLetter.updateMany({ where: { id: input.id, status: "open" }, data: { status: "skipped", resolvedBy: actor, resolvedAt: now() } });
      await audit(db, { actor, action: "deadletter.skip", targetType: "run", targetId: letter.runId, detail: { node: letter.nodeId, port: input.port } });
      return letter;
    },

    async cancel(id: string, actor = "operator") {
      await open(id);
      return resolve(id, "cancelled", actor, async (tx, letter) => {
        await tx.run.updateMany({ where: { id: letter.runId, status: "dead" }, data: { status: "cancelled", finishedAt: now() } });
        const { parentRunId } = await tx.run.findUniqueOrThrow({ where: { id: letter.runId }, select: { parentRunId: true } });
        if (parentRunId) await tx.run.updateMany({ where: { id: parentRunId, status: "waiting" }, data: { status: "queued", wakeAt: null } });
        await appendEvent(tx, letter.runId, "run.cancelled", letter.nodeId, { by: actor });
      });
    },
  };
  return service;
}

export type DeadLetterService = ReturnType<typeof deadLetterService>;
