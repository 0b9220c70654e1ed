import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { loadConfig } from "../../server/config";
import { servicesFor, type Services } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { signWebhook } from "../../server/services/webhooks";
import { startChroma, type ChromaServer } from "../support/chroma-server";
import { operatorContext } from "../support/context";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";

const API_KEY = "sk-keel-intents-test-77aa";

/** A workflow that accepts intents labelled `label`: intent trigger → end. */
function accepting(label: string, description: string): Graph {
  return {
    schemaVersion: 1,
    nodes: [n("intent", "trigger.intent", { label, description }), n("done", "flow.end")],
    edges: [e("e1", "intent", "done")],
  };
}

describe.each(databaseKinds())("the coordinator's intents on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let chroma: ChromaServer;
  let llm: OpenAIServer;
  /** No LLM endpoint: rules, then memory examples. */
  let plain: Services;
  /** The same database with an LLM endpoint configured. */
  let withLlm: Services;
  const wf: Record<string, string> = {};

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    chroma = await startChroma();
    llm = await startOpenAIServer({ apiKey: API_KEY });
    const base = { KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-intents-")), DATABASE_URL: env.scratch.target.url, CHROMA_URL: chroma.url, KEEL_EMBEDDER: "local" };
    plain = servicesFor(loadConfig(base), env.database);
    withLlm = servicesFor(loadConfig({ ...base, OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: API_KEY }), env.database);
    for (const [label, description] of [
      ["support", "a customer needs help: something broken, a bill, an account problem"],
      ["sales", "someone wants to buy: prices, plans, quotes, demos"],
    ] as const) {
      const created = await plain.workflows.create({ name: `Desk ${label}`, graph: accepting(label, description) });
      await plain.publishing.publish({ id: created.id });
      wf[label] = created.id;
    }
    // Published without an intent trigger: never a target.
    const other = await plain.workflows.create({ name: "Not for intents", graph: { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("done", "flow.end")], edges: [e("e1", "start", "done")] } });
    await plain.publishing.publish({ id: other.id });
    wf.other = other.id;
  }, 120_000);
  afterAll(async () => {
    await llm?.close();
    await chroma?.dispose();
    await env?.dispose();
  });

  const runOf = (id: string) => env.database.db.run.findUniqueOrThrow({ where: { id } });

  it("targets are the workflows whose published version has an Intent trigger", async () => {
    expect((await plain.intents.targets()).map((t) => [t.label, t.workflowId, t.triggerNodeId])).toEqual([
      ["sales", wf.sales, "intent"],
      ["support", wf.support, "intent"],
    ]);
  });

  it("with nothing to go on, an intent waits in triage, stored with its contact; the operator's choice starts the run and becomes an example", async () => {
    const intent = await plain.intents.submit("form", { text: "Could you send me a quote for the enterprise plan with 40 seats?", email: "Grace@Example.test", name: "Grace" });
    expect([intent.status, intent.via, intent.runId, intent.subject]).toEqual(["triage", null, null, "contact:grace@example.test"]);
    expect(intent.reason).toMatch(/no rule matched, no LLM endpoint answered and no past routed intent is similar enough to vote/);
    expect((await env.database.db.contact.findUniqueOrThrow({ where: { email: "grace@example.test" } })).name).toBe("Grace");

    const queue = await plain.intents.triage();
    expect(queue.map((q) => q.id)).toEqual([intent.id]);
    // Part of the approval queue: its count (the navigation's badge) includes the request.
    expect(await plain.approvals.pendingCount()).toEqual({ pending: 0, triage: 1 });
    expect(queue[0]!.choices.map((c) => c.label)).toEqual(["sales", "support"]);

    // Not a target: refused with the field named, and the intent stays in triage.
    await expect(plain.intents.choose({ id: intent.id, workflow: wf.other! })).rejects.toThrow(/^workflow: 'Not for intents' does not accept intents/);
    const chosen = await plain.intents.choose({ id: intent.id, workflow: wf.sales! }, "operator");
    expect([chosen.status, chosen.via, chosen.workflow?.id, chosen.label, chosen.decidedBy]).toEqual(["routed", "operator", wf.sales, "sales", "operator"]);
    const run = await runOf(chosen.runId!);
    expect([run.workflowId, run.trigger, run.triggerNodeId]).toEqual([wf.sales, "intent", "intent"]);
    expect(run.input).toMatchObject({ text: intent.text, intent: { id: intent.id, source: "form" }, email: "grace@example.test", name: "Grace", subject: "contact:grace@example.test" });
    await expect(plain.intents.choose({ id: intent.id, workflow: wf.support! })).rejects.toThrow(/already routed/);
    expect((await plain.intents.forRun(chosen.runId!))?.id).toBe(intent.id);
    expect(await plain.intents.forRun("no-such-run")).toBeNull();

    const example = await env.database.db.memoryItem.findUniqueOrThrow({ where: { sourceKey: `intent:${intent.id}` } });
    expect([example.kind, example.text, example.metadata]).toEqual(["intent", intent.text, { label: "sales", workflowId: wf.sales, intentId: intent.id, via: "operator" }]);
    expect(example.indexedAt).not.toBeNull();
    expect(await plain.intents.triage()).toEqual([]);
    expect((await plain.approvals.pendingCount()).triage).toBe(0);
  });

  it("the nearest past routed intents in memory (Chroma) route a paraphrase, and the decision names them", async () => {
    const bug = await plain.intents.submit("form", { text: "The app crashes every time I upload a photo from my phone.", email: "linus@example.test" });
    await plain.intents.choose({ id: bug.id, workflow: wf.support! });

    const intent = await plain.intents.submit("api", { text: "How much would the enterprise plan cost us for about forty people?", email: "grace@example.test" });
    expect([intent.status, intent.via, intent.workflow?.id]).toEqual(["routed", "examples", wf.sales]);
    expect(intent.confidence).toBeGreaterThanOrEqual(0.6);
    expect(intent.reason).toMatch(/most similar past intents went to 'sales'/);
    const nearest = intent.evidence.neighbours![0]!;
    expect([nearest.label, nearest.text]).toEqual(["sales", "Could you send me a quote for the enterprise plan with 40 seats?"]);

    // The routed run gets the contact's memory: Grace's earlier request is recalled for it.
    const input = (await runOf(intent.runId!)).input as { context: { memory: { text: string }[] } };
    expect(input.context.memory.map((m) => m.text)).toContain("Could you send me a quote for the enterprise plan with 40 seats?");
    expect(intent.evidence.context!.memory.map((m) => m.text)).toEqual(input.context.memory.map((m) => m.text));
  });

  it("operator rules go first; a rule that does not parse is refused with its field named", async () => {
    await expect(plain.settings.saveIntentRouting({ threshold: 0.6, rules: [{ id: "refunds", when: "$contains(text, ", label: "support" }] }, "operator")).rejects.toMatchObject({
      issues: [expect.objectContaining({ path: "rules.0.when" })],
    });
    await expect(plain.settings.saveIntentRouting({ threshold: 2, rules: [] }, "operator")).rejects.toThrow(/^threshold: must be between 0 and 1/);
    await plain.settings.saveIntentRouting({ threshold: 0.6, rules: [{ id: "refunds", when: '$contains($lowercase(text), "refund")', label: "support" }] }, "operator");
    // Pricing words would vote for sales; the rule decides.
    const intent = await plain.intents.submit("api", { text: "I want a refund for the enterprise plan quote", email: "grace@example.test" });
    expect([intent.status, intent.via, intent.workflow?.id, intent.confidence, intent.evidence.ruleId]).toEqual(["routed", "rule", wf.support, 1, "refunds"]);
    await plain.settings.saveIntentRouting({ threshold: 0.6, rules: [] }, "operator");
  });

  it("with an LLM endpoint the model's label routes (constrained to the accepting workflows' labels); unsure, the intent waits", async () => {
    llm.reset();
    llm.enqueue({ content: JSON.stringify({ label: "support", confidence: 0.92, reason: "a login problem" }) });
    const intent = await withLlm.intents.submit("api", { text: "I cannot sign in since yesterday's update", email: "ada@example.test" });
    expect([intent.status, intent.via, intent.workflow?.id, intent.confidence]).toEqual(["routed", "llm", wf.support, 0.92]);
    expect(intent.reason).toMatch(/the model chose 'support' \(92 %\): a login problem/);
    const request = llm.chatRequests()[0]!.body as { response_format: { json_schema: { schema: { properties: { label: { enum: string[] } } } } }; messages: { content: string }[] };
    expect(request.response_format.json_schema.schema.properties.label.enum).toEqual(["sales", "support"]);
    expect(request.messages[0]!.content).toContain("- sales: someone wants to buy: prices, plans, quotes, demos");

    llm.enqueue({ content: JSON.stringify({ label: "sales", confidence: 0.3, reason: "hard to say" }) });
    const unsure = await withLlm.intents.submit("api", { text: "Hello? Is anyone there at all this weekend", email: "ada@example.test" });
    expect(unsure.status).toBe("triage");
    expect(unsure.evidence.candidates?.[0]).toEqual({ via: "llm", label: "sales", confidence: 0.3 });
  });

  it("intake: the signed JSON webhook and the inbound-email webhook; a repeat finds the same intent and a replayed signature is refused", async () => {
    const { secret } = await plain.intentIntake.rotateSigningSecret("operator");
    const body = JSON.stringify({ text: "The app crashes when I upload a picture", email: "margaret@example.test", name: "Margaret" });
    const ts = Math.floor(Date.now() / 1000);
    const headers = new Headers({ "content-type": "application/json", "x-keel-timestamp": String(ts), "x-keel-signature": signWebhook(secret, ts, body), "idempotency-key": "site-form-1" });
    const received = await plain.intentIntake.receiveJson(headers, new TextEncoder().encode(body));
    expect([received.source, received.contact?.name, received.duplicate]).toEqual(["webhook", "Margaret", false]);
    await expect(plain.intentIntake.receiveJson(headers, new TextEncoder().encode(body))).rejects.toThrow(/already received \(replay refused\)/);
    const wrong = new Headers({ "content-type": "application/json", "x-keel-timestamp": String(ts), "x-keel-signature": signWebhook("whsec_wrong", ts, body) });
    await expect(plain.intentIntake.receiveJson(wrong, new TextEncoder().encode(body))).rejects.toThrow(/signature does not match/);

    const message = [
      "From: Katherine Johnson <kj@example.test>",
      "To: help@keel.test",
      "Subject: App crashes on upload",
      "Message-ID: <abc-123@mail.example.test>",
      "Date: Mon, 07 Dec 2026 10:00:00 +0000",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "Every photo upload crashes the app on my phone.",
      "",
    ].join("\r\n");
    const sign = (raw: string) => {
      const t = Math.floor(Date.now() / 1000);
      return new Headers({ "content-type": "message/rfc822", "x-keel-timestamp": String(t), "x-keel-signature": signWebhook(secret, t, raw) });
    };
    const mail = await plain.intentIntake.receiveEmail(sign(message), new TextEncoder().encode(message));
    expect([mail.source, mail.contact?.email, mail.contact?.name, mail.text]).toEqual(["email", "kj@example.test", "Katherine Johnson", "App crashes on upload\n\nEvery photo upload crashes the app on my phone."]);
    const row = await env.database.db.intent.findUniqueOrThrow({ where: { id: mail.id } });
    expect([row.sourceRef, (row.raw as { message: string }).message]).toEqual(["<abc-123@mail.example.test>", message]);
    // Routed by the examples: crashing uploads went to support before.
    expect([mail.status, mail.via, mail.workflow?.id]).toEqual(["routed", "examples", wf.support]);
    // The provider delivers again (a new signature, same Message-ID): the same intent, no second run.
    const runs = await env.database.db.run.count();
    const again = await plain.intentIntake.receiveEmail(sign(`${message} `), new TextEncoder().encode(`${message} `));
    expect([again.id, again.duplicate]).toEqual([mail.id, true]);
    expect(await env.database.db.run.count()).toBe(runs);

    await expect(plain.intentIntake.receiveEmail(sign("Subject: no sender\r\n\r\nhello"), new TextEncoder().encode("Subject: no sender\r\n\r\nhello"))).rejects.toThrow(/^From: the message has no sender address/);
  });

  it("forgetting a contact's memory also forgets what their requests said, keeping where each went", async () => {
    const before = await env.database.db.intent.findMany({ where: { subject: "contact:kj@example.test" } });
    expect(before.length).toBeGreaterThan(0);
    await plain.memory.forget("contact:kj@example.test", "operator");
    const after = await env.database.db.intent.findMany({ where: { subject: "contact:kj@example.test" } });
    expect(after.map((i) => [i.text.startsWith("forgotten "), JSON.stringify(i.raw).includes("Every photo upload"), i.workflowId])).toEqual(before.map((i) => [true, false, i.workflowId]));
  });

  it("tRPC: the form's submit names bad fields, lists show where each went and why, Try it sends the sample straight to its workflow", async () => {
    const caller = createCallerFactory(appRouter)(operatorContext(plain));
    await expect(caller.intent.submit({ text: "   ", email: "not-an-address" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const submitted = await caller.intent.submit({ text: "My invoice shows the wrong amount and the app crashes on upload", email: "ada@example.test" });
    expect(submitted.source).toBe("form");
    const listed = await caller.intent.list({ limit: 100 });
    expect(listed.items[0]!.id).toBe(submitted.id);
    expect(listed.items.every((i) => i.reason.length > 0)).toBe(true);
    expect((await caller.intent.list({ status: "triage", limit: 100 })).items.every((i) => i.status === "triage")).toBe(true);

    await expect(caller.intent.tryWorkflow({ workflow: wf.support! })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/no sample request/) });
    const draft = await plain.workflows.create({
      name: "With a sample",
      graph: { schemaVersion: 1, nodes: [n("intent", "trigger.intent", { label: "sample", description: "a demo", sample: { text: "Hi from the sample", email: "sam@example.test" } }), n("done", "flow.end")], edges: [e("e1", "intent", "done")] },
    });
    await plain.publishing.publish({ id: draft.id });
    const tried = await caller.intent.tryWorkflow({ workflow: draft.id });
    expect([tried.source, tried.via, tried.workflow?.id, tried.contact?.email]).toEqual(["try", "direct", draft.id, "sam@example.test"]);
    expect((await runOf(tried.runId!)).input).toMatchObject({ text: "Hi from the sample", email: "sam@example.test" });
  });
});
