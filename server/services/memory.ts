import { z } from "zod";
import { ConfigurationError, NotFoundError, PermanentError, ValidationError } from "../../engine/errors";
import { forgetPayloads } from "../../engine/runtime/prisma-store-tombstones";
import { DbNull, json, type Database } from "../../engine/store";
import type { MemoryIndex } from "../../infra/memory/memory-index";
import { countStale, parseSubject, recall, type RecallResult, type SubjectRef } from "../../infra/memory/memory-store";
import { audit } from "./audit";
import { zodIssues } from "./zod-issues";

// What the operator does with memory: browse subjects and their items, search, forget a
// subject, set retention per kind. The database is the source of truth; the index follows it.

export const MEMORY_RETENTION_KEY = "memory.retention";
const DAY_MS = 86_400_000;

const kindWord = z.string().regex(/^[a-z][a-z0-9_-]*$/, "must be lowercase letters, digits, _ or -").max(40);

export const MemoryRetentionSchema = z.object({
  /** Days to keep items of each kind; kinds not listed are kept until forgotten. */
  kinds: z
    .record(z.string(), z.number().int("must be a whole number of days").min(1, "must be at least 1 day").max(36_500, "must be at most 36500 days"))
    // zod's own message for a bad record key is "Invalid key in record"; name what a kind is.
    .superRefine((kinds, ctx) => {
      for (const kind of Object.keys(kinds)) {
        if (!kindWord.safeParse(kind).success) ctx.addIssue({ code: "custom", path: [kind], message: "a kind must be lowercase letters, digits, _ or -" });
      }
    })
    .default({}),
});

export type MemoryRetention = z.output<typeof MemoryRetentionSchema>;

function parseRetention(value: unknown): MemoryRetention {
  const parsed = MemoryRetentionSchema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, MEMORY_RETENTION_KEY);
    throw new ValidationError(`setting ${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

function subjectRef(subject: string): SubjectRef {
  try {
    return parseSubject(subject);
  } catch (error) {
    if (error instanceof PermanentError) throw new ValidationError(error.message, [{ path: "subject", message: "must be kind:key" }]);
    throw error;
  }
}

/** The LIKE pattern for text inside a JSON document: JSON-escaped, LIKE wildcards escaped. */
function mentionPattern(key: string): string {
  const inJson = JSON.stringify(key).slice(1, -1);
  return `%${inJson.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Ids of rows whose JSON columns mention `key` (case-insensitively). */
async function idsMentioning(database: Database, table: "RunEvent" | "Effect" | "Run", columns: string[], key: string): Promise<string[]> {
  const pg = database.provider === "postgresql";
  const test = columns.map((c) => (pg ? `"${c}"::text ILIKE $1 ESCAPE '\\'` : `"${c}" LIKE ? ESCAPE '\\'`)).join(" OR ");
  const pattern = mentionPattern(key);
  const rows = await database.db.$queryRawUnsafe<{ id: string }[]>(`SELECT "id" FROM "${table}" WHERE ${test}`, ...(pg ? [pattern] : columns.map(() => pattern)));
  return rows.map((r) => r.id);
}

export interface ForgetResult {
  subject: string;
  items: number;
  events: number;
  effects: number;
  /** Finished runs whose input or output carried the key. */
  runs: number;
}

export interface MemoryPruneResult {
  items: number;
  summaries: number;
}

export function memoryService(database: Database, options: { index: MemoryIndex | undefined; now?: () => Date }) {
  const { db } = database;
  const now = () => options.now?.() ?? new Date();
  const { index } = options;

  const retention = async (): Promise<MemoryRetention> => parseRetention((await db.setting.findUnique({ where: { key: MEMORY_RETENTION_KEY } }))?.value ?? {});
  const expiredWhere = async (at: Date) => {
    const { kinds } = await retention();
    return { OR: [{ expiresAt: { lte: at } }, ...Object.entries(kinds).map(([kind, days]) => ({ kind, createdAt: { lt: new Date(at.getTime() - days * DAY_MS) } }))] };
  };

  return {
    /** Subjects with their item counts and summaries, most recently active first. */
    async subjects(input: { search?: string | undefined; limit: number }) {
      const rows = await db.memorySubject.findMany({
        where: input.search ? { OR: [{ key: { contains: input.search } }, { kind: { contains: input.search } }, { name: { contains: input.search } }] } : {},
        include: { summary: true, _count: { select: { items: true } } },
        orderBy: [{ updatedAt: "desc" }, { id: "asc" }],
        take: input.limit,
      });
      return rows.map((s) => ({
        id: s.id,
        subject: `${s.kind}:${s.key}`,
        kind: s.kind,
        key: s.key,
        name: s.name,
        itemCount: s._count.items,
        summary: s.summary ? { text: s.summary.text, method: s.summary.method, refreshedAt: s.summary.refreshedAt.toISOString() } : null,
        updatedAt: s.updatedAt.toISOString(),
      }));
    },

    /** One subject's summary and its items, newest first, each with its provenance. */
    async subject(subject: string, limit = 200) {
      const ref = subjectRef(subject);
      const row = await db.memorySubject.findUnique({ where: { kind_key: ref }, include: { summary: true, _count: { select: { items: true } } } });
      if (!row) throw new NotFoundError(`subject: no memory about '${subject}'`);
      const items = await db.memoryItem.findMany({ where: { subjectId: row.id }, orderBy: [{ createdAt: "desc" }, { id: "desc" }], take: limit });
      return {
        subject: `${row.kind}:${row.key}`,
        name: row.name,
        itemCount: row._count.items,
        summary: row.summary ? { text: row.summary.text, method: row.summary.method, itemCount: row.summary.itemCount, refreshedAt: row.summary.refreshedAt.toISOString() } : null,
        items: items.map((item) => ({
          id: item.id,
          kind: item.kind,
          text: item.text,
          createdAt: item.createdAt.toISOString(),
          indexed: item.indexedAt !== null && item.embedder === index?.embedder.id,
          provenance: { runId: item.runId, nodeId: item.nodeId, approvalId: item.approvalId },
        })),
      };
    },

    /** Semantic search, the same as a memory.recall step. */
    async search(input: { query: string; subject?: string | undefined; kinds?: string[] | undefined; topK: number; minScore: number }): Promise<RecallResult> {
      if (!index) throw new ConfigurationError("CHROMA_URL: no memory index is configured (set CHROMA_URL, or run under `keel start`, which starts Chroma)", "CHROMA_URL");
      return recall(db, index, { query: input.query, subject: input.subject ? subjectRef(input.subject) : undefined, kinds: input.kinds, topK: input.topK, minScore: input.minScore }, { now: now() });
    },

    async status() {
      const items = await db.memoryItem.count();
      return {
        items,
        subjects: await db.memorySubject.count(),
        index: index ? { embedder: index.embedder.id, collection: index.collectionName, pending: await countStale(db, index.embedder.id) } : null,
      };
    },

    /**
     * Forgets a subject: drops its vectors from every memory collection first (if Chroma is down nothing is
     * deleted and the operator tries again), then, in one transaction, tombstones the payloads
     * of the events and effects of the steps that produced its items and of every event or
     * effect that mentions its key, deletes the subject with its items and summary, and audits.
     */
    async forget(subject: string, actor: string): Promise<ForgetResult> {
      const ref = subjectRef(subject);
      const row = await db.memorySubject.findUnique({ where: { kind_key: ref } });
      if (!row) throw new NotFoundError(`subject: no memory about '${subject}'`);
      const items = await db.memoryItem.findMany({ where: { subjectId: row.id }, select: { id: true, runId: true, nodeId: true } });
      if (index) await index.deleteEverywhere(items.map((i) => i.id));

      const steps = new Map<string, { runId: string; nodeId: string }>();
      for (const item of items) if (item.runId && item.nodeId) steps.set(`${item.runId}\u0000${item.nodeId}`, { runId: item.runId, nodeId: item.nodeId });
      const eventIds = await idsMentioning(database, "RunEvent", ["payload"], ref.key);
      const effectIds = await idsMentioning(database, "Effect", ["request", "result", "error"], ref.key);
      const runIds = await idsMentioning(database, "Run", ["input", "output"], ref.key);
      const at = now();
      return forgetPayloads(db, { steps: [...steps.values()], eventIds, effectIds, runIds }, at, async (tx, counts) => {
        // Requests from the subject keep their routing skeleton (source, where, when, why);
        // what they said is gone with the rest.
        await tx.intent.updateMany({ where: { subject: `${ref.kind}:${ref.key}` }, data: { text: `forgotten ${at.toISOString()}`, raw: json({ forgotten: at.toISOString() }), fields: DbNull } });
        await tx.memorySubject.delete({ where: { id: row.id } });
        // The key may be personal data: the audit entry names the subject by id and kind only.
        await audit(tx, { actor, action: "memory.forget", targetType: "memory_subject", targetId: row.id, detail: { kind: ref.kind, items: items.length, ...counts } });
        return { subject: `${ref.kind}:${ref.key}`, items: items.length, ...counts };
      });
    },

    retention,

    /** How many items retention would delete now (the CLI reaches for Chroma only when some). */
    async expiredCount(): Promise<number> {
      return db.memoryItem.count({ where: await expiredWhere(now()) });
    },

    async saveRetention(input: unknown, actor: string): Promise<MemoryRetention> {
      const settings = parseRetention(input);
      await db.setting.upsert({ where: { key: MEMORY_RETENTION_KEY }, create: { key: MEMORY_RETENTION_KEY, value: json(settings) }, update: { value: json(settings) } });
      await audit(db, { actor, action: "settings.update", targetType: "setting", targetId: MEMORY_RETENTION_KEY, detail: settings });
      return settings;
    },

    /**
     * Deletes items past their kind's retention (or their own expiresAt) from the index and the
     * database, in batches; summaries of subjects left with no items go too. Audited when it
     * deleted something.
     */
    async prune(actor: string): Promise<MemoryPruneResult> {
      const where = await expiredWhere(now());
      let items = 0;
      for (;;) {
        const batch = (await db.memoryItem.findMany({ where, select: { id: true }, take: 500 })).map((r) => r.id);
        if (batch.length === 0) break;
        if (index) await index.deleteEverywhere(batch);
        items += (await db.memoryItem.deleteMany({ where: { id: { in: batch } } })).count;
      }
      const summaries = items > 0 ? (await db.memorySummary.deleteMany({ where: { subject: { items: { none: {} } } } })).count : 0;
      if (items > 0) await audit(db, { actor, action: "memory.prune", targetType: "memory_item", detail: { items, summaries, ...(await retention()) } });
      return { items, summaries };
    },
  };
}

export type MemoryService = ReturnType<typeof memoryService>;
