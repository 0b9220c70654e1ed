
// "Test connection" on the Settings page: lists the endpoint's models through the SDK and turns
// what goes wrong into one sentence naming the field to fix. The key is never put in a message.

export type ConnectionResult =
  | { ok: true; host: string; models: string[] }
  | { ok: false; host: string; field: "baseUrl" | "apiKey"; code: "unauthorized" | "not_found" | "unknown_host" | "refused" | "timeout" | "failed"; message: string };

const TEST_TIMEOUT_MS = 10_000;

function causeCode(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

export async function testLlmConnection(endpoint: { baseUrl: string; apiKey: string | undefined }): Promise<ConnectionResult> {
  const host = new URL(endpoint.baseUrl).host;
  // Loaded here, not with the module: the settings service lives in processes that never test a connection.
  const { default: OpenAI } = await import("openai");
  const sdk = new OpenAI({ baseURL: endpoint.baseUrl, apiKey: endpoint.apiKey ?? "none", maxRetries: 0, timeout: TEST_TIMEOUT_MS });
  try {
    const page = await sdk.models.list();
    return { ok: true, host, models: page.data.map((m) => m.id).slice(0, 50) };
  } catch (error) {
    if (error instanceof OpenAI.APIConnectionTimeoutError) return { ok: false, host, field: "baseUrl", code: "timeout", message: `baseUrl: ${host} did not answer within ${TEST_TIMEOUT_MS / 1000} s` };
    if (error instanceof OpenAI.APIConnectionError) {
      const code = causeCode(error);
      if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { ok: false, host, field: "baseUrl", code: "unknown_host", message: `baseUrl: unknown host '${new URL(endpoint.baseUrl).hostname}'` };
      if (code === "ECONNREFUSED") return { ok: false, host, field: "baseUrl", code: "refused", message: `baseUrl: ${host} refused the connection (is the server running?)` };
      return { ok: false, host, field: "baseUrl", code: "failed", message: `baseUrl: could not reach ${host}${code ? ` (${code})` : ""}` };
    }
    if (error instanceof OpenAI.APIError) {
      if (error.status === 401 || error.status === 403)
        return { ok: false, host, field: "apiKey", code: "unauthorized", message: `apiKey: ${host} refused the API key (${error.status})` };
      if (error.status === 404)
        return { ok: false, host, field: "baseUrl", code: "not_found", message: `baseUrl: ${host} has no models API at this URL (404); it usually ends in /v1` };
      return { ok: false, host, field: "baseUrl", code: "failed", message: `baseUrl: ${host} answered ${error.status ?? "an error"}` };
    }
    return { ok: false, host, field: "baseUrl", code: "failed", message: `baseUrl: ${error instanceof Error ? error.message.slice(0, 200) : "the test failed"}` };
  }
}
