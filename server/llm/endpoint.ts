import type { Db } from "../../engine/store";
import type { Cipher } from "../secrets/cipher";

// The one way every consumer (LLM steps, the inline worker, publishing's capability check, the
// intent classifier) learns the LLM endpoint: at use time, so a change saved in Settings applies
// without a restart. The environment (OPENAI_BASE_URL / OPENAI_API_KEY) wins when set, because an
// operator who pinned it there expects it to hold. The stored key is a credential under a reserved
// name, sealed like every other secret.

export const LLM_ENDPOINT_SETTING_KEY = "llm.endpoint";
/** Reserved credential name (credential names cannot contain ':' so no operator credential collides). */
export const LLM_ENDPOINT_CREDENTIAL = "llm-endpoint:key";
/** How stale another process's view of the endpoint may be. */
export const LLM_ENDPOINT_TTL_MS = 3_000;

// Saving in this process bumps the generation, so every resolver here drops its cache at once;
// other processes see the change when their cache expires.
let generation = 0;
export function invalidateLlmEndpoints(): void {
  generation += 1;
}

/** An OpenAI-compatible endpoint (the shape nodes/llm's client takes). */
export interface LlmEndpoint {
  baseUrl: string;
  apiKey: string | undefined;
}
export type StoredEndpoint = LlmEndpoint;

/** The endpoint saved in Settings, with its key opened when the master secret is at hand. */
export async function readStoredEndpoint(db: Db, cipher: Cipher | undefined): Promise<StoredEndpoint | undefined> {
  const row = await db.setting.findUnique({ where: { key: LLM_ENDPOINT_SETTING_KEY } });
  const value = row?.value as { baseUrl?: unknown } | null | undefined;
  if (!value || typeof value.baseUrl !== "string" || !value.baseUrl) return undefined;
  const credential = await db.credential.findUnique({ where: { name: LLM_ENDPOINT_CREDENTIAL } });
  let apiKey: string | undefined;
  if (credential && cipher) apiKey = (JSON.parse(cipher.open(credential)) as { token?: string }).token;
  return { baseUrl: value.baseUrl, apiKey };
}

export interface LlmEndpointResolver {
  /** Set when the environment names the endpoint (Settings cannot override it). */
  readonly fromEnvironment: boolean;
  current(): Promise<LlmEndpoint | undefined>;
}

export function llmEndpointResolver(
  db: Db,
  cipher: Cipher | undefined,
  environment: LlmEndpoint | undefined,
  options: { ttlMs?: number; now?: () => number } = {},
): LlmEndpointResolver {
  const ttlMs = options.ttlMs ?? LLM_ENDPOINT_TTL_MS;
  const now = options.now ?? Date.now;
  let cached: { at: number; generation: number; value: Promise<LlmEndpoint | undefined> } | undefined;
  return {
    fromEnvironment: Boolean(environment),
    current() {
      if (environment) return Promise.resolve(environment);
      if (!cached || cached.generation !== generation || now() - cached.at >= ttlMs) {
        const value = readStoredEndpoint(db, cipher);
        cached = { at: now(), generation, value };
        // A failed read is not remembered: the next use asks the database again.
        value.catch(() => (cached = undefined));
      }
      return cached.value;
    },
  };
}
