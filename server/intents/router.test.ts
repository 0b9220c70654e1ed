import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOpenAIServer, type OpenAIServer } from "../../test/support/openai-server";
import { createLlmClient } from "../../infra/llm/client";
import { useLiteEmbedder } from "../../infra/memory/embedders";
import { llmIntentClassifier } from "./llm-classifier";
import { routeIntent, type IntentForRouting, type IntentTarget } from "./router";
import { cosineSimilarity, type Neighbour } from "./vote";

const targets: IntentTarget[] = [
  { workflowId: "wf-support", label: "support", description: "problems and questions about the product" },
  { workflowId: "wf-billing", label: "billing", description: "invoices, payments and refunds" },
  { workflowId: "wf-meet", label: "scheduling", description: "booking and moving meetings" },
];

const past: { text: string; label: string }[] = [
  { text: "The export button does nothing when I click it", label: "support" },
  { text: "I can't log in, it says my password is wrong", label: "support" },
  { text: "The app crashes when I open the reports", label: "support" },
  { text: "I was charged twice, please refund one payment", label: "billing" },
  { text: "Send me the invoice for March with our VAT number", label: "billing" },
  { text: "My card expired, how do I update the payment method?", label: "billing" },
  { text: "Can we book a call next Tuesday afternoon?", label: "scheduling" },
  { text: "Please move our meeting from Friday to Monday", label: "scheduling" },
  { text: "What times are you free for a chat this week?", label: "scheduling" },
];

const intent = (text: string, fields: Record<string, unknown> = {}): IntentForRouting => ({ source: "email", text, subject: "contact:ada@example.com", fields });

describe("routeIntent", () => {
  let llm: OpenAIServer;
  const embedder = useLiteEmbedder();
  let memory: { label: string; vector: number[] }[] = [];
  const nearest = async (i: IntentForRouting): Promise<Neighbour[]> => {
    const [vector] = await embedder.embed([i.text]);
    return memory.map((m, index) => ({ id: `m${index}`, label: m.label, similarity: cosineSimilarity(vector!, m.vector) }));
  };

  beforeAll(async () => {
    llm = await startOpenAIServer();
    const vectors = await embedder.embed(past.map((p) => p.text));
    memory = past.map((p, i) => ({ label: p.label, vector: vectors[i]! }));
  });
  afterAll(() => llm.close());

  it("takes the first matching operator rule before anything else, and says which", async () => {
    const decision = await routeIntent(intent("Invoice 12 is wrong", { plan: "enterprise" }), {
      targets,
      rules: [
        { id: "vip", when: "fields.plan = 'enterprise'", label: "support" },
        { id: "invoices", when: "$contains($lowercase(text), 'invoice')", label: "billing" },
      ],
      nearest,
      threshold: 0.6,
    });
    expect(decision).toMatchObject({ kind: "routed", via: "rule", ruleId: "vip", label: "support", workflowId: "wf-support", confidence: 1 });
  });

  it("skips a rule that fails or names a label no workflow accepts, and records why", async () => {
    const decision = await routeIntent(intent("Please refund my last payment"), {
      targets,
      rules: [
        { id: "broken", when: "$notAFunction(text)", label: "support" },
        { id: "gone", when: "true", label: "newsletter" },
      ],
      nearest,
      threshold: 0.5,
    });
    expect(decision.kind).toBe("routed");
    expect(decision.skipped.join("\n")).toMatch(/rule broken: .*\n.*rule gone: no published workflow accepts intents labelled 'newsletter'/);
  });

  it("asks the LLM for one of the accepting workflows' labels", async () => {
    llm.reset();
    llm.enqueue({ content: JSON.stringify({ label: "billing", confidence: 0.92, reason: "asks about a refund" }) });
    const classify = llmIntentClassifier(createLlmClient({ baseUrl: llm.baseURL, apiKey: undefined }), "keel-chat");
    const decision = await routeIntent(intent("Where is my money back?"), { targets, rules: [], classify, nearest, threshold: 0.6 });
    expect(decision).toMatchObject({ kind: "routed", via: "llm", label: "billing", workflowId: "wf-billing", confidence: 0.92 });
    const request = llm.chatRequests()[0]!.body as { response_format: { json_schema: { schema: { properties: { label: { enum: string[] } } } } } };
    expect(request.response_format.json_schema.schema.properties.label.enum).toEqual(["support", "billing", "scheduling"]);
  });

  it("falls back to the nearest past intents when the LLM endpoint fails, and records the failure", async () => {
    llm.reset();
    llm.failNext({ fail: "server_error" }, { fail: "server_error" }, { fail: "server_error" });
    const classify = llmIntentClassifier(createLlmClient({ baseUrl: llm.baseURL, apiKey: undefined }), "keel-chat");
    const decision = await routeIntent(intent("Could we reschedule our call to Thursday?"), { targets, rules: [], classify, nearest, threshold: 0.5 });
    expect(decision).toMatchObject({ kind: "routed", via: "examples", label: "scheduling", workflowId: "wf-meet" });
    expect(decision.skipped[0]).toMatch(/^llm: /);
    if (decision.kind === "routed") expect(decision.neighbours![0]!.label).toBe("scheduling");
  });

  it("uses memory alone without an LLM endpoint", async () => {
    const decision = await routeIntent(intent("I got billed two times this month"), { targets, rules: [], nearest, threshold: 0.5 });
    expect(decision).toMatchObject({ kind: "routed", via: "examples", label: "billing" });
    expect(decision.kind === "routed" && decision.reason).toMatch(/most similar past intents went to 'billing'/);
  });

  it("sends an intent below the threshold to triage with its candidates", async () => {
    llm.reset();
    llm.enqueue({ content: JSON.stringify({ label: "support", confidence: 0.3, reason: "unclear" }) });
    const classify = llmIntentClassifier(createLlmClient({ baseUrl: llm.baseURL, apiKey: undefined }), "keel-chat");
    const decision = await routeIntent(intent("hello?"), { targets, rules: [], classify, nearest, threshold: 0.99 });
    expect(decision.kind).toBe("triage");
    if (decision.kind !== "triage") return;
    expect(decision.candidates.map((c) => c.via)).toEqual(["llm", "examples"]);
    expect(decision.reason).toMatch(/below the 99 % threshold/);
  });

  it("triages when nothing can decide", async () => {
    const decision = await routeIntent(intent("anything"), { targets, rules: [], threshold: 0.5 });
    expect(decision).toMatchObject({ kind: "triage", candidates: [] });
    expect((await routeIntent(intent("anything"), { targets: [], rules: [], threshold: 0.5 })).reason).toBe("no published workflow accepts intents");
  });
});
