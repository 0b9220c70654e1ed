import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small OpenAI-compatible server on 127.0.0.1 speaking the real wire format, so LLM nodes and
 * embedders are tested through the real `openai` SDK. No model runs: each test scripts the
 * replies (a queue, then a responder function), and embeddings are derived from the text
 * (hashed bag of words, L2-normalised), so equal texts embed equally and shared words score
 * higher cosine similarity.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body, or undefined when there was none (or it was not JSON). */
  body: unknown;
  /** How the server answered (0 while hanging). */
  status: number;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_calls?: unknown;
  tool_call_id?: string;
}

/** The parts of a chat request a responder usually needs, plus the whole body. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream: boolean;
  tools: unknown[] | undefined;
  responseFormat: { type: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } } | undefined;
  logprobs: boolean;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

export type Failure =
  | { fail: "unauthorized" }
  | { fail: "forbidden" }
  | { fail: "model_not_found" }
  | { fail: "rate_limited"; retryAfterSeconds?: number }
  | { fail: "server_error" }
  | { fail: "bad_request"; message: string; param?: string }
  /** Never answers: the client's timeout (or close()) ends it. */
  | { fail: "hang" };

export type ChatReply =
  | { content: string; finishReason?: "stop" | "length"; logprobs?: Array<{ token: string; logprob: number }> }
  | { toolCalls: Array<{ name: string; arguments: unknown; id?: string }> }
  | Failure;

export type ChatResponder = (request: ChatRequest, index: number) => ChatReply;

export interface OpenAIServerOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Models /v1/models lists; any other model is answered with 404 model_not_found. */
  models?: string[];
  /** Embedding dimension unless the request asks for `dimensions`. */
  embeddingDimensions?: number;
  /** Some servers (older vLLM, llama.cpp) refuse `response_format: json_schema`. */
  supportsJsonSchema?: boolean;
  responder?: ChatResponder;
}

export const defaultModels = ["gpt-4o-mini", "keel-chat", "text-embedding-3-small", "keel-embed"];

/** Word-ish tokens: a deterministic stand-in for a tokenizer, good enough for usage counts. */
export function countTokens(text: string): number {
  return (text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Hashed bag of words, L2-normalised; a text without words embeds on the first axis. */
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    const hash = fnv1a(word);
    vector[hash % dimensions]! += hash & 0x80000000 ? -1 : 1;
  }
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  if (norm === 0) {
    vector[0] = 1;
    return vector;
  }
  return vector.map((x) => x / norm);
}

function float32Base64(vector: number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  vector.forEach((x, i) => view.setFloat32(i * 4, x, true));
  return Buffer.from(view.buffer).toString("base64");
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (part && typeof part === "object" && "text" in part ? String((part as { text: unknown }).text) : "")).join("");
  return "";
}

function promptTokens(messages: ChatMessage[]): number {
  // A few tokens per message for the role framing, as real tokenizers count.
  return messages.reduce((sum, m) => sum + 4 + countTokens(textOf(m.content)) + (m.tool_calls ? countTokens(JSON.stringify(m.tool_calls)) : 0), 0);
}

/** The default reply: echo the last user message (as `{ "echo": ... }` in JSON mode). */
export const echoResponder: ChatResponder = (request) => {
  const last = [...request.messages].reverse().find((m) => m.role === "user");
  const text = textOf(last?.content);
  return { content: request.responseFormat && request.responseFormat.type !== "text" ? JSON.stringify({ echo: text }) : text };
};

function errorBody(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

function maskKey(key: string): string {
  return key.length <= 8 ? "***" : `${key.slice(0, 3)}${"*".repeat(key.length - 7)}${key.slice(-4)}`;
}

function isFailure(reply: ChatReply): reply is Failure {
  return "fail" in reply;
}

export async function startOpenAIServer(options: OpenAIServerOptions = {}) {
  const requests: RecordedRequest[] = [];
  const chatQueue: ChatReply[] = [];
  const failureQueue: Failure[] = [];
  let responder: ChatResponder = options.responder ?? echoResponder;
  let chatCount = 0;
  const models = options.models ?? defaultModels;
  const dimensions = options.embeddingDimensions ?? 64;
  let completionSeq = 0;

  const sendJson = (res: ServerResponse, record: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}) => {
    record.status = status;
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json", "x-request-id": `req_${requests.length}`, ...headers });
    res.end(JSON.stringify(body));
  };

  const sendFailure = (res: ServerResponse, record: RecordedRequest, failure: Failure, model: string) => {
    switch (failure.fail) {
      case "hang":
        return;
      case "unauthorized":
        return sendJson(res, record, 401, errorBody("Incorrect API key provided. You can find your API key in your account settings.", "invalid_request_error", "invalid_api_key"));
      case "forbidden":
        return sendJson(res, record, 403, errorBody("You are not allowed to sample from this model", "invalid_request_error", "model_not_allowed"));
      case "model_not_found":
        return sendJson(res, record, 404, errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", "model_not_found"));
      case "rate_limited":
        return sendJson(res, record, 429, errorBody("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"), {
          "retry-after": String(failure.retryAfterSeconds ?? 1),
        });
      case "server_error":
        return sendJson(res, record, 500, errorBody("The server had an error while processing your request. Sorry about that!", "server_error", null));
      case "bad_request":
        return sendJson(res, record, 400, errorBody(failure.message, "invalid_request_error", null, failure.param ?? null));
    }
  };

  const chatCompletion = (res: ServerResponse, record: RecordedRequest, body: Record<string, unknown>) => {
    const model = String(body.model ?? "");
    const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [];
    const responseFormat = body.response_format as ChatRequest["responseFormat"];
    if (!models.includes(model)) return sendFailure(res, record, { fail: "model_not_found" }, model);
    if (messages.length === 0) return sendFailure(res, record, { fail: "bad_request", message: "'messages' must contain at least one message.", param: "messages" }, model);
    if (responseFormat?.type === "json_schema" && options.supportsJsonSchema === false) {
      return sendFailure(res, record, { fail: "bad_request", message: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.", param: "response_format" }, model);
    }
    const request: ChatRequest = {
      model,
      messages,
      stream: body.stream === true,
      tools: Array.isArray(body.tools) && body.tools.length > 0 ? body.tools : undefined,
      responseFormat,
      logprobs: body.logprobs === true,
      body,
      headers: record.headers,
    };
    const index = chatCount++;
    const reply = chatQueue.shift() ?? responder(request, index);
    if (isFailure(reply)) return sendFailure(res, record, reply, model);

    const id = `chatcmpl-${++completionSeq}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls =
      "toolCalls" in reply
        ? reply.toolCalls.map((call, i) => ({
            id: call.id ?? `call_${completionSeq}_${i}`,
            type: "function" as const,
            function: { name: call.name, arguments: typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments) },
          }))
        : undefined;
    const content = "content" in reply ? reply.content : null;
    const finishReason = toolCalls ? "tool_calls" : "content" in reply ? (reply.finishReason ?? "stop") : "stop";
    const completionTokens = countTokens(content ?? "") + (toolCalls ? countTokens(JSON.stringify(toolCalls)) : 0);
    const prompt = promptTokens(messages);
    const usage = { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
    const logprobs =
      request.logprobs && "content" in reply
        ? { content: (reply.logprobs ?? [{ token: reply.content, logprob: 0 }]).map((t) => ({ token: t.token, logprob: t.logprob, bytes: [...Buffer.from(t.token)], top_logprobs: [] })), refusal: null }
        : null;

    if (!request.stream) {
      return sendJson(res, record, 200, {
        id,
        object: "chat.completion",
        created,
        model,
        system_fingerprint: "fp_keel_test",
        choices: [{ index: 0, message: { role: "assistant", content, refusal: null, ...(toolCalls ? { tool_calls: toolCalls } : {}) }, logprobs, finish_reason: finishReason }],
        usage,
      });
    }

    record.status = 200;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, system_fingerprint: "fp_keel_test", choices, ...extra })}\n\n`);
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const usageField = includeUsage ? { usage: null } : {};
    chunk([{ index: 0, delta: { role: "assistant", content: toolCalls ? null : "" }, logprobs: null, finish_reason: null }], usageField);
    if (toolCalls) {
      toolCalls.forEach((call, i) => {
        chunk([{ index: 0, delta: { tool_calls: [{ index: i, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] }, logprobs: null, finish_reason: null }], usageField);
        // Arguments arrive in pieces, as real servers stream them.
        for (const piece of call.function.arguments.match(/.{1,8}/gs) ?? []) {
          chunk([{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }], usageField);
        }
      });
    } else {
      for (const piece of (content ?? "").match(/\S*\s*/g)?.filter(Boolean) ?? []) {
        chunk([{ index: 0, delta: { content: piece }, logprobs: null, finish_reason: null }], usageField);
      }
    }
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }], usageField);
    if (includeUsage) chunk([], { usage });
    res.end("data: [DONE]\n\n");
  };

  const embeddings = (res: ServerResponse, record: RecordedRequest, body: Record<string, unknown>) => {
    const model = String(body.model ?? "");
    if (!models.includes(model)) return sendFailure(res, record, { fail: "model_not_found" }, model);
    const input = typeof body.input === "string" ? [body.input] : Array.isArray(body.input) && body.input.every((x) => typeof x === "string") ? (body.input as string[]) : undefined;
    if (!input || input.length === 0) return sendFailure(res, record, { fail: "bad_request", message: "'input' must be a non-empty string or array of strings.", param: "input" }, model);
    const dims = typeof body.dimensions === "number" && body.dimensions > 0 ? body.dimensions : dimensions;
    const format = body.encoding_format ?? "float";
    if (format !== "float" && format !== "base64") return sendFailure(res, record, { fail: "bad_request", message: `Invalid encoding_format: ${String(format)}`, param: "encoding_format" }, model);
    const tokens = input.reduce((sum, text) => sum + countTokens(text), 0);
    return sendJson(res, record, 200, {
      object: "list",
      data: input.map((text, index) => {
        const vector = embedText(text, dims);
        return { object: "embedding", index, embedding: format === "base64" ? float32Base64(vector) : vector };
      }),
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  };

  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = undefined;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      const path = (req.url ?? "").split("?")[0] ?? "";
      const record: RecordedRequest = { method: req.method ?? "", path, headers, body, status: 0 };
      requests.push(record);

      if (options.apiKey !== undefined) {
        const given = /^Bearer (.+)$/.exec(headers.authorization ?? "")?.[1];
        if (given !== options.apiKey) {
          const message = given ? `Incorrect API key provided: ${maskKey(given)}. You can find your API key in your account settings.` : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).";
          return sendJson(res, record, 401, errorBody(message, "invalid_request_error", given ? "invalid_api_key" : null));
        }
      }
      const injected = failureQueue.shift();
      const model = body && typeof body === "object" && "model" in body ? String((body as { model: unknown }).model) : "";
      if (injected) return sendFailure(res, record, injected, model);

      const route = `${req.method} ${path}`;
      if (route === "GET /v1/models") {
        return sendJson(res, record, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "keel-test" })) });
      }
      if (route === "POST /v1/chat/completions" || route === "POST /v1/embeddings") {
        if (!body || typeof body !== "object" || Array.isArray(body)) {
          return sendFailure(res, record, { fail: "bad_request", message: "We could not parse the JSON body of your request." }, "");
        }
        return route === "POST /v1/embeddings" ? embeddings(res, record, body as Record<string, unknown>) : chatCompletion(res, record, body as Record<string, unknown>);
      }
      return sendJson(res, record, 404, errorBody(`Invalid URL (${req.method} ${path})`, "invalid_request_error", null));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    /** The base URL clients are configured with (OPENAI_BASE_URL), ending in /v1. */
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    chatRequests: () => requests.filter((r) => r.path === "/v1/chat/completions"),
    embeddingRequests: () => requests.filter((r) => r.path === "/v1/embeddings"),
    /** Replies for the next chat completions, in order; afterwards the responder answers. */
    enqueue(...replies: ChatReply[]) {
      chatQueue.push(...replies);
    },
    /** Failures for the next requests to any route, before routing (after the key check). */
    failNext(...failures: Failure[]) {
      failureQueue.push(...failures);
    },
    setResponder(next: ChatResponder) {
      responder = next;
    },
    /** Forget recorded requests, queued replies and failures; the responder goes back to echo. */
    reset() {
      requests.length = 0;
      chatQueue.length = 0;
      failureQueue.length = 0;
      chatCount = 0;
      responder = options.responder ?? echoResponder;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type OpenAIServer = Awaited<ReturnType<typeof startOpenAIServer>>;
