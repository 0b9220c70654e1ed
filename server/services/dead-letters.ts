import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import type { NodeRegistry } from "../../engine/registry";
import { skipNode } from "../../engine/runtime/operator-actions";
import type { RunStore } from "../../engine/runtime/store";
import { json, type Db } from "../../engine/store";
import { DbNull as DbNullValue } from "../../engine/store/json";
import { audit } from "./audit";
import { appendRunEvent, wakeWaitingParent } from "./run-log";

// Dead letters: runs whose step failed for good, each with a review packet. The operator
// retries the step (same idempotency key, fresh retry budget), skips it with an output of
// their own, or cancels the run; retries also come in bulk.

export const SkipInput = z.object({ id: z.string().min(1), port: z.string().min(1).default("out"), output: z.unknown().default(null) });

export function deadLetterService(db: Db, deps: { store: RunStore; registry?: NodeRegistry; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  async function open(id: string) {
    const letter = await db.deadLetter.findUnique({ where: { id }, select: { id: true, runId: true, nodeId: true, status: true } });
    if (!letter) throw new NotFoundError(`no dead letter '${id}'`);
    if (letter.status !== "open") throw new ConflictError(`This dead letter was already handled (${letter.status}).`);
    return letter;
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

    /**
     * Runs the failed step again with a fresh retry budget: unchanged, under the same
     * idempotency key; with edited config (validated like the node's own), under a new key,
     * since it is a different request.
     */
    async retry(id: string, actor = "operator", edit?: { config: Record<string, unknown> }) {
      const letter = await open(id);
      let override: { visit: number; config: Record<string, unknown>; generation: number } | undefined;
      let overrides: Record<string, unknown> = {};
      if (edit) {
        const run = await db.run.findUniqueOrThrow({ where: { id: letter.runId }, select: { stepOverrides: true, version: { select: { graph: true } } } });
        const node = (run.version.graph as { nodes: { id: string; type: string; typeVersion: number; config: Record<string, unknown> }[] }).nodes.find((n) => n.id === letter.nodeId)!;
        const meta = deps.registry?.get(node.type, node.typeVersion);
        const merged = { ...node.config, ...edit.config };
        const parsed = meta?.config.safeParse(merged);
        if (parsed && !parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new ValidationError(`config.${issue.path.join(".")}: ${issue.message}`, parsed.error.issues.map((i) => ({ path: `config.${i.path.join(".")}`, message: i.message })));
        }
        overrides = (run.stepOverrides ?? {}) as Record<string, { generation: number }>;
        const previous = (overrides[letter.nodeId] as { generation?: number } | undefined)?.generation ?? 0;
        const visit = (await db.deadLetter.findUniqueOrThrow({ where: { id }, select: { packet: true } })).packet as { visit?: number };
        override = { visit: visit.visit ?? 1, config: edit.config, generation: previous + 1 };
      }
      return resolve(id, "retried", actor, async (tx, dead) => {
        const { count } = await tx.run.updateMany({
          where: { id: dead.runId, status: "dead" },
          data: { status: "queued", error: DbNullValue, wakeAt: null, ...(override ? { stepOverrides: json({ ...overrides, [dead.nodeId]: override }) } : {}) },
        });
        if (count !== 1) throw new ConflictError("The run is no longer dead.");
        if (!override) await tx.effect.updateMany({ where: { runId: dead.runId, nodeId: dead.nodeId, status: "failed" }, data: { attempts: 0 } });
        await appendRunEvent(tx, dead.runId, "run.retried", { by: actor, edited: override ? Object.keys(edit!.config) : [] }, dead.nodeId);
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
        await wakeWaitingParent(tx, letter.runId);
        await appendRunEvent(tx, letter.runId, "run.cancelled", { by: actor }, letter.nodeId);
      });
    },
  };
  return service;
}

export type DeadLetterService = ReturnType<typeof deadLetterService>;
