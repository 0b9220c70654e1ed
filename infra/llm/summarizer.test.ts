import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigurationError } from "../../engine/errors";
import { startOpenAIServer, type OpenAIServer } from "../../test/support/openai-server";
import { createLlmClient } from "./client";
import { llmSummarizer } from "./summarizer";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: "sk-summary" });
});
afterAll(() => server.close());

describe("the LLM summarizer", () => {
  it("asks reproducibly (temperature 0, a seed, a key from the input) with the items oldest first", async () => {
    server.setResponder(() => ({ content: "  Ada pays late but always pays.  " }));
    const summarizer = llmSummarizer(createLlmClient({ baseUrl: server.baseURL, apiKey: "sk-summary" }), { model: "keel-chat" });
    const items = [
      { text: "Invoice 1 paid 20 days late", kind: "billing", at: "2026-10-01T00:00:00Z" },
      { text: "Invoice 2 paid", at: new Date("2026-11-01T00:00:00Z") },
    ];
    expect(await summarizer.summarize("contact:ada@example.test", items)).toBe("Ada pays late but always pays.");
    await summarizer.summarize("contact:ada@example.test", items);
    const [first, second] = server.chatRequests();
    expect(first?.body).toMatchObject({ model: "keel-chat", temperature: 0, seed: 0 });
    const prompt = (first?.body as { messages: { content: string }[] }).messages[1]?.content;
    expect(prompt).toBe("Subject: contact:ada@example.test\nItems (oldest first):\n- 2026-10-01T00:00:00Z [billing] Invoice 1 paid 20 days late\n- 2026-11-01T00:00:00.000Z Invoice 2 paid");
    expect(first?.headers["idempotency-key"]).toMatch(/^summary:[0-9a-f]{32}$/);
    expect(second?.headers["idempotency-key"]).toBe(first?.headers["idempotency-key"]);
  });

  it("keeps the newest items within the input limit, and fails as configuration on a refused key", async () => {
    server.reset();
    const summarizer = llmSummarizer(createLlmClient({ baseUrl: server.baseURL, apiKey: "sk-summary" }), { model: "keel-chat", maxInputChars: 40 });
    await summarizer.summarize("project:blog", [{ text: "old item that is long enough" }, { text: "newest item here" }]);
    expect((server.chatRequests()[0]?.body as { messages: { content: string }[] }).messages[1]?.content).toBe("Subject: project:blog\nItems (oldest first):\n- newest item here");

    const refused = llmSummarizer(createLlmClient({ baseUrl: server.baseURL, apiKey: "sk-wrong" }), { model: "keel-chat" });
    await expect(refused.summarize("project:blog", [{ text: "x" }])).rejects.toBeInstanceOf(ConfigurationError);
  });
});
