import { z } from "zod";
import { ValidationError } from "../../engine/errors";
import { json, type Db } from "../../engine/store";
import { readLlmSettings } from "../../infra/llm/settings";
import { LLM_SETTING_KEY, LlmSettingsSchema, type LlmSettings } from "../../infra/llm/settings";
import type { KeelConfig } from "../config";
import { LLM_ENDPOINT_CREDENTIAL, LLM_ENDPOINT_SETTING_KEY, invalidateLlmEndpoints, readStoredEndpoint, type LlmEndpointResolver } from "../llm/endpoint";
import { testLlmConnection, type ConnectionResult } from "../llm/test-connection";
import type { Cipher } from "../secrets/cipher";
import { audit } from "./audit";
import { zodIssues } from "./zod-issues";

// The LLM settings as the Settings page edits them: the default model and price table, and the
// endpoint (base URL in a settings row, key as a sealed credential). Reads show the host and
// whether a key is set, never the key.

export interface LlmSettingsView extends LlmSettings {
  endpoint: { configured: false } | { configured: true; host: string; apiKey: boolean; source: "environment" | "settings" };
  /** What Settings holds (shown in the form even while the environment wins). */
  stored: { baseUrl: string | null; apiKey: boolean };
  /** The environment names the endpoint, so Settings' endpoint is not used. */
  environmentWins: boolean;
}

export const SaveLlmEndpointInput = z
  .object({
    /** Empty clears the stored endpoint. */
    baseUrl: z.union([z.literal(""), z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })]),
    /** Write-only: absent keeps the stored key, "" removes it. */
    apiKey: z.string().max(4_096, "is too long").regex(/^[^\s]*$/, "must not contain spaces or line breaks").optional(),
  })
  .strict();

export const TestLlmConnectionInput = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" }).optional(),
    apiKey: z.string().max(4_096).optional(),
  })
  .strict();

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
};

function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

export function llmSettingsService(db: Db, config: Pick<KeelConfig, "openai">, deps: { cipher?: Cipher; endpoint?: LlmEndpointResolver } = {}) {
  const stored = async () => {
    const row = await db.setting.findUnique({ where: { key: LLM_ENDPOINT_SETTING_KEY } });
    const baseUrl = (row?.value as { baseUrl?: string } | null | undefined)?.baseUrl || null;
    const key = await db.credential.findUnique({ where: { name: LLM_ENDPOINT_CREDENTIAL }, select: { id: true } });
    return { baseUrl, apiKey: Boolean(key) };
  };
  const endpointView = async (): Promise<Pick<LlmSettingsView, "endpoint" | "stored" | "environmentWins">> => {
    const saved = await stored();
    if (config.openai) return { endpoint: { configured: true, host: hostOf(config.openai.baseUrl), apiKey: Boolean(config.openai.apiKey), source: "environment" }, stored: saved, environmentWins: true };
    if (saved.baseUrl) return { endpoint: { configured: true, host: hostOf(saved.baseUrl), apiKey: saved.apiKey, source: "settings" }, stored: saved, environmentWins: false };
    return { endpoint: { configured: false }, stored: saved, environmentWins: false };
  };
  const read = async (): Promise<LlmSettingsView> => ({ ...(await readLlmSettings(db)), ...(await endpointView()) });
  return {
    read,
    async save(input: unknown, actor = "operator"): Promise<LlmSettingsView> {
      const parsed = LlmSettingsSchema.safeParse(input);
      if (!parsed.success) {
        const issues = zodIssues(parsed.error, LLM_SETTING_KEY);
        throw new ValidationError(`setting ${issues[0]!.path}: ${issues[0]!.message}`, issues);
      }
      const value = { ...(parsed.data.defaultModel ? { defaultModel: parsed.data.defaultModel } : {}), prices: parsed.data.prices };
      await db.setting.upsert({ where: { key: LLM_SETTING_KEY }, create: { key: LLM_SETTING_KEY, value: json(value) }, update: { value: json(value) } });
      await audit(db, { actor, action: "settings.update", targetType: "setting", targetId: LLM_SETTING_KEY, detail: value });
      return { ...value, ...(await endpointView()) };
    },

    /** Stores the endpoint; applies at once in this process and within seconds in the others. */
    async saveEndpoint(input: unknown, actor = "operator"): Promise<LlmSettingsView> {
      const { baseUrl, apiKey } = parse(SaveLlmEndpointInput, input);
      if (apiKey && !deps.cipher) throw new ValidationError("apiKey: Keel has no master secret to seal it with", [{ path: "apiKey", message: "cannot be stored without a master secret" }]);
      await db.setting.upsert({ where: { key: LLM_ENDPOINT_SETTING_KEY }, create: { key: LLM_ENDPOINT_SETTING_KEY, value: json({ baseUrl }) }, update: { value: json({ baseUrl }) } });
      let key: "unchanged" | "set" | "removed" = "unchanged";
      if (apiKey === "" || (baseUrl === "" && apiKey === undefined)) {
        await db.credential.deleteMany({ where: { name: LLM_ENDPOINT_CREDENTIAL } });
        key = "removed";
      } else if (apiKey) {
        const sealed = deps.cipher!.seal(JSON.stringify({ token: apiKey }));
        await db.credential.upsert({ where: { name: LLM_ENDPOINT_CREDENTIAL }, create: { name: LLM_ENDPOINT_CREDENTIAL, kind: "bearer", ...sealed }, update: sealed });
        key = "set";
      }
      invalidateLlmEndpoints();
      await audit(db, { actor, action: "settings.update", targetType: "setting", targetId: LLM_ENDPOINT_SETTING_KEY, detail: { baseUrl, apiKey: key } });
      return read();
    },

    /**
     * Asks the endpoint for its models: the one given (a key left out means the stored one), else
     * the one in use now. Never throws for an unreachable endpoint: the result says what is wrong.
     */
    async testConnection(input: unknown): Promise<ConnectionResult> {
      const given = parse(TestLlmConnectionInput, input ?? {});
      let target: { baseUrl: string; apiKey: string | undefined } | undefined;
      if (given.baseUrl) {
        const saved = given.apiKey === undefined ? await readStoredEndpoint(db, deps.cipher) : undefined;
        target = { baseUrl: given.baseUrl, apiKey: given.apiKey || saved?.apiKey };
      } else {
        target = deps.endpoint ? await deps.endpoint.current() : (config.openai ?? (await readStoredEndpoint(db, deps.cipher)));
      }
      if (!target) throw new ValidationError("baseUrl: no endpoint is set; enter a base URL to test", [{ path: "baseUrl", message: "is required to test a connection" }]);
      return testLlmConnection(target);
    },
  };
}
