import { ConfigurationError, PermanentError } from "../../engine/errors";
import type { ExecutionContext, StepResult } from "../../engine/registry";
import type { Db } from "../../engine/store";
import { renderIn } from "../expression-data";
import type { MemoryIndex } from "../../infra/memory/memory-index";
import { indexItems, parseSubject, recall } from "../../infra/memory/memory-store";
import type { recallNode } from "./recall";
import type { rememberNode } from "./remember";

type RememberConfig = ReturnType<(typeof rememberNode)["config"]["parse"]>;
type RecallConfig = ReturnType<(typeof recallNode)["config"]["parse"]>;

export interface MemoryDeps {
  /** Absent when no Chroma is configured: items are still stored, and indexed once it is. */
  index?: MemoryIndex | undefined;
  /** How long a step waits for inline indexing before it goes on without it (default 10 s). */
  inlineIndexTimeoutMs?: number;
  /** Told each time inline indexing did not happen (the sweeper indexes the item later). */
  onIndexDeferred?: (event: IndexDeferred) => void;
}

/** Inline indexing that did not happen: it failed (Chroma down) or did not finish in time (load). */
export interface IndexDeferred {
  reason: "error" | "timeout";
  itemId: string;
  error?: unknown;
}

const INLINE_INDEX_TIMEOUT_MS = 10_000;

/** Memory items in the database, with provenance; the index in Chroma is built from these. */
export function memoryExecutors(db: Db, deps: MemoryDeps = {}) {
  // Indexing right away makes an item recallable in the next step; when Chroma is down the
  // step still succeeds (the database has the item) and the sweeper indexes it later.
  // Under load it may not finish in time: then the step goes on (an upsert cannot be cancelled,
  // so it may still land; indexing is idempotent) and the miss is reported, never silent.
  const indexNow = async (itemId: string, signal: AbortSignal): Promise<boolean> => {
    if (!deps.index) return false;
    let timer: NodeJS.Timeout | undefined;
    const indexing = indexItems(db, deps.index, [itemId], new Date(), signal).then(() => "indexed" as const);
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(resolve, deps.inlineIndexTimeoutMs ?? INLINE_INDEX_TIMEOUT_MS, "timeout");
    });
    try {
      const result = await Promise.race([indexing, timeout]);
      if (result === "indexed") return true;
      indexing.catch(() => undefined);
      deps.onIndexDeferred?.({ reason: "timeout", itemId });
      return false;
    } catch (error) {
      if (signal.aborted) throw error;
      deps.onIndexDeferred?.({ reason: "error", itemId, error });
      return false;
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async remember(ctx: ExecutionContext<RememberConfig>): Promise<StepResult> {
      const existing = await db.memoryItem.findUnique({ where: { sourceKey: ctx.idempotencyKey }, include: { subject: true } });
      if (existing) {
        const indexed = existing.indexedAt !== null && existing.embedder === deps.index?.embedder.id ? true : await indexNow(existing.id, ctx.signal);
        return { port: "out", output: { itemId: existing.id, subject: `${existing.subject!.kind}:${existing.subject!.key}`, indexed } };
      }
      const c = (await renderIn(ctx, ctx.config)) as RememberConfig;
      const { kind, key } = parseSubject(String(c.subject));
      const text = String(c.text).trim();
      if (!text) throw new PermanentError("text: is empty after rendering");
      const row = await db.memorySubject.upsert({ where: { kind_key: { kind, key } }, create: { kind, key, name: key }, update: {} });
      const item = await db.memoryItem.create({ data: { subjectId: row.id, kind: c.kind, text, runId: ctx.runId, nodeId: ctx.nodeId, sourceKey: ctx.idempotencyKey } });
      // `indexed: false`: stored, and recallable once the sweeper has indexed it.
      const indexed = await indexNow(item.id, ctx.signal);
      return { port: "out", output: { itemId: item.id, subject: `${kind}:${key}`, indexed } };
    },

    async recall(ctx: ExecutionContext<RecallConfig>): Promise<StepResult> {
      if (!deps.index) throw new ConfigurationError("memory.recall: no memory index is configured (set CHROMA_URL, or run under `keel start`, which starts Chroma)", "CHROMA_URL");
      const c = (await renderIn(ctx, { query: ctx.config.query, subject: ctx.config.subject })) as { query: string; subject?: string };
      const query = String(c.query).trim();
      if (!query) throw new PermanentError("query: is empty after rendering");
      const subject = c.subject === undefined ? undefined : parseSubject(String(c.subject));
      const result = await recall(db, deps.index, { query, subject, kinds: ctx.config.kinds, topK: ctx.config.topK, minScore: ctx.config.minScore }, { signal: ctx.signal });
      // `text` is the same, ready for a prompt: the summary, then one line per item.
      const text = [result.summary ? `Summary: ${result.summary.text}` : "", ...result.items.map((item) => `- ${item.text}`)].filter(Boolean).join("\n");
      return { port: "out", output: { ...result, text, query, ...(subject ? { subject: `${subject.kind}:${subject.key}` } : {}) } };
    },
  };
}
