import type { Db } from "../../engine/store";
import { createLlmClient } from "../../infra/llm/client";
import { readLlmSettings } from "../../infra/llm/settings";
import type { KeelConfig } from "../config";
import { LLM_TIMEOUT_MS, resolvingLlmClient } from "../runtime";
import type { LlmEndpointResolver } from "../llm/endpoint";
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

/**
 * The classifier as it is at routing time: absent while no endpoint resolves (Settings or the
 * environment), so routing falls through to examples exactly as without one.
 */
export function intentClassifierNow(resolver: LlmEndpointResolver, db: Db): () => Promise<IntentDeps["classify"]> {
  const client = resolvingLlmClient(resolver, { timeoutMs: LLM_TIMEOUT_MS });
  const classify: NonNullable<IntentDeps["classify"]> = async (intent, targets) =>
    llmIntentClassifier(client, (await readLlmSettings(db)).defaultModel ?? "gpt-4o-mini")(intent, targets);
  return async () => ((await resolver.current()) ? classify : undefined);
}
