import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { embedText, startOpenAIServer, type OpenAIServer } from "./openai-server";

const apiKey = "sk-test-openai-server-key";
let server: OpenAIServer;
let client: OpenAI;

beforeAll(async () => {
  server = await startOpenAIServer({ apiKey, embeddingDimensions: 32 });
  client = new OpenAI({ baseURL: server.baseURL, apiKey, maxRetries: 0 });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function cosine(a: number[], b: number[]) {
  return a.reduce((sum, x, i) => sum + x * b[i]!, 0);
}

describe("the OpenAI-compatible test server, through the real SDK", () => {
  it("answers a chat completion with usage and records the request", async () => {
    server.enqueue({ content: "Hello there, operator." });
    const completion = await client.chat.completions.create(
      { model: "gpt-4o-mini", messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Say hello" }], temperature: 0.2 },
      { headers: { "Idempotency-Key": "run1:node1:1" } },
    );
    expect(completion.choices[0]?.message.content).toBe("Hello there, operator.");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.completion_tokens).toBe(5);
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(4);
    const [recorded] = server.chatRequests();
    expect(recorded?.headers["idempotency-key"]).toBe("run1:node1:1");
    expect(recorded?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(recorded?.body).toMatchObject({ model: "gpt-4o-mini", temperature: 0.2 });
  });

  it("echoes the last user message by default, and scripted responders see the request", async () => {
    const echoed = await client.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: "ping" }] });
    expect(echoed.choices[0]?.message.content).toBe("ping");
    server.setResponder((request, index) => ({ content: `${index}:${request.messages.length}` }));
    const scripted = await client.chat.completions.create({ model: "keel-chat", messages: [{ role: "user", content: "a" }, { role: "assistant", content: "b" }, { role: "user", content: "c" }] });
    expect(scripted.choices[0]?.message.content).toBe("1:3");
  });

  it("streams SSE chunks ending with a usage chunk when asked", async () => {
    server.enqueue({ content: "one two three four" });
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "count" }], stream: true, stream_options: { include_usage: true } });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("one two three four");
    expect(chunks).toBeGreaterThan(4);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBe(4);
  });

  it("returns tool calls, plain and streamed", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { id: { type: "string" } } } } }];
    server.enqueue({ toolCalls: [{ name: "lookup", arguments: { id: "c-42" } }] });
    const plain = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "find c-42" }], tools });
    expect(plain.choices[0]?.finish_reason).toBe("tool_calls");
    const call = plain.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ id: "c-42" });

    server.enqueue({ toolCalls: [{ name: "lookup", arguments: { id: "a-much-longer-identifier" } }] });
    const runner = client.chat.completions.stream({ model: "gpt-4o-mini", messages: [{ role: "user", content: "find" }], tools });
    const final = await runner.finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed?.type === "function" && streamed.function.name).toBe("lookup");
    expect(streamed?.type === "function" && JSON.parse(streamed.function.arguments)).toEqual({ id: "a-much-longer-identifier" });
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("answers JSON mode (json_object and json_schema) and can refuse json_schema like older servers", async () => {
    const object = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], response_format: { type: "json_object" } });
    expect(JSON.parse(object.choices[0]?.message.content ?? "")).toEqual({ echo: "hi" });
    server.enqueue({ content: JSON.stringify({ name: "Ada" }) });
    await client.chat.completions.create({
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "who" }],
      response_format: { type: "json_schema", json_schema: { name: "person", schema: { type: "object", properties: { name: { type: "string" } } }, strict: true } },
    });
    expect(server.chatRequests().at(-1)?.body).toMatchObject({ response_format: { type: "json_schema", json_schema: { name: "person" } } });

    const old = await startOpenAIServer({ supportsJsonSchema: false });
    try {
      const oldClient = new OpenAI({ baseURL: old.baseURL, apiKey: "unused", maxRetries: 0 });
      const refused = await oldClient.chat.completions
        .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }], response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("response_format");
    } finally {
      await old.close();
    }
  });

  it("returns deterministic embeddings as floats and as little-endian float32 base64 (the SDK default)", async () => {
    const floats = await client.embeddings.create({ model: "text-embedding-3-small", input: ["the invoice is overdue", "overdue invoice reminder", "lunch menu"], encoding_format: "float" });
    expect(floats.usage.prompt_tokens).toBe(9);
    const [a, b, c] = floats.data.map((d) => d.embedding);
    expect(a).toHaveLength(32);
    expect(cosine(a!, a!)).toBeCloseTo(1, 5);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!));
    expect(a).toEqual(embedText("the invoice is overdue", 32));

    // Without encoding_format the SDK asks for base64 and decodes it itself.
    const decoded = await client.embeddings.create({ model: "text-embedding-3-small", input: "the invoice is overdue" });
    expect(server.embeddingRequests().at(-1)?.body).toMatchObject({ encoding_format: "base64" });
    decoded.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(a![i]!, 6));

    const smaller = await client.embeddings.create({ model: "keel-embed", input: "x", dimensions: 8, encoding_format: "float" });
    expect(smaller.data[0]?.embedding).toHaveLength(8);
  });

  it("lists models and refuses unknown ones with model_not_found", async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toContain("gpt-4o-mini");
    const error = await client.chat.completions.create({ model: "no-such-model", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
  });

  it("checks the bearer key with OpenAI's 401 error body, never echoing the key whole", async () => {
    const wrong = new OpenAI({ baseURL: server.baseURL, apiKey: "sk-wrong-key-123456", maxRetries: 0 });
    const error = await wrong.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const auth = error as InstanceType<typeof OpenAI.AuthenticationError>;
    expect(auth.status).toBe(401);
    expect(auth.code).toBe("invalid_api_key");
    expect(auth.message).not.toContain("sk-wrong-key-123456");
    expect(auth.message).toContain("3456");
  });

  it("injects 429 with Retry-After, 500, and hangs that the client times out", async () => {
    server.failNext({ fail: "rate_limited", retryAfterSeconds: 7 });
    const limited = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("7");

    server.enqueue({ fail: "server_error" });
    const failed = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "x" }] }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.InternalServerError);

    server.failNext({ fail: "hang" });
    const hung = await client.embeddings.create({ model: "keel-embed", input: "x" }, { timeout: 200 }).catch((e: unknown) => e);
    expect(hung).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(server.requests.at(-1)?.status).toBe(0);

    // After the scripted failures the server answers normally again.
    const ok = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "fine" }] });
    expect(ok.choices[0]?.message.content).toBe("fine");
  });
});
