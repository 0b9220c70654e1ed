import { ValidationError } from "../../engine/errors";
import { json, type Db } from "../../engine/store";
import { readLlmSettings } from "../../nodes/llm/llm.server";
import { LLM_SETTING_KEY, LlmSettingsSchema, type LlmSettings } from "../../nodes/llm/settings";
import type { KeelConfig } from "../config";
import { audit } from "./audit";
import { zodIssues } from "./zod-issues";

// The LLM settings row (default model, price table) as the Settings page edits it, with
// whether an endpoint is configured (its host only: never the key).

export interface LlmSettingsView extends LlmSettings {
  endpoint: { configured: false } | { configured: true; host: string; apiKey: boolean };
}

function endpointView(config: Pick<KeelConfig, "openai">): LlmSettingsView["endpoint"] {
  if (!config.openai) return { configured: false };
  let host = config.openai.baseUrl;
  try {
    host = new URL(config.openai.baseUrl).host;
  } catch {
    // loadConfig only lets URLs through; keep the text if that ever changes.
  }
  return { configured: true, host, apiKey: Boolean(config.openai.apiKey) };
}

export function llmSettingsService(db: Db, config: Pick<KeelConfig, "openai">) {
  return {
    async read(): Promise<LlmSettingsView> {
      return { ...(await readLlmSettings(db)), endpoint: endpointView(config) };
    },
    async save(input: unknown, actor = "operator"): Promise<LlmSettingsView> {
      const parsed = LlmSettingsSchema.safeParse(input);
      if (!parsed.success) {
        const issues = zodIssues(parsed.error, LLM_SETTING_KEY);
        throw new ValidationError(`setting ${issues[0]!.path}: ${issues[0]!.message}`, issues);
      }
      const value = { ...(parsed.data.defaultModel ? { defaultModel: parsed.data.defaultModel } : {}), prices: parsed.data.prices };
      await db.setting.upsert({ where: { key: LLM_SETTING_KEY }, create: { key: LLM_SETTING_KEY, value: json(value) }, update: { value: json(value) } });
      await audit(db, { actor, action: "settings.update", targetType: "setting", targetId: LLM_SETTING_KEY, detail: value });
      return { ...value, endpoint: endpointView(config) };
    },
  };
}
