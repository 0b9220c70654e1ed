import { ChromaClient } from "chromadb";
import { useLiteEmbedder } from "../infra/memory/embedders";
import { MemoryIndex } from "../infra/memory/memory-index";
import { recall } from "../infra/memory/memory-store";
import { startChroma } from "../test/support/chroma-server";
import { databaseKinds, migratedDatabase } from "../test/support/databases";
import { report } from "./report";

// Recall latency (embed the query, ask Chroma, re-read the hits from the database) at 1k and
// 10k items, beside a baseline that embeds the query with the same embedder and queries the
// same collection through chromadb directly, in the same run. Goal: at most 2x the baseline.

const SIZES = [1_000, 10_000];
const QUERIES = 200;
const TOP_K = 5;

const PEOPLE = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "John"];
const TOPICS = [
  "prefers email over phone calls",
  "paid the invoice two weeks late",
  "asked for a discount on the annual plan",
  "reported that the export button crashes",
  "wants the quarterly report as a PDF",
  "is moving the team to Lisbon next spring",
  "loves hiking in the mountains on weekends",
  "needs the contract signed before Friday",
  "complained about slow support answers",
  "is interested in the enterprise tier",
  "booked a demo for the new dashboard",
  "forgot the password again this morning",
];
const DETAILS = ["according to the last call", "as written in the ticket", "mentioned at the meeting", "per the email thread", "noted by sales"];

const baseFor = (i: number) => `${PEOPLE[i % PEOPLE.length]} ${TOPICS[(i * 7) % TOPICS.length]}, ${DETAILS[(i * 3) % DETAILS.length]}`;
const textFor = (i: number) => `${baseFor(i)} (#${i}).`;

// Embedding 10k texts with USE-lite takes minutes here; recall latency does not depend on which
// vectors the items have, so each item takes the vector of its sentence without the number,
// nudged by a little deterministic noise (exact duplicates would be unlike real data for HNSW).
function seededNoise(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 0xffffffff - 0.5) * 0.02;
  };
}
const QUESTIONS = ["How should we contact them?", "Who pays late?", "Any bugs reported?", "Who is relocating?", "Pricing questions", "Hobbies", "Deadlines this week", "Support quality", "Sales leads", "Login problems"];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function benchMemory(): Promise<void> {
  const embedder = useLiteEmbedder();
  const bases = new Map<string, number[]>();
  const vectorFor = async (indices: number[]) => {
    const missing = [...new Set(indices.map(baseFor))].filter((b) => !bases.has(b));
    const vectors = await embedder.embed(missing);
    missing.forEach((b, i) => bases.set(b, vectors[i]!));
    return indices.map((i) => {
      const noise = seededNoise(i + 1);
      return bases.get(baseFor(i))!.map((x) => x + noise());
    });
  };
  for (const kind of databaseKinds()) {
    const env = await migratedDatabase(kind);
    const chroma = await startChroma();
    try {
      const { db } = env.database;
      const index = new MemoryIndex(chroma.url, embedder);
      const url = new URL(chroma.url);
      const direct = await new ChromaClient({ host: url.hostname, port: Number(url.port), ssl: false }).getOrCreateCollection({
        name: index.collectionName,
        embeddingFunction: null,
        configuration: { hnsw: { space: "cosine" } },
      });
      const subjects = await Promise.all(PEOPLE.map((name) => db.memorySubject.create({ data: { kind: "contact", key: `${name.toLowerCase()}@example.test`, name } })));
      let seeded = 0;
      for (const size of SIZES) {
        // Seed fast: batch embed, batch insert marked indexed, batch upsert.
        const started = performance.now();
        while (seeded < size) {
          const count = Math.min(500, size - seeded);
          const rows = Array.from({ length: count }, (_, j) => {
            const i = seeded + j;
            return { id: `bench${String(i).padStart(6, "0")}`, subjectId: subjects[i % subjects.length]!.id, kind: i % 4 === 0 ? "support" : "note", text: textFor(i), embedder: embedder.id, indexedAt: new Date(), createdAt: new Date(Date.now() - i * 1000) };
          });
          const vectors = await vectorFor(rows.map((_, j) => seeded + j));
          await db.memoryItem.createMany({ data: rows });
          await index.upsertVectors(
            rows.map((r) => ({ id: r.id, subjectId: r.subjectId, subject: null, kind: r.kind, createdAt: r.createdAt, text: r.text })),
            vectors,
          );
          seeded += count;
        }
        const seedSeconds = (performance.now() - started) / 1000;

        const keel: number[] = [];
        const baseline: number[] = [];
        // Warm both paths (model loaded, HNSW in memory, connections open) before measuring.
        await recall(db, index, { query: "warm up", topK: TOP_K, minScore: 0 });
        await direct.query({ queryEmbeddings: await embedder.embed(["warm up"]), nResults: TOP_K });
        for (let q = 0; q < QUERIES; q++) {
          const query = `${QUESTIONS[q % QUESTIONS.length]} ${q}`;
          // Alternate which goes first so neither always benefits from a warm cache.
          const runKeel = async () => {
            const t = performance.now();
            await recall(db, index, { query, topK: TOP_K, minScore: 0 });
            keel.push(performance.now() - t);
          };
          const runBaseline = async () => {
            const t = performance.now();
            await direct.query({ queryEmbeddings: await embedder.embed([query]), nResults: TOP_K, include: ["distances"] });
            baseline.push(performance.now() - t);
          };
          if (q % 2 === 0) {
            await runKeel();
            await runBaseline();
          } else {
            await runBaseline();
            await runKeel();
          }
        }
        keel.sort((a, b) => a - b);
        baseline.sort((a, b) => a - b);
        const label = `${size / 1000}k`;
        report(`memory.${kind.name}.recall_${label}.p50`, percentile(keel, 50), "ms", percentile(baseline, 50));
        report(`memory.${kind.name}.recall_${label}.p95`, percentile(keel, 95), "ms", percentile(baseline, 95));
        report(`memory.${kind.name}.seed_${label}`, (size - (SIZES[SIZES.indexOf(size) - 1] ?? 0)) / seedSeconds, "items/s");
      }
    } finally {
      await chroma.dispose();
      await env.dispose();
    }
  }
}
