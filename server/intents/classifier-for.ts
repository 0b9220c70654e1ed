import type { Db } from "../../engine/store";
import { createLlmClient } from "../../nodes/llm/client.server";
import { readLlmSettings } from "../../nodes/llm/llm.server";
import type { KeelConfig } from "../config";
import { LLM_TIMEOUT_MS } from "../runtime";
import { llmIntentClassifier } from "./llm-classifier";
import type { IntentDeps } from "./service";

/**
 * The router's LLM classifier for this configuration: absent without an endpoint. The model is
 * read at routing time, so a default model set in Settings applies at once.
 */
export function intentClassifierFor(config: Pick<KeelConfig, "openai">, db: Db): IntentDeps["classify"] {
  if (!config.openai) return undefined;
  const client = createLlmClient(config.openai, { timeoutMs: LLM_TIMEOUT_MS });
  return async (intent, targets) => llmIntentClassifier(client, (await readLlmSettings(db)).defaultModel ?? "gpt-4o-mini")(intent, targets);
}
