import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import type { NodeRegistry } from "../../engine/registry";
import { skipNode } from "../../engine/runtime/operator-actions";
import type { Graph } from "../../engine/graph/schema";
import { assertJsonWithin } from "../../engine/json-bytes";
import { LIMITS } from "../../engine/limits";
import { cancelDeadLetter, markDeadLetterSkipped, retryDeadLetter, type DeadLetterActionResult, type RetryOverride } from "../../engine/runtime/prisma-store-actions";
import type { RunStore } from "../../engine/runtime/store";
import type { Db } from "../../engine/store";
import { audit } from "./audit";
import { assertManualInput } from "./trigger-input";

// Dead letters: runs whose step failed for good, each with a review packet. The operator
// retries the step (same idempotency key, fresh retry budget) or retries it with the run's
// input or the step's config edited (a new key), skips it with an output of their own, or
// cancels the run; retries also come in bulk.

/** What the operator changed for a retry: the run's input, the step's config, or both. */
export const RetryInput = z.object({
  id: z.string().min(1),
  /** The run's input, whole; checked against the trigger's input schema. */
  input: z.unknown().optional(),
  /** Config fields that replace the step's own. */
  config: z.record(z.string(), z.unknown()).optional(),
});
export type RetryEdit = Omit<z.infer<typeof RetryInput>, "id">;

const editedFields = (override: RetryOverride) => [...(override.input ? ["input"] : []), ...Object.keys(override.config).map((k) => `config.${k}`)];

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

  const auditAs = (actor: string, action: string, detail: Record<string, unknown> = {}) => (tx: Parameters<typeof audit>[0], letter: { runId: string; nodeId: string }) =>
    audit(tx, { actor, action, targetType: "run", targetId: letter.runId, detail: { node: letter.nodeId, ...detail } });

  const service = {
    async list() {
      const rows = await db.deadLetter.findMany({ where: { status: "open" }, orderBy: { createdAt: "asc" }, select: { id: true, runId: true, nodeId: true, packet: true, createdAt: true } });
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
    },

    /**
     * Runs the failed step again with a fresh retry budget: unchanged, under the same
     * idempotency key; with edited run input (validated against the trigger's input schema)
     * and/or edited config (validated like the node's own), under a new key, since it is a
     * different request. Edited input replaces the run's input for this step and every later one.
     */
    async retry(id: string, actor = "operator", edit?: RetryEdit) {
      const letter = await open(id);
      let override: RetryOverride | undefined;
      if (edit && (edit.config !== undefined || edit.input !== undefined)) {
        const run = await db.run.findUniqueOrThrow({ where: { id: letter.runId }, select: { stepOverrides: true, triggerNodeId: true, version: { select: { graph: true } } } });
        const graph = run.version.graph as Graph;
        if (edit.input !== undefined) {
          assertJsonWithin("input", edit.input, LIMITS.runInputBytes);
          assertManualInput(graph, edit.input, run.triggerNodeId ?? undefined);
        }
        const node = graph.nodes.find((n) => n.id === letter.nodeId)!;
        const overrides = (run.stepOverrides ?? {}) as Record<string, { visit?: number; generation?: number; config?: Record<string, unknown> }>;
        const visit = ((await db.deadLetter.findUniqueOrThrow({ where: { id }, select: { packet: true } })).packet as { visit?: number }).visit ?? 1;
        const previous = overrides[letter.nodeId];
        // Config edited earlier for this visit stays edited when only the input changes now.
        const config = edit.config ?? (previous?.visit === visit ? (previous.config ?? {}) : {});
        if (edit.config !== undefined) {
          const meta = deps.registry?.get(node.type, node.typeVersion);
          const parsed = meta?.config.safeParse({ ...node.config, ...edit.config });
          if (parsed && !parsed.success) {
            const issue = parsed.error.issues[0]!;
            throw new ValidationError(`config.${issue.path.join(".")}: ${issue.message}`, parsed.error.issues.map((i) => ({ path: `config.${i.path.join(".")}`, message: i.message })));
          }
        }
        override = { visit, config, generation: (previous?.generation ?? 0) + 1, overrides, ...(edit.input !== undefined ? { input: { value: edit.input } } : {}) };
      }
      return settled(await retryDeadLetter(db, { letterId: id, actor, now: now(), ...(override ? { override } : {}), also: auditAs(actor, "deadletter.retry", override ? { edited: editedFields(override) } : {}) }));
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
