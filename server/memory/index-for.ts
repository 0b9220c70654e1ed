import { createEmbedder, type Embedder } from "../../nodes/memory/embedders.server";
import { MemoryIndex } from "../../nodes/memory/memory-index.server";
import { extractiveSummarizer, type Summarizer } from "../../nodes/memory/summaries.server";
import type { KeelConfig } from "../config";

// One embedder and one index handle per process and configuration: the web server, the worker
// and the CLI each build theirs from the same configuration, so they agree on the collection.

const embedders = new Map<string, Embedder>();
const indexes = new Map<string, MemoryIndex>();

export function embedderFor(config: Pick<KeelConfig, "embedding">): Embedder {
  const key = JSON.stringify(config.embedding);
  let embedder = embedders.get(key);
  if (!embedder) embedders.set(key, (embedder = createEmbedder(config.embedding)));
  return embedder;
}

/** The memory index at `chromaUrl` (default: the configured one); undefined without Chroma. */
export function memoryIndexFor(config: Pick<KeelConfig, "embedding" | "chromaUrl">, chromaUrl = config.chromaUrl): MemoryIndex | undefined {
  if (!chromaUrl) return undefined;
  const embedder = embedderFor(config);
  const key = `${chromaUrl} ${embedder.id}`;
  let index = indexes.get(key);
  if (!index) indexes.set(key, (index = new MemoryIndex(chromaUrl, embedder)));
  return index;
}

/** Extractive summaries with the configured embedder. (An LLM summarizer can take its place.) */
export function summarizerFor(config: Pick<KeelConfig, "embedding">): Summarizer {
  return extractiveSummarizer(embedderFor(config));
}
