import { ConfigurationError } from "../../engine/errors";
import type { MemoryCapability } from "../../engine/registry";
import type { Db } from "../../engine/store";
import type { MemoryIndex } from "./memory-index";
import { indexItems, parseSubject, recall } from "./memory-store";

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

/** ctx.memory: items in the database, with provenance; the index in Chroma is built from these. */
export function memoryCapability(db: Db, deps: MemoryDeps = {}): MemoryCapability {
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
    async remember(item, signal) {
      const existing = await db.memoryItem.findUnique({ where: { sourceKey: item.sourceKey }, include: { subject: true } });
      if (existing) {
        const indexed = existing.indexedAt !== null && existing.embedder === deps.index?.embedder.id ? true : await indexNow(existing.id, signal);
        return { itemId: existing.id, subject: `${existing.subject!.kind}:${existing.subject!.key}`, indexed };
      }
      const { kind, key } = parseSubject(item.subject);
      const row = await db.memorySubject.upsert({ where: { kind_key: { kind, key } }, create: { kind, key, name: key }, update: {} });
      const created = await db.memoryItem.create({ data: { subjectId: row.id, kind: item.kind, text: item.text, runId: item.runId, nodeId: item.nodeId, sourceKey: item.sourceKey } });
      return { itemId: created.id, subject: `${kind}:${key}`, indexed: await indexNow(created.id, signal) };
    },

    async recall(query, signal) {
      if (!deps.index) throw new ConfigurationError("memory.recall: no memory index is configured (set CHROMA_URL, or run under `keel start`, which starts Chroma)", "CHROMA_URL");
      const subject = query.subject === undefined ? undefined : parseSubject(query.subject);
      const result = await recall(db, deps.index, { query: query.query, subject, kinds: query.kinds, topK: query.topK, minScore: query.minScore }, { signal });
      return { ...result, ...(subject ? { subject: `${subject.kind}:${subject.key}` } : {}) };
    },
  };
}
