import type OpenAI from "openai";
import { ConfigurationError, PermanentError, RetryableError } from "../../engine/errors";
import { JsonSchemaUnsupportedError, type ChatAnswer, type ChatCall } from "../../engine/registry";
import { retryAfterMs } from "../http/retry-after";

// The one place Keel talks to an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio…)
// and the one place its errors become Keel's: a refused key, an unknown model or a wrong base
// URL are configuration the operator must fix (permanent, so the step waits in dead letters);
// throttling, server errors, timeouts and refused connections are retried by the engine.
// The SDK's own retries are off: the engine owns retry policy and Retry-After.

export interface LlmEndpoint {
  baseUrl: string;
  apiKey: string | undefined;
}

// The call and answer shapes are ctx.llm's (engine/registry/capabilities.ts).
export type { ChatAnswer, ChatCall, ChatMessage, ResponseFormat, Usage } from "../../engine/registry";
export { JsonSchemaUnsupportedError };

export interface LlmClient {
  /** Where requests go, for messages (never the key). */
  readonly baseUrl: string;
  /** Whether a request could go anywhere now (a client that resolves its endpoint per request). */
  available?(): Promise<boolean>;
  chat(call: ChatCall, options: { signal: AbortSignal; idempotencyKey: string }): Promise<ChatAnswer>;
}

export const CONFIGURE_ENDPOINT = "set an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio; it usually ends in /v1) in Settings → LLM (or OPENAI_BASE_URL and OPENAI_API_KEY), then retry the step from Dead letters";

// The SDK is loaded with the first request: a process that never calls an LLM never pays for it.
let sdkModule: typeof import("openai") | undefined;
async function loadSdk(): Promise<typeof import("openai")> {
  return (sdkModule ??= await import("openai"));
}

export function noEndpointError(): ConfigurationError {
  return new ConfigurationError(`no LLM endpoint is configured: ${CONFIGURE_ENDPOINT}`, "OPENAI_BASE_URL");
}

function host(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

/** Translates what the SDK throws into Keel's typed errors, once. */
export function translateLlmError(error: unknown, endpoint: { baseUrl: string }, call: Pick<ChatCall, "model" | "responseFormat">): unknown {
  // Only the SDK throws its errors: until it is loaded, no error is one of them.
  const SDK = sdkModule?.default;
  if (!SDK) return error;
  const where = host(endpoint.baseUrl);
  if (error instanceof SDK.APIUserAbortError) return error;
  if (error instanceof SDK.APIConnectionTimeoutError) return new RetryableError(`the LLM endpoint at ${where} did not answer in time`, undefined, { cause: error });
  if (error instanceof SDK.APIConnectionError) {
    const code = (error.cause as { code?: string; cause?: { code?: string } } | undefined)?.cause?.code ?? (error.cause as { code?: string } | undefined)?.code;
    return new RetryableError(`could not reach the LLM endpoint at ${where}${code === "ECONNREFUSED" ? ": connection refused" : ""}`, undefined, { cause: error });
  }
  if (!(error instanceof SDK.APIError)) return error;
  const status = error.status ?? 0;
  if (status === 401) {
    return new ConfigurationError(`the LLM endpoint at ${where} refused the API key (401): set a key it accepts in Settings → LLM (or OPENAI_API_KEY), then retry the step from Dead letters`, "OPENAI_API_KEY");
  }
  if (status === 403) {
    return new ConfigurationError(`the LLM endpoint at ${where} does not allow this key to use model '${call.model}' (403): check OPENAI_API_KEY's permissions or choose another model, then retry the step`, "OPENAI_API_KEY");
  }
  if (status === 404) {
    if (error.code === "model_not_found" || /model/i.test(error.message)) {
      return new ConfigurationError(`model: the LLM endpoint at ${where} has no model '${call.model}' (404): set the node's model (or the default model in Settings) to one it serves, then retry the step`, "model");
    }
    return new ConfigurationError(`the LLM endpoint at ${where} has no chat completions API (404): check the base URL in Settings → LLM or OPENAI_BASE_URL (it usually ends in /v1), then retry the step`, "OPENAI_BASE_URL");
  }
  if (status === 429 || status >= 500) {
    const ms = error.headers?.get("retry-after-ms");
    const wait = ms && Number.isFinite(Number(ms)) ? Number(ms) : retryAfterMs(error.headers?.get("retry-after") ?? null);
    return new RetryableError(`the LLM endpoint at ${where} answered ${status}${status === 429 ? " (rate limited)" : ""}`, wait, { cause: error });
  }
  if (status === 400 && call.responseFormat?.type === "json_schema" && (error.param === "response_format" || /response_format|json_schema/i.test(error.message))) {
    return new JsonSchemaUnsupportedError(error.message);
  }
  return new PermanentError(`the LLM endpoint at ${where} refused the request (${status}): ${error.message.slice(0, 300)}`, { cause: error });
}

export function createLlmClient(endpoint: LlmEndpoint, options: { timeoutMs?: number } = {}): LlmClient {
  let sdk: Promise<OpenAI> | undefined;
  const client = () =>
    (sdk ??= loadSdk().then(
      ({ default: SDK }) =>
        new SDK({
          baseURL: endpoint.baseUrl,
          // Local servers (Ollama, vLLM) take no key, but the SDK insists on one.
          apiKey: endpoint.apiKey ?? "none",
          maxRetries: 0,
          timeout: options.timeoutMs ?? 120_000,
        }),
    ));
  return {
    baseUrl: endpoint.baseUrl,
    async chat(call, { signal, idempotencyKey }) {
      const responseFormat =
        call.responseFormat?.type === "json_schema"
          ? { type: "json_schema" as const, json_schema: { name: call.responseFormat.name, schema: call.responseFormat.schema, strict: false } }
          : call.responseFormat;
      let completion: OpenAI.ChatCompletion;
      try {
        completion = await (await client()).chat.completions.create(
          {
            model: call.model,
            messages: call.messages,
            ...(call.temperature !== undefined ? { temperature: call.temperature } : {}),
            ...(call.maxTokens !== undefined ? { max_tokens: call.maxTokens } : {}),
            ...(call.seed !== undefined ? { seed: call.seed } : {}),
            ...(responseFormat ? { response_format: responseFormat } : {}),
          },
          // Harmless where unknown; some gateways drop repeats by it.
          { signal, headers: { "Idempotency-Key": idempotencyKey } },
        );
      } catch (error) {
        throw translateLlmError(error, endpoint, call);
      }
      const choice = completion.choices[0];
      if (!choice) throw new RetryableError(`the LLM endpoint at ${host(endpoint.baseUrl)} answered without a choice`);
      const toolCalls = (choice.message.tool_calls ?? []).flatMap((t) => (t.type === "function" ? [{ name: t.function.name, arguments: t.function.arguments }] : []));
      return {
        content: choice.message.content ?? null,
        toolCalls,
        finishReason: choice.finish_reason,
        model: completion.model || call.model,
        usage: {
          promptTokens: completion.usage?.prompt_tokens ?? 0,
          completionTokens: completion.usage?.completion_tokens ?? 0,
          totalTokens: completion.usage?.total_tokens ?? (completion.usage?.prompt_tokens ?? 0) + (completion.usage?.completion_tokens ?? 0),
        },
      };
    },
  };
}
