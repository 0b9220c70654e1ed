import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RetryableError } from "../../engine/errors";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { openaiEmbedder, useLiteEmbedder } from "../../infra/memory/embedders";
import { MemoryIndex } from "../../infra/memory/memory-index";
import { countStale, recall, reindexAll, sweepIndex } from "../../infra/memory/memory-store";
import { extractiveSummarizer, refreshDueSummaries } from "../../infra/memory/summaries";
import { loadConfig } from "../../server/config";
import { memoryMaintenancePass } from "../../server/memory/maintenance";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { freePort } from "../../server/process/wait";
import { startChroma, type ChromaServer } from "../support/chroma-server";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";

const local = useLiteEmbedder();

const rememberGraph = (kind: string): Graph => ({
  schemaVersion: 1,
  nodes: [
    n("start", "trigger.manual"),
    n("remember", "memory.remember", { subject: "contact:{{ input.email }}", kind, text: "{{ input.text }}" }),
    n("done", "flow.end", { output: "{{ remember }}" }),
  ],
  edges: [e("e1", "start", "remember"), e("e2", "remember", "done")],
});

const recallGraph: Graph = {
  schemaVersion: 1,
  nodes: [
    n("start", "trigger.manual"),
    n("recall", "memory.recall", { query: "{{ input.q }}", subject: "contact:{{ input.email }}", topK: 2 }),
    n("done", "flow.end", { output: "{{ recall }}" }),
  ],
  edges: [e("e1", "start", "recall"), e("e2", "recall", "done")],
};

type Recalled = {
  items: { id: string; text: string; kind: string; subject: string; score: number; provenance: { runId: string; nodeId: string } }[];
  summary: { text: string } | null;
  text: string;
};

describe.each(databaseKinds())("memory with a real Chroma on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let chroma: ChromaServer;
  let services: Services;
  let index: MemoryIndex;
  const items = new Map<string, string>(); // text → item id
  const runs = new Map<string, string>(); // text → run id

  const work = (memoryIndex: MemoryIndex | undefined) =>
    new Worker(runtimeDeps(env.database, { memory: { index: memoryIndex } }), { id: `memory-${kind.name}` }).drain();

  async function remember(email: string, text: string, itemKind = "note", memoryIndex: MemoryIndex | undefined = index) {
    const run = await services.runs.start({ workflow: `remember-${itemKind}`, input: { email, text } });
    await work(memoryIndex);
    const done = await services.runs.get(run.id);
    expect(done.status).toBe("succeeded");
    const { itemId, indexed } = done.output as { itemId: string; indexed: boolean };
    items.set(text, itemId);
    runs.set(text, run.id);
    // Inline indexing may fall behind under load (the step then says indexed: false); what
    // the tests assert is recall over indexed items, so wait for that, as the sweeper would.
    if (memoryIndex === index && !indexed) await sweepIndex(env.database.db, index);
    if (memoryIndex === index) expect((await env.database.db.memoryItem.findUniqueOrThrow({ where: { id: itemId } })).indexedAt).not.toBeNull();
  }

  async function recallRun(email: string, q: string): Promise<Recalled> {
    const run = await services.runs.start({ workflow: "recall", input: { email, q } });
    await work(index);
    const done = await services.runs.get(run.id);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    return done.output as Recalled;
  }

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    chroma = await startChroma();
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-memory-")), DATABASE_URL: env.scratch.target.url, CHROMA_URL: chroma.url });
    services = servicesFor(config, env.database);
    index = new MemoryIndex(chroma.url, local);
    for (const [slug, graph] of [
      ["remember-note", rememberGraph("note")],
      ["remember-support", rememberGraph("support")],
      ["recall", recallGraph],
    ] as const) {
      const wf = await services.workflows.create({ name: slug, slug, graph });
      await services.publishing.publish({ id: wf.id });
    }
    await remember("ada@example.test", "Prefers to be contacted by email, never by phone.");
    await remember("ada@example.test", "Her invoices are paid by the finance team in Zurich.");
    await remember("ada@example.test", "She loves hiking in the Alps on weekends.");
    await remember("ada@example.test", "Reported that the export button crashes the app.", "support");
    await remember("bob@example.test", "Bob prefers phone calls in the morning.");
  }, 120_000);

  afterAll(async () => {
    await chroma?.dispose();
    await env?.dispose();
  });

  it("recalls the items closest in meaning, with provenance, only about the subject asked", async () => {
    const contact = await recallRun("ada@example.test", "How should we get in touch with her?");
    expect(contact.items[0]!.text).toBe("Prefers to be contacted by email, never by phone.");
    expect(contact.items[0]).toMatchObject({ kind: "note", subject: "contact:ada@example.test", provenance: { runId: runs.get("Prefers to be contacted by email, never by phone."), nodeId: "remember" } });
    expect(contact.items.every((item) => item.subject === "contact:ada@example.test")).toBe(true);

    const money = await recallRun("ada@example.test", "Who pays the bills?");
    expect(money.items[0]!.text).toBe("Her invoices are paid by the finance team in Zurich.");
    expect(money.items[0]!.score).toBeGreaterThan(money.items[1]!.score);

    // Bob's phone preference is the closest item overall, but it is not about Ada.
    const bob = await recall(env.database.db, index, { query: "calls on the phone", topK: 1, minScore: 0 });
    expect(bob.items[0]!.subject).toBe("contact:bob@example.test");
  });

  it("filters by kind and by minimum score, and finds nothing about an unknown subject", async () => {
    const support = await recall(env.database.db, index, { query: "a bug in the product", subject: { kind: "contact", key: "ada@example.test" }, kinds: ["support"], topK: 5, minScore: 0 });
    expect(support.items.map((i) => i.text)).toEqual(["Reported that the export button crashes the app."]);
    const strict = await recall(env.database.db, index, { query: "a bug in the product", topK: 5, minScore: 0.99 });
    expect(strict.items).toEqual([]);
    const nobody = await recall(env.database.db, index, { query: "anything", subject: { kind: "contact", key: "nobody@example.test" }, topK: 5, minScore: -1 });
    expect(nobody).toEqual({ items: [], summary: null });
  });

  it("never returns an item deleted in the database while the index still holds it", async () => {
    await remember("carol@example.test", "Carol asked us to delete her account.");
    const id = items.get("Carol asked us to delete her account.")!;
    const before = await recall(env.database.db, index, { query: "delete account", subject: { kind: "contact", key: "carol@example.test" }, topK: 5, minScore: 0 });
    expect(before.items.map((i) => i.id)).toEqual([id]);
    await env.database.db.memoryItem.delete({ where: { id } });
    expect((await index.queryVector((await local.embed(["delete account"]))[0]!, { n: 20 })).map((h) => h.id)).toContain(id);
    const after = await recall(env.database.db, index, { query: "delete account", subject: { kind: "contact", key: "carol@example.test" }, topK: 5, minScore: 0 });
    expect(after.items).toEqual([]);
  });

  it("stores items while Chroma is unreachable, fails recall as retryable, and the sweeper indexes them later", async () => {
    const down = new MemoryIndex(`http://127.0.0.1:${await freePort()}`, local);
    await remember("dave@example.test", "Dave is moving to Lisbon next spring.", "note", down);
    const id = items.get("Dave is moving to Lisbon next spring.")!;
    expect((await env.database.db.memoryItem.findUniqueOrThrow({ where: { id } })).indexedAt).toBeNull();
    await expect(recall(env.database.db, down, { query: "relocation", topK: 3, minScore: 0 })).rejects.toBeInstanceOf(RetryableError);

    expect(await countStale(env.database.db, local.id)).toBe(1);
    expect(await sweepIndex(env.database.db, index)).toBe(1);
    expect(await countStale(env.database.db, local.id)).toBe(0);
    const found = await recall(env.database.db, index, { query: "Where is Dave relocating?", subject: { kind: "contact", key: "dave@example.test" }, topK: 1, minScore: 0 });
    expect(found.items.map((i) => i.id)).toEqual([id]);
  });

  it("keeps the index across a Chroma restart on the same data", async () => {
    const count = await index.count();
    await chroma.restart();
    // A fresh client, as a restarted Keel would have.
    index = new MemoryIndex(chroma.url, local);
    expect(await index.count()).toBe(count);
    const contact = await recall(env.database.db, index, { query: "How should we get in touch with her?", subject: { kind: "contact", key: "ada@example.test" }, topK: 1, minScore: 0 });
    expect(contact.items[0]!.text).toBe("Prefers to be contacted by email, never by phone.");
  });

  it("rebuilds the collection from the database after it was deleted", async () => {
    const total = await env.database.db.memoryItem.count();
    await index.drop();
    const empty = await recall(env.database.db, index, { query: "hiking", topK: 3, minScore: 0 });
    expect(empty.items).toEqual([]);
    const result = await reindexAll(env.database.db, index, { batchSize: 2 });
    expect(result).toMatchObject({ items: total, batches: Math.ceil(total / 2), embedder: "use-lite-512" });
    expect(await index.count()).toBe(total);
    const hiking = await recall(env.database.db, index, { query: "mountain walks", subject: { kind: "contact", key: "ada@example.test" }, topK: 1, minScore: 0 });
    expect(hiking.items[0]!.text).toBe("She loves hiking in the Alps on weekends.");
  });

  describe("after switching to an OpenAI-compatible embedder of another dimension", () => {
    let openai: OpenAIServer;
    beforeAll(async () => {
      openai = await startOpenAIServer({ embeddingDimensions: 96 });
    });
    afterAll(async () => {
      await openai?.close();
    });

    it("finds every item stale, reindexes into its own collection, and recalls with it", async () => {
      const remote = openaiEmbedder({ kind: "openai", baseUrl: openai.baseURL, apiKey: "sk-test", model: "keel-embed", dimension: 96, requestDimensions: false });
      const other = new MemoryIndex(chroma.url, remote);
      expect(other.collectionName).not.toBe(index.collectionName);
      const total = await env.database.db.memoryItem.count();
      expect(await countStale(env.database.db, remote.id)).toBe(total);
      const result = await reindexAll(env.database.db, other, { batchSize: 3 });
      expect(result.items).toBe(total);
      expect(await countStale(env.database.db, remote.id)).toBe(0);
      expect(await other.count()).toBe(total);
      // The local collection is untouched: switching back needs no mixing of dimensions.
      expect(await index.count()).toBe(total);
      const zurich = await recall(env.database.db, other, { query: "finance team Zurich", topK: 1, minScore: 0 });
      expect(zurich.items[0]!.text).toBe("Her invoices are paid by the finance team in Zurich.");
      // openai 6 asks for base64 unless told otherwise; the vectors came back decoded.
      expect(openai.embeddingRequests().length).toBeGreaterThanOrEqual(Math.ceil(total / 3) + 1);
      // Switching back: every item is stale for the local embedder until it is reindexed.
      expect(await countStale(env.database.db, local.id)).toBe(total);
      await reindexAll(env.database.db, index);
    });
  });

  it("refreshes hot summaries on a cadence, extractively and deterministically", async () => {
    const summarizer = extractiveSummarizer(local, { sentences: 2 });
    const now = new Date();
    const written = await refreshDueSummaries(env.database.db, summarizer, now);
    expect(written).toBeGreaterThanOrEqual(3);
    const ada = await env.database.db.memorySubject.findUniqueOrThrow({ where: { kind_key: { kind: "contact", key: "ada@example.test" } }, include: { summary: true } });
    expect(ada.summary).toMatchObject({ method: "extractive", itemCount: 4 });
    const adaTexts = (await env.database.db.memoryItem.findMany({ where: { subjectId: ada.id } })).map((i) => i.text);
    const sentences = ada.summary!.text.split(/(?<=\.)\s+/);
    expect(sentences).toHaveLength(2);
    for (const sentence of sentences) expect(adaTexts).toContain(sentence);
    // Nothing new: nothing due. Same items: the same summary.
    expect(await refreshDueSummaries(env.database.db, summarizer, new Date(now.getTime() + 1_000))).toBe(0);
    expect(await summarizer.summarize({ subject: "contact:ada@example.test", items: adaTexts.map((text) => ({ text, createdAt: now })) })).toBe(
      await summarizer.summarize({ subject: "contact:ada@example.test", items: adaTexts.map((text) => ({ text, createdAt: now })) }),
    );
    const withSummary = await recallRun("ada@example.test", "hiking");
    expect(withSummary.summary?.text).toBe(ada.summary!.text);
    expect(withSummary.text).toBe([`Summary: ${ada.summary!.text}`, ...withSummary.items.map((i) => `- ${i.text}`)].join("\n"));
  });

  it("prunes items past their kind's retention from the database and the index, and audits the change", async () => {
    await services.memory.saveRetention({ kinds: { support: 30 } }, "operator");
    const id = items.get("Reported that the export button crashes the app.")!;
    await env.database.db.memoryItem.update({ where: { id }, data: { createdAt: new Date(Date.now() - 31 * 86_400_000) } });
    const result = await memoryMaintenancePass(env.database, { index, summarizer: extractiveSummarizer(local) });
    expect(result.pruned).toBe(1);
    expect(await env.database.db.memoryItem.findUnique({ where: { id } })).toBeNull();
    expect((await index.queryVector((await local.embed(["export button crashes"]))[0]!, { n: 50 })).map((h) => h.id)).not.toContain(id);
    const entries = await env.database.db.auditLog.findMany({ where: { action: { in: ["memory.prune", "settings.update"] } } });
    expect(entries.map((a) => a.action).sort()).toEqual(["memory.prune", "settings.update"]);
    await expect(services.memory.saveRetention({ kinds: { Support: 30 } }, "operator")).rejects.toThrow(/memory\.retention\.kinds\.Support|kinds/);
  });

  it("forgets a subject: its items, summary and vectors, and the payloads of events that carried it", async () => {
    const texts = ["Prefers to be contacted by email, never by phone.", "Her invoices are paid by the finance team in Zurich.", "She loves hiking in the Alps on weekends."];
    const ids = texts.map((t) => items.get(t)!);
    const runIds = texts.map((t) => runs.get(t)!);
    const result = await services.memory.forget("contact:ada@example.test", "operator");
    expect(result).toMatchObject({ subject: "contact:ada@example.test", items: 3 });
    expect(await env.database.db.memoryItem.count({ where: { id: { in: ids } } })).toBe(0);
    expect(await env.database.db.memorySubject.findUnique({ where: { kind_key: { kind: "contact", key: "ada@example.test" } } })).toBeNull();
    expect(await env.database.db.memorySummary.count({ where: { subject: { key: "ada@example.test" } } })).toBe(0);
    const hits = await index.queryVector((await local.embed(["email phone invoices hiking"]))[0]!, { n: 50 });
    for (const id of ids) expect(hits.map((h) => h.id)).not.toContain(id);
    // Also gone from the collection of the embedder used before (reindexed above).
    const before = new MemoryIndex(chroma.url, { id: "openai:keel-embed:96", dimension: 96, embed: () => Promise.reject(new Error("not used")) });
    const old = (await before.queryVector(new Array<number>(96).fill(0.1), { n: 50 })).map((h) => h.id);
    expect(old.length).toBeGreaterThan(0);
    for (const id of ids) expect(old).not.toContain(id);

    // The steps that produced the items, and every event whose payload named her (run.started
    // with her email as input, the recall runs), keep their skeleton and lose their payload.
    const events = await env.database.db.runEvent.findMany({ where: { runId: { in: runIds } }, orderBy: { seq: "asc" } });
    expect(events.length).toBeGreaterThan(0);
    for (const event of events.filter((ev) => ev.nodeId === "remember" || ev.type === "run.started")) {
      expect(event.tombstone, event.type).toMatch(/^forgotten /);
      expect(event.payload).toBeNull();
    }
    const stillMentioning = (await env.database.db.runEvent.findMany({ where: { tombstone: null } })).filter((ev) => JSON.stringify(ev.payload ?? null).includes("ada@example.test"));
    expect(stillMentioning).toEqual([]);
    expect((await env.database.db.effect.findMany({ where: { runId: { in: runIds }, nodeId: "remember" } })).every((ef) => ef.request === null && ef.result === null)).toBe(true);
    // Her runs keep their status; their input (her email, the texts) is a tombstone now.
    for (const run of await env.database.db.run.findMany({ where: { id: { in: runIds } } })) {
      expect(run.status).toBe("succeeded");
      expect(run.input).toEqual({ forgotten: expect.any(String) });
    }
    expect(result.runs).toBeGreaterThanOrEqual(runIds.length);
    const stillInRuns = (await env.database.db.run.findMany()).filter((r) => JSON.stringify([r.input, r.output]).includes("ada@example.test"));
    expect(stillInRuns).toEqual([]);
    // Bob is untouched.
    expect((await recall(env.database.db, index, { query: "phone calls", subject: { kind: "contact", key: "bob@example.test" }, topK: 1, minScore: 0 })).items).toHaveLength(1);
    const audit = await env.database.db.auditLog.findFirstOrThrow({ where: { action: "memory.forget" } });
    expect(JSON.stringify(audit)).not.toContain("ada@example.test");
    await expect(services.memory.forget("contact:ada@example.test", "operator")).rejects.toThrow(/no memory about/);
  });
});
