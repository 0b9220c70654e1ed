import type { ChromaClient, Collection, Where } from "chromadb";
import { isKeelError, PermanentError, RetryableError } from "../../engine/errors";
import type { Embedder } from "./embedders";

// The memory index: vectors of memory items in Chroma, one collection per embedder id. It holds
// ids, vectors and the metadata recall filters on, never the texts: the database is the source
// of truth and results are re-read from it.

export interface IndexEntry {
  id: string;
  subjectId: string | null;
  subject: string | null;
  kind: string;
  createdAt: Date;
  text: string;
}

export interface IndexHit {
  id: string;
  /** Cosine similarity, 1 = same direction. */
  score: number;
}

export interface IndexFilter {
  subjectId?: string;
  kinds?: string[];
}

/** Chroma collection names allow [a-zA-Z0-9._-], 3–512 characters, alphanumeric at both ends. */
const COLLECTION_PREFIX = "keel-memory-";

export function collectionNameFor(embedderId: string): string {
  return `${COLLECTION_PREFIX}${embedderId.replace(/[^a-zA-Z0-9._-]/g, "_")}`.slice(0, 500).replace(/[^a-zA-Z0-9]+$/, "");
}

function whereOf(filter: IndexFilter): Where | undefined {
  const clauses: Where[] = [];
  if (filter.subjectId) clauses.push({ subjectId: filter.subjectId });
  if (filter.kinds?.length) clauses.push(filter.kinds.length === 1 ? { kind: filter.kinds[0]! } : { kind: { $in: filter.kinds } });
  return clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { $and: clauses };
}

// Chroma's client is loaded with the index's first request: a process whose runs never use
// memory never pays for it.
let chromadb: typeof import("chromadb") | undefined;
async function loadChromadb(): Promise<typeof import("chromadb")> {
  return (chromadb ??= await import("chromadb"));
}

/** Only the client throws its errors: until it is loaded, no error is one of them. */
const isNotFound = (error: unknown) => chromadb !== undefined && error instanceof chromadb.ChromaNotFoundError;

export class MemoryIndex {
  private connected: Promise<ChromaClient> | undefined;
  private handle: Promise<Collection> | undefined;
  readonly collectionName: string;

  constructor(
    readonly chromaUrl: string,
    readonly embedder: Embedder,
  ) {
    this.collectionName = collectionNameFor(embedder.id);
  }

  private client(): Promise<ChromaClient> {
    this.connected ??= loadChromadb().then(({ ChromaClient }) => {
      const url = new URL(this.chromaUrl);
      const ssl = url.protocol === "https:";
      return new ChromaClient({ host: url.hostname, port: Number(url.port || (ssl ? 443 : 80)), ssl });
    });
    return this.connected;
  }

  /** Embeds and upserts the entries (idempotent: an id indexed twice is one vector). */
  async upsert(entries: IndexEntry[], signal?: AbortSignal): Promise<void> {
    if (entries.length === 0) return;
    const embeddings = await this.embedder.embed(
      entries.map((entry) => entry.text),
      signal,
    );
    await this.upsertVectors(entries, embeddings);
  }

  /** Upserts vectors computed elsewhere (reindexing and the bench embed in large batches). */
  async upsertVectors(entries: IndexEntry[], embeddings: number[][]): Promise<void> {
    await this.withCollection((collection) =>
      collection.upsert({
        ids: entries.map((entry) => entry.id),
        embeddings,
        metadatas: entries.map((entry) => ({ subjectId: entry.subjectId ?? "", subject: entry.subject ?? "", kind: entry.kind, createdAt: entry.createdAt.getTime() })),
      }),
    );
  }

  /** The nearest items to `text`, best first. */
  async query(text: string, options: IndexFilter & { n: number; signal?: AbortSignal }): Promise<IndexHit[]> {
    const [vector] = await this.embedder.embed([text], options.signal);
    return this.queryVector(vector!, options);
  }

  async queryVector(vector: number[], options: IndexFilter & { n: number }): Promise<IndexHit[]> {
    const where = whereOf(options);
    const result = await this.withCollection((collection) =>
      collection.query({ queryEmbeddings: [vector], nResults: options.n, include: ["distances"], ...(where ? { where } : {}) }),
    );
    const ids = result.ids[0] ?? [];
    const distances = result.distances[0] ?? [];
    return ids.map((id, i) => ({ id, score: 1 - (distances[i] ?? 1) }));
  }

  async delete(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.withCollection((collection) => collection.delete({ ids }));
  }

  /**
   * Deletes the ids from every memory collection, this embedder's and those of embedders used
   * before: forgetting must not leave vectors behind in a collection no longer queried.
   */
  async deleteEverywhere(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    try {
      const collections = await (await this.client()).listCollections({ limit: 1_000 });
      for (const collection of collections) {
        if (collection.name.startsWith(COLLECTION_PREFIX)) await collection.delete({ ids });
      }
    } catch (error) {
      throw this.translate(error);
    }
  }

  async count(): Promise<number> {
    return this.withCollection((collection) => collection.count());
  }

  /** Drops this embedder's collection (reindex starts from an empty one). */
  async drop(): Promise<void> {
    this.handle = undefined;
    try {
      await (await this.client()).deleteCollection({ name: this.collectionName });
    } catch (error) {
      if (!isNotFound(error) && !/not found|does not exist/i.test(String((error as Error)?.message))) throw this.translate(error);
    }
  }

  private collection(): Promise<Collection> {
    this.handle ??= this.client()
      .then((client) =>
        client.getOrCreateCollection({ name: this.collectionName, embeddingFunction: null, configuration: { hnsw: { space: "cosine" } }, metadata: { embedder: this.embedder.id } }),
      )
      .catch((error: unknown) => {
        this.handle = undefined;
        throw error;
      });
    return this.handle;
  }

  // A collection dropped by another process (a reindex) leaves a stale handle: fetch it anew once.
  private async withCollection<T>(use: (collection: Collection) => Promise<T>): Promise<T> {
    try {
      try {
        return await use(await this.collection());
      } catch (error) {
        if (!isNotFound(error)) throw error;
        this.handle = undefined;
        return await use(await this.collection());
      }
    } catch (error) {
      throw this.translate(error);
    }
  }

  private translate(error: unknown): Error {
    if (isKeelError(error)) return error;
    const name = (error as Error | null)?.name ?? "";
    const message = error instanceof Error ? error.message : String(error);
    if (name === "ChromaClientError" || name === "ChromaValueError" || name === "InvalidArgumentError") {
      return new PermanentError(`memory index: Chroma refused the request (${message})`);
    }
    return new RetryableError(`memory index: Chroma at ${this.chromaUrl} is unreachable or failing (${message})`, undefined, { cause: error });
  }
}
