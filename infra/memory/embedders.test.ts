import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError, PermanentError, RetryableError } from "../../engine/errors";
import { embedText, startOpenAIServer, type OpenAIServer } from "../../test/support/openai-server";
import { cosine, openaiEmbedder, useLiteEmbedder } from "./embedders";

describe("the built-in offline embedder", () => {
  it("gives 512 deterministic dimensions, in order, and puts related sentences closer", async () => {
    const embedder = useLiteEmbedder(2);
    const texts = ["The invoice was paid late.", "Payment arrived after the due date.", "We went hiking in the Alps."];
    const [a, b, c] = await embedder.embed(texts);
    expect(embedder).toMatchObject({ id: "use-lite-512", dimension: 512 });
    expect(a).toHaveLength(512);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!));
    // Batches of 2 give the same vectors as one call per text.
    expect((await embedder.embed([texts[2]!]))[0]!.map((x) => x.toFixed(5))).toEqual(c!.map((x) => x.toFixed(5)));
    expect(await embedder.embed([])).toEqual([]);
  });
});

describe("the OpenAI-compatible embedder", () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({ apiKey: "sk-embed", embeddingDimensions: 32 });
  });
  afterAll(async () => {
    await server.close();
  });
  const spec = (over: Partial<Parameters<typeof openaiEmbedder>[0]> = {}) =>
    ({ kind: "openai", baseUrl: server.baseURL, apiKey: "sk-embed", model: "keel-embed", dimension: 32, requestDimensions: false, ...over }) as const;

  it("decodes the vectors the SDK asked for (base64 by default), in input order, batching", async () => {
    server.reset();
    const embedder = openaiEmbedder(spec(), 2);
    const texts = ["alpha beta", "gamma", "delta epsilon", "zeta"];
    const vectors = await embedder.embed(texts);
    expect(embedder.id).toBe("openai:keel-embed:32");
    vectors.forEach((v, i) => expect(v.map((x) => x.toFixed(4))).toEqual(embedText(texts[i]!, 32).map((x) => x.toFixed(4))));
    expect(server.embeddingRequests()).toHaveLength(2);
    expect(server.embeddingRequests()[0]!.body).toMatchObject({ model: "keel-embed", encoding_format: "base64" });
  });

  it("sends `dimensions` only when configured, and refuses vectors of another length naming the variable", async () => {
    server.reset();
    expect((await openaiEmbedder(spec({ dimension: 16, requestDimensions: true })).embed(["x"]))[0]).toHaveLength(16);
    expect(server.embeddingRequests()[0]!.body).toMatchObject({ dimensions: 16 });
    const wrong = openaiEmbedder(spec({ dimension: 1536 }));
    await expect(wrong.embed(["x"])).rejects.toThrow("KEEL_EMBEDDING_DIMENSIONS: the model 'keel-embed' returned 32-dimensional vectors, not 1536");
    await expect(wrong.embed(["x"])).rejects.toBeInstanceOf(ConfigurationError);
  });

  it("classifies failures: rate limits and server errors retry, a refused key or model is configuration", async () => {
    const embedder = openaiEmbedder(spec());
    server.failNext({ fail: "rate_limited" });
    await expect(embedder.embed(["x"])).rejects.toBeInstanceOf(RetryableError);
    server.failNext({ fail: "server_error" });
    await expect(embedder.embed(["x"])).rejects.toBeInstanceOf(RetryableError);
    await expect(openaiEmbedder(spec({ apiKey: "sk-wrong" })).embed(["x"])).rejects.toBeInstanceOf(ConfigurationError);
    await expect(openaiEmbedder(spec({ model: "no-such-model" })).embed(["x"])).rejects.toThrow(/OPENAI_BASE_URL: embeddings with model 'no-such-model' were refused \(HTTP 404/);
    server.failNext({ fail: "bad_request", message: "input too long" });
    await expect(embedder.embed(["x"])).rejects.toBeInstanceOf(PermanentError);
  });
});
