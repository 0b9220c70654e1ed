import { PermanentError } from "../../engine/errors";
import type { RecallResult, RecalledItem, SubjectSummary } from "../../engine/registry";
import type { Db } from "../../engine/store";
import type { IndexEntry, MemoryIndex } from "./memory-index";

// The recall result's shapes are ctx.memory's (engine/registry/capabilities.ts).
export type { RecallResult, RecalledItem, SubjectSummary } from "../../engine/registry";

// Memory operations over the database (the source of truth) and the index (rebuildable from
// it). Indexing records `embedder` and `indexedAt` on each item, so whatever did not reach the
// index (Chroma down, embedder changed) is found again by the sweeper.

export interface SubjectRef {
  kind: string;
  key: string;
}

/** `kind:key` → its parts; the key may itself contain colons (`contact:mailto:a@b`). */
export function parseSubject(subject: string, field = "subject"): SubjectRef {
  const colon = subject.indexOf(":");
  const kind = colon > 0 ? subject.slice(0, colon).trim() : "";
  const key = colon > 0 ? subject.slice(colon + 1).trim() : "";
  if (!/^[a-z][a-z0-9_-]*$/.test(kind)) throw new PermanentError(`${field}: '${subject}' must be kind:key, e.g. contact:ada@example.com`);
  if (!key) throw new PermanentError(`${field}: '${subject}' has an empty key`);
  return { kind, key };
}

const withSubject = { subject: { select: { id: true, kind: true, key: true } } } as const;

type ItemRow = { id: string; subjectId: string | null; kind: string; text: string; createdAt: Date; subject: { kind: string; key: string } | null };

function entryOf(row: ItemRow): IndexEntry {
  return {
    id: row.id,
    subjectId: row.subjectId,
    subject: row.subject ? `${row.subject.kind}:${row.subject.key}` : null,
    kind: row.kind,
    createdAt: row.createdAt,
    text: row.text,
  };
}

/** Indexes the given items and marks them indexed by this embedder. */
export async function indexItems(db: Db, index: MemoryIndex, ids: string[], now = new Date(), signal?: AbortSignal): Promise<number> {
  if (ids.length === 0) return 0;
  const rows = await db.memoryItem.findMany({ where: { id: { in: ids } }, include: withSubject });
  await index.upsert(rows.map(entryOf), signal);
  await db.memoryItem.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { embedder: index.embedder.id, indexedAt: now } });
  return rows.length;
}

/** Items this index does not hold yet: never indexed, or indexed by another embedder. */
function staleWhere(embedderId: string) {
  return { OR: [{ indexedAt: null }, { embedder: null }, { embedder: { not: embedderId } }] };
}

export async function countStale(db: Db, embedderId: string): Promise<number> {
  return db.memoryItem.count({ where: staleWhere(embedderId) });
}

/** The sweeper: indexes up to `max` stale items in batches. */
export async function sweepIndex(db: Db, index: MemoryIndex, options: { batchSize?: number; max?: number; now?: () => Date } = {}): Promise<number> {
  const batchSize = options.batchSize ?? 64;
  const max = options.max ?? 1_000;
  let done = 0;
  while (done < max) {
    const rows = await db.memoryItem.findMany({ where: staleWhere(index.embedder.id), select: { id: true }, orderBy: { id: "asc" }, take: Math.min(batchSize, max - done) });
    if (rows.length === 0) break;
    done += await indexItems(
      db,
      index,
      rows.map((r) => r.id),
      options.now?.() ?? new Date(),
    );
  }
  return done;
}

export interface ReindexResult {
  collection: string;
  embedder: string;
  items: number;
  batches: number;
}

/** Rebuilds this embedder's collection from the database: drop, then index every item. */
export async function reindexAll(
  db: Db,
  index: MemoryIndex,
  options: { batchSize?: number; now?: () => Date; onBatch?: (done: number, total: number) => void } = {},
): Promise<ReindexResult> {
  const batchSize = options.batchSize ?? 256;
  await index.drop();
  const total = await db.memoryItem.count();
  let items = 0;
  let batches = 0;
  let cursor: string | undefined;
  for (;;) {
    const rows = await db.memoryItem.findMany({
      include: withSubject,
      orderBy: { id: "asc" },
      take: batchSize,
      ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
    });
    if (rows.length === 0) break;
    cursor = rows[rows.length - 1]!.id;
    await index.upsert(rows.map(entryOf));
    await db.memoryItem.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { embedder: index.embedder.id, indexedAt: options.now?.() ?? new Date() } });
    items += rows.length;
    batches++;
    options.onBatch?.(items, total);
  }
  return { collection: index.collectionName, embedder: index.embedder.id, items, batches };
}

export interface RecallInput {
  query: string;
  subject?: SubjectRef | undefined;
  kinds?: string[] | undefined;
  topK: number;
  minScore: number;
}

/**
 * Semantic recall: nearest items from the index, then re-read from the database, so an item
 * deleted or expired there is never returned even while the index still holds it.
 */
export async function recall(db: Db, index: MemoryIndex, input: RecallInput, options: { now?: Date; signal?: AbortSignal } = {}): Promise<RecallResult> {
  const now = options.now ?? new Date();
  let subjectId: string | undefined;
  let summary: SubjectSummary | null = null;
  if (input.subject) {
    const subject = await db.memorySubject.findUnique({ where: { kind_key: input.subject }, include: { summary: true } });
    // An unknown subject has nothing to recall; asking the index without the filter would leak others.
    if (!subject) return { items: [], summary: null };
    subjectId = subject.id;
    if (subject.summary) {
      const s = subject.summary;
      summary = { text: s.text, method: s.method, itemCount: s.itemCount, refreshedAt: s.refreshedAt.toISOString() };
    }
  }
  // Ask for more than topK: some hits may be gone from the database.
  const hits = await index.query(input.query, {
    n: input.topK * 2 + 8,
    ...(subjectId ? { subjectId } : {}),
    ...(input.kinds?.length ? { kinds: input.kinds } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const wanted = hits.filter((hit) => hit.score >= input.minScore);
  if (wanted.length === 0) return { items: [], summary };
  const rows = await db.memoryItem.findMany({
    where: {
      id: { in: wanted.map((hit) => hit.id) },
      OR: [{ expiresAt: null }, { expiresAt: { gt: now } }],
      ...(subjectId ? { subjectId } : {}),
      ...(input.kinds?.length ? { kind: { in: input.kinds } } : {}),
    },
    include: withSubject,
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  const items: RecalledItem[] = [];
  for (const hit of wanted) {
    const row = byId.get(hit.id);
    if (!row) continue;
    items.push({
      id: row.id,
      text: row.text,
      kind: row.kind,
      subject: row.subject ? `${row.subject.kind}:${row.subject.key}` : null,
      score: Math.round(hit.score * 10_000) / 10_000,
      createdAt: row.createdAt.toISOString(),
      provenance: { runId: row.runId, nodeId: row.nodeId, approvalId: row.approvalId },
    });
    if (items.length === input.topK) break;
  }
  return { items, summary };
}
