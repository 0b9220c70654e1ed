import { createEmbedder, type Embedder, type EmbeddingUsage } from "../../infra/memory/embedders";
import { MemoryIndex } from "../../infra/memory/memory-index";
import { extractiveSummarizer, fromListSummarizer, type ListSummarizer, type Summarizer } from "../../infra/memory/summaries";
import type { Db } from "../../engine/store";
import { createLlmClient } from "../../infra/llm/client";
import { costUnits, readLlmSettings } from "../../infra/llm/settings";
import { llmSummarizer } from "../../infra/llm/summarizer";
import { recordKeelSpend } from "../services/budgets";
import type { KeelConfig } from "../config";
import type { LlmEndpointResolver } from "../llm/endpoint";
import { LLM_TIMEOUT_MS, resolvingLlmClient } from "../runtime";

// One embedder and one index handle per process and configuration: the web server, the worker
// and the CLI each build theirs from the same configuration, so they agree on the collection.

const embedders = new Map<string, Embedder>();
const indexes = new Map<string, MemoryIndex>();
// With a database, a paid embedder's spending is recorded there: one embedder per database.
const spendingEmbedders = new WeakMap<Db, Map<string, Embedder>>();
const spendingIndexes = new WeakMap<Db, Map<string, MemoryIndex>>();

/**
 * The configured embedder. Given the database, an OpenAI-compatible embedder's spending (its
 * model's input price in Settings → LLM) is recorded there under Keel's own line, which the
 * global budget counts: embeddings belong to no run.
 */
export function embedderFor(config: Pick<KeelConfig, "embedding">, db?: Db): Embedder {
  const key = JSON.stringify(config.embedding);
  const cache = db ? (spendingEmbedders.get(db) ?? new Map<string, Embedder>()) : embedders;
  if (db) spendingEmbedders.set(db, cache);
  let embedder = cache.get(key);
  if (!embedder) cache.set(key, (embedder = createEmbedder(config.embedding, db ? { onUsage: embeddingSpend(db) } : {})));
  return embedder;
}

/** Records what an embeddings request cost, priced like the model's prompt tokens. */
function embeddingSpend(db: Db) {
  return async (usage: EmbeddingUsage) =>
    recordKeelSpend(db, { kind: "embedding", costUnits: costUnits(await readLlmSettings(db), usage.model, { promptTokens: usage.promptTokens, completionTokens: 0 }), costTokens: usage.promptTokens });
}

/** The memory index at `chromaUrl` (default: the configured one); undefined without Chroma. With `db`, its embeddings' spending is recorded. */
export function memoryIndexFor(config: Pick<KeelConfig, "embedding" | "chromaUrl">, chromaUrl = config.chromaUrl, db?: Db): MemoryIndex | undefined {
  if (!chromaUrl) return undefined;
  const embedder = embedderFor(config, db);
  const key = `${chromaUrl} ${embedder.id}`;
  const cache = db ? (spendingIndexes.get(db) ?? new Map<string, MemoryIndex>()) : indexes;
  if (db) spendingIndexes.set(db, cache);
  let index = cache.get(key);
  if (!index) cache.set(key, (index = new MemoryIndex(chromaUrl, embedder)));
  return index;
}

/** The LLM summarizer when one is given (an endpoint is configured), else extractive summaries with the embedder (its spending recorded in `db`). */
export function summarizerFor(config: Pick<KeelConfig, "embedding">, llm?: { model: string; summarizer: ListSummarizer }, db?: Db): Summarizer {
  return llm ? fromListSummarizer(`llm:${llm.model}`, llm.summarizer) : extractiveSummarizer(embedderFor(config, db));
}

/**
 * Hot summaries for a worker: written by the LLM when an endpoint is configured and the LLM
 * settings name a default model, else extractive. With an endpoint resolver both are decided at
 * each summary, so an endpoint saved in Settings applies without restarting the worker.
 */
export async function workerSummarizer(config: Pick<KeelConfig, "embedding" | "openai">, db: Db, endpoint?: LlmEndpointResolver): Promise<Summarizer> {
  // Summaries belong to no run: their spending is Keel's own line, under the global budget.
  const onUsageFor = (model: string) => async (usage: { promptTokens: number; completionTokens: number; totalTokens: number }) =>
    recordKeelSpend(db, { kind: "summary", costUnits: costUnits(await readLlmSettings(db), model, usage), costTokens: usage.totalTokens });
  if (!endpoint) {
    const model = config.openai ? (await readLlmSettings(db)).defaultModel : undefined;
    if (!config.openai || !model) return summarizerFor(config, undefined, db);
    return summarizerFor(config, { model, summarizer: llmSummarizer(createLlmClient(config.openai, { timeoutMs: LLM_TIMEOUT_MS }), { model, onUsage: onUsageFor(model) }) });
  }
  const extractive = summarizerFor(config, undefined, db);
  const client = resolvingLlmClient(endpoint, { timeoutMs: LLM_TIMEOUT_MS });
  // refreshSummary reads `method` after summarize: it names the summarizer that wrote that text.
  let method = extractive.method;
  return {
    get method() {
      return method;
    },
    async summarize(input, signal) {
      const model = (await endpoint.current()) ? (await readLlmSettings(db)).defaultModel : undefined;
      const chosen = model ? summarizerFor(config, { model, summarizer: llmSummarizer(client, { model, onUsage: onUsageFor(model) }) }) : extractive;
      const text = await chosen.summarize(input, signal);
      method = chosen.method;
      return text;
    },
  };
}
