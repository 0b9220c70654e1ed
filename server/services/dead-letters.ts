import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import type { NodeRegistry } from "../../engine/registry";
import { skipNode } from "../../engine/runtime/operator-actions";
import { cancelDeadLetter, markDeadLetterSkipped, retryDeadLetter, type DeadLetterActionResult } from "../../engine/runtime/prisma-store-actions";
import type { RunStore } from "../../engine/runtime/store";
import type { Db } from "../../engine/store";
import { audit } from "./audit";

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

  /** The store's answer as the operator reads it: a conflict names what happened meanwhile. */
  function settled(result: DeadLetterActionResult) {
    if (!result.ok) throw new ConflictError(result.reason === "handled" ? "This dead letter was already handled." : "The run is no longer dead.");
    return { runId: result.runId, nodeId: result.nodeId };
  }

  const auditAs = (actor: string, action: string) => (tx: Parameters<typeof audit>[0], letter: { runId: string; nodeId: string }) =>
    audit(tx, { actor, action, targetType: "run", targetId: letter.runId, detail: { node: letter.nodeId } });

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
      let override: { visit: number; config: Record<string, unknown>; generation: number; overrides: Record<string, unknown> } | undefined;
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
        const overrides = (run.stepOverrides ?? {}) as Record<string, { generation: number }>;
        const previous = (overrides[letter.nodeId] as { generation?: number } | undefined)?.generation ?? 0;
        const visit = (await db.deadLetter.findUniqueOrThrow({ where: { id }, select: { packet: true } })).packet as { visit?: number };
        override = { visit: visit.visit ?? 1, config: edit.config, generation: previous + 1, overrides };
      }
      return settled(await retryDeadLetter(db, { letterId: id, actor, now: now(), ...(override ? { override } : {}), also: auditAs(actor, "deadletter.retry") }));
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
      await markDeadLetterSkipped(db, {
        letterId: input.id,
        actor,
        now: now(),
        also: (tx) => audit(tx, { actor, action: "deadletter.skip", targetType: "run", targetId: letter.runId, detail: { node: letter.nodeId, port: input.port } }),
      });
      return letter;
    },

    async cancel(id: string, actor = "operator") {
      await open(id);
      return settled(await cancelDeadLetter(db, { letterId: id, actor, now: now(), also: auditAs(actor, "deadletter.cancel") }));
    },
  };
  return service;
}

export type DeadLetterService = ReturnType<typeof deadLetterService>;
