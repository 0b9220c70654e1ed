import type { Db } from "../../engine/store";
import { cosine, type Embedder } from "./embedders";

// Hot summaries: a short text per subject, kept fresh on a cadence so a workflow (or the
// operator) gets the gist without reading every item. Extractive by default (no LLM needed);
// any Summarizer can replace it.

export interface SummaryItem {
  text: string;
  createdAt: Date;
}

export interface Summarizer {
  /** Stored with the summary: "extractive", "llm:<model>", … */
  readonly method: string;
  /** `items` newest first. */
  summarize(input: { subject: string; items: SummaryItem[] }, signal?: AbortSignal): Promise<string>;
}

/** What an LLM summarizer looks like (../llm/summarizer.ts): items oldest first. */
export interface ListSummarizer {
  summarize(subject: string, items: { text: string; at?: Date }[], options?: { signal?: AbortSignal }): Promise<string>;
}

/** Puts a list-style summarizer (an LLM one) behind memory's Summarizer interface. */
export function fromListSummarizer(method: string, inner: ListSummarizer): Summarizer {
  return {
    method,
    summarize: ({ subject, items }, signal) =>
      inner.summarize(
        subject,
        [...items].reverse().map((item) => ({ text: item.text, at: item.createdAt })),
        signal ? { signal } : {},
      ),
  };
}

export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Picks the sentences closest to the centroid of all of them (what the items keep coming back
 * to), with a small bonus for recent ones, and returns them in the order they were written.
 * Deterministic: the same items give the same summary.
 */
export function extractiveSummarizer(embedder: Embedder, options: { sentences?: number; maxSentences?: number } = {}): Summarizer {
  const pick = options.sentences ?? 3;
  const cap = options.maxSentences ?? 200;
  return {
    method: "extractive",
    async summarize({ items }, signal) {
      const candidates: { text: string; rank: number; order: number }[] = [];
      const seen = new Set<string>();
      items.forEach((item, rank) => {
        splitSentences(item.text).forEach((sentence, i) => {
          const norm = sentence.toLowerCase();
          if (seen.has(norm) || candidates.length >= cap) return;
          seen.add(norm);
          // order: oldest item first, sentences in their own order.
          candidates.push({ text: sentence, rank, order: (items.length - rank) * 1_000 + i });
        });
      });
      if (candidates.length <= pick) return candidates.sort((a, b) => a.order - b.order).map((c) => c.text).join(" ");
      const vectors = await embedder.embed(
        candidates.map((c) => c.text),
        signal,
      );
      const centroid = new Array<number>(vectors[0]!.length).fill(0);
      for (const v of vectors) {
        const norm = Math.hypot(...v) || 1;
        v.forEach((x, i) => (centroid[i]! += x / norm));
      }
      const newest = Math.max(1, items.length - 1);
      const scored = candidates.map((c, i) => ({ ...c, score: cosine(vectors[i]!, centroid) + 0.1 * (1 - c.rank / newest) }));
      scored.sort((a, b) => b.score - a.score || a.rank - b.rank || a.order - b.order);
      return scored
        .slice(0, pick)
        .sort((a, b) => a.order - b.order)
        .map((c) => c.text)
        .join(" ");
    },
  };
}

export interface SummaryCadence {
  /** Refresh once this many items were added (or removed) since the last summary. */
  minNewItems: number;
  /** Refresh when anything changed and the summary is older than this. */
  maxAgeMs: number;
  /** How many of the newest items a summary reads. */
  window: number;
}

export const DEFAULT_CADENCE: SummaryCadence = { minNewItems: 5, maxAgeMs: 3_600_000, window: 50 };

/** Subjects whose summary is due: none yet, enough new items, or stale and changed. */
export async function dueSubjects(db: Db, now: Date, cadence: SummaryCadence = DEFAULT_CADENCE, limit = 50): Promise<string[]> {
  const stats = await db.memoryItem.groupBy({ by: ["subjectId"], where: { subjectId: { not: null } }, _count: { _all: true }, _max: { createdAt: true } });
  const summaries = new Map((await db.memorySummary.findMany({ select: { subjectId: true, itemCount: true, refreshedAt: true } })).map((s) => [s.subjectId, s]));
  const due: string[] = [];
  for (const row of stats) {
    const summary = summaries.get(row.subjectId!);
    const count = row._count._all;
    const latest = row._max.createdAt!;
    const isDue =
      !summary ||
      Math.abs(count - summary.itemCount) >= cadence.minNewItems ||
      ((latest > summary.refreshedAt || count !== summary.itemCount) && now.getTime() - summary.refreshedAt.getTime() >= cadence.maxAgeMs);
    if (isDue) due.push(row.subjectId!);
    if (due.length >= limit) break;
  }
  return due;
}

/** Writes a fresh summary for one subject (or deletes it when the subject has no items left). */
export async function refreshSummary(db: Db, summarizer: Summarizer, subjectId: string, now: Date, window = DEFAULT_CADENCE.window): Promise<boolean> {
  const subject = await db.memorySubject.findUnique({ where: { id: subjectId } });
  if (!subject) return false;
  const [items, itemCount] = await Promise.all([
    db.memoryItem.findMany({ where: { subjectId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: window, select: { text: true, createdAt: true } }),
    db.memoryItem.count({ where: { subjectId } }),
  ]);
  if (itemCount === 0) {
    await db.memorySummary.deleteMany({ where: { subjectId } });
    return false;
  }
  const text = await summarizer.summarize({ subject: `${subject.kind}:${subject.key}`, items });
  const data = { text, method: summarizer.method, itemCount, refreshedAt: now };
  await db.memorySummary.upsert({ where: { subjectId }, create: { subjectId, ...data }, update: data });
  return true;
}

/** One cadence pass: refreshes every due summary; returns how many were written. */
export async function refreshDueSummaries(db: Db, summarizer: Summarizer, now: Date, cadence: SummaryCadence = DEFAULT_CADENCE): Promise<number> {
  let written = 0;
  for (const subjectId of await dueSubjects(db, now, cadence)) {
    if (await refreshSummary(db, summarizer, subjectId, now, cadence.window)) written++;
  }
  return written;
}
