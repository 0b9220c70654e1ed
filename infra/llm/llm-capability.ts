import type { LlmCapability } from "../../engine/registry";
import type { Db } from "../../engine/store";
import { noEndpointError, type LlmClient } from "./client";
import { costUnits, readLlmSettings } from "./settings";

/**
 * ctx.llm over a client (absent when this process has no endpoint and cannot resolve one: every
 * LLM step then fails as a configuration error) and Settings → LLM, read when a step starts.
 */
export function llmCapability(db: Db, client: LlmClient | undefined): LlmCapability {
  return {
    // A client that resolves its endpoint per request answers for the endpoint as it is now.
    async available() {
      return client ? ((await client.available?.()) ?? true) : false;
    },
    async prepare() {
      if (!client) throw noEndpointError();
      const settings = await readLlmSettings(db);
      return { defaultModel: settings.defaultModel, costUnits: (model, usage) => costUnits(settings, model, usage) };
    },
    async chat(call, options) {
      if (!client) throw noEndpointError();
      return client.chat(call, options);
    },
  };
}
