import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { memoryIndexFor } from "../../server/memory/index-for";
import { seedTemplates } from "../../prisma/seed";
import { loadConfig, type KeelConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { ensureSecret } from "../../server/secret-key";
import { servicesFor, type Services } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { startChroma, type ChromaServer } from "../support/chroma-server";
import { operatorContext } from "../support/context";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { startSink } from "../support/http-sink";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";
import { startSmtpSink } from "../support/smtp-sink";

// The three starter workflows as a new operator meets them: seeded, published on a server with
// no LLM endpoint, then run with and without one against real peers (SMTP, HTTP, Chroma, an
// OpenAI-compatible server). What the operator edits at the approval is what reaches the world.

const API_KEY = "sk-keel-templates-test-5e1d";
const SMTP_PASSWORD = "smtp-templates-secret-2b9c";

describe.each(databaseKinds())("the starter workflows on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let chroma: ChromaServer;
  let llm: OpenAIServer;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let config: KeelConfig;
  let services: Services;
  /** The same database with an LLM endpoint configured. */
  let withLlm: Services;
  let now = new Date("2026-12-01T09:00:00Z");

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    [chroma, llm, smtp, sink] = await Promise.all([startChroma(), startOpenAIServer({ apiKey: API_KEY }), startSmtpSink({ user: "keel", password: SMTP_PASSWORD }), startSink()]);
    const base = { KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-templates-")), DATABASE_URL: env.scratch.target.url, CHROMA_URL: chroma.url, KEEL_EMBEDDER: "local" };
    config = loadConfig(base);
    services = servicesFor(config, env.database, { now: () => now });
    withLlm = servicesFor(loadConfig({ ...base, OPENAI_BASE_URL: llm.baseURL, OPENAI_API_KEY: API_KEY }), env.database, { now: () => now });
    await seedTemplates(env.database.db);
    await services.settings.saveLlm({ defaultModel: "gpt-4o-mini", prices: {} }, "operator");
  }, 120_000);
  afterAll(async () => {
    await Promise.all([llm?.close(), smtp?.close(), sink?.close()]);
    await chroma?.dispose();
    await env?.dispose();
  });

  /** A worker as `keel worker` makes it, with or without the LLM endpoint. */
  function worker(withEndpoint: boolean) {
    return new Worker(
      {
        ...runtimeDeps(env.database, {
          now: () => now,
          secret: ensureSecret(config.dataDir, config.secret).secret,
          memory: { index: memoryIndexFor(config) },
          egressAllow: [`127.0.0.1:${sink.port}`],
          ...(withEndpoint ? { openai: { baseUrl: llm.baseURL, apiKey: API_KEY } } : {}),
        }),
        random: () => 0,
      },
      { id: `templates-${kind.name}-${withEndpoint ? "llm" : "plain"}`, leaseMs: 60_000 },
    );
  }
  const status = async (runId: string) => (await services.runs.get(runId)).status;
  const pending = async (runId: string) => (await services.runs.pendingApprovals()).filter((a) => a.runId === runId);
  const mailTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));
  const effectOutput = async (runId: string, nodeId: string) =>
    ((await env.database.db.effect.findFirstOrThrow({ where: { runId, nodeId } })).result as { output: Record<string, unknown> }).output;

  it("all three publish on a server with no LLM endpoint: their LLM nodes sit behind 'LLM available?'", async () => {
    for (const slug of ["customer-onboarding", "support-triage", "content-publishing"]) {
      expect(await services.publishing.validateDraft(slug), slug).toEqual([]);
      await services.publishing.publish({ id: slug, notes: "as shipped" });
    }
    // Make the branch an ordinary if/else and the LLM node is reachable on any server: refused,
    // naming the node and what to set.
    const wf = await env.database.db.workflow.findUniqueOrThrow({ where: { slug: "content-publishing" } });
    type Doc = { nodes: { id: string; type: string; config: unknown }[]; edges: { source: string; sourcePort: string }[] };
    const graph = wf.draftGraph as Doc;
    const ports: Record<string, string> = { yes: "true", no: "false" };
    const plainIf = {
      ...graph,
      nodes: graph.nodes.map((node) => (node.id === "llmDraft" ? { ...node, type: "logic.if", config: { condition: "input.useLlm" } } : node)),
      edges: graph.edges.map((edge) => (edge.source === "llmDraft" ? { ...edge, sourcePort: ports[edge.sourcePort]! } : edge)),
    };
    const copy = await services.workflows.create({ name: "Publishing without the branch", graph: plainIf });
    expect(await services.publishing.validateDraft(copy.id)).toEqual([]);
    await expect(services.publishing.publish({ id: copy.id })).rejects.toThrow(/'Draft post \(LLM\)' \(llm\.chat\) needs an LLM endpoint and none is configured: .*"LLM available\?" branch/);
  });

  it("customer onboarding: contact, welcome email, deal, check-in after the delay, remembered; a test run skips the wait; mail goes out once an 'smtp' credential exists", async () => {
    const plain = worker(false);
    const first = await services.intents.tryWorkflow("customer-onboarding");
    await plain.drain();
    expect(await status(first.runId!)).toBe("sleeping");
    // No credential yet: the welcome email waits in the outbox, and the step says why.
    expect(await effectOutput(first.runId!, "welcome")).toMatchObject({ status: "not_sent", reason: expect.stringMatching(/no SMTP credential named 'smtp' yet: add it in Settings/) });
    now = new Date(now.getTime() + 2 * 86_400_000 + 1_000);
    await plain.drain();
    expect(await status(first.runId!)).toBe("succeeded");
    const deal = await env.database.db.deal.findFirstOrThrow({ where: { contact: { email: "ada@example.com" } } });
    expect([deal.title, deal.stage]).toEqual(["Onboarding Ada Lovelace", "onboarding"]);
    const note = await env.database.db.memoryItem.findFirstOrThrow({ where: { runId: first.runId!, nodeId: "remember" } });
    expect(note.text).toBe("Onboarded Ada Lovelace (Analytical Engines), signed up via a referral; deal 'Onboarding Ada Lovelace' opened; welcome and check-in emails not_sent.");

    // The editor is told before any run: both email steps will only reach the outbox.
    const caller = createCallerFactory(appRouter)(operatorContext(services));
    expect(await caller.outbox.undeliverable({ workflow: "customer-onboarding" })).toEqual([
      { nodeId: "welcome", label: "Welcome email", outcome: "outbox", reason: "there is no SMTP credential named 'smtp': its email stays in the outbox, not sent, until you add it in Settings" },
      { nodeId: "checkin", label: "Check-in email", outcome: "outbox", reason: "there is no SMTP credential named 'smtp': its email stays in the outbox, not sent, until you add it in Settings" },
    ]);
    await services.credentials.create({ name: "smtp", kind: "smtp", secret: { host: "127.0.0.1", port: smtp.port, secure: false, user: "keel", password: SMTP_PASSWORD, from: "Keel <ops@example.test>" } });
    expect(await caller.outbox.undeliverable({ workflow: "customer-onboarding" })).toEqual([]);
    const test = await services.intents.submit("api", { text: "Onboard Alan, test run", email: "alan@example.test", name: "Alan Turing", fields: { company: "Bletchley", source: "the website", test: true } }, { workflow: "customer-onboarding" });
    await plain.drain();
    expect(await status(test.runId!)).toBe("succeeded");
    const events = await services.runs.events(test.runId!);
    expect(events.some((event) => event.nodeId === "wait")).toBe(false);
    expect(mailTo("alan@example.test").map((m) => /Subject: (.*)/.exec(m.raw)?.[1])).toEqual(["Welcome aboard, Alan Turing", "How is it going, Alan Turing?"]);
  });

  it("support triage without an LLM: routed by a rule from the API, classified by rules, the operator writes the answer in a form, edits it at the approval, and the edited text is mailed and remembered", async () => {
    const plain = worker(false);
    await services.settings.saveIntentRouting({ threshold: 0.6, rules: [{ id: "charges", when: '$contains($lowercase(text), "charged")', label: "support" }] }, "operator");
    const api = createCallerFactory(appRouter)(operatorContext(services, { kind: "token", tokenId: "test-token" }));
    const intent = await api.intent.submit({ text: "I was charged twice for my subscription in November.", email: "grace@example.test", name: "Grace" });
    expect([intent.source, intent.via, intent.label]).toEqual(["api", "rule", "support"]);
    await plain.drain();
    expect(await status(intent.runId!)).toBe("waiting");
    expect(await effectOutput(intent.runId!, "llmClassify")).toEqual({ available: false });
    const [form] = await pending(intent.runId!);
    expect([form!.nodeId, form!.kind]).toEqual(["write", "form"]);
    await services.forms.submit({ id: form!.id, values: { text: "Sorry about that, we will refund one charge." } });
    await plain.drain();
    const [approval] = await pending(intent.runId!);
    expect([approval!.nodeId, (approval!.packet as { proposal: unknown }).proposal]).toEqual(["review", { text: "Sorry about that, we will refund one charge." }]);
    await services.runs.decide({ approvalId: approval!.id, decision: "edit", data: { text: "EDITED: the duplicate charge of November is refunded today." } });
    await plain.drain();
    expect(await status(intent.runId!)).toBe("succeeded");

    const [mail] = mailTo("grace@example.test");
    expect(mail!.raw).toContain("EDITED: the duplicate charge of November is refunded today.");
    expect(mail!.raw).not.toContain("we will refund one charge");
    const found = await services.memory.search({ query: "refund of a duplicate charge", subject: "contact:grace@example.test", kinds: ["support"], topK: 3, minScore: 0 });
    expect(found.items[0]!.text).toBe("Support request (billing): I was charged twice for my subscription in November.\nAnswer sent: EDITED: the duplicate charge of November is refunded today.");
    await services.settings.saveIntentRouting({ threshold: 0.6, rules: [] }, "operator");
  });

  it("support triage with an LLM endpoint: routed by the model, classified and drafted by it, and the edit at the approval is what is mailed", async () => {
    const smart = worker(true);
    llm.reset();
    llm.enqueue(
      { content: JSON.stringify({ label: "support", confidence: 0.95, reason: "a billing problem" }) },
      { content: JSON.stringify({ label: "billing", confidence: 0.9 }) },
      { content: "Dear Linus, the model's draft: we will look into it." },
    );
    const intent = await withLlm.intents.submit("api", { text: "My invoice for December shows the wrong VAT.", email: "linus@example.test", name: "Linus" });
    expect([intent.via, intent.label]).toEqual(["llm", "support"]);
    await smart.drain();
    const [approval] = await pending(intent.runId!);
    expect([approval!.nodeId, (approval!.packet as { proposal: unknown }).proposal]).toEqual(["review", { text: "Dear Linus, the model's draft: we will look into it." }]);
    await services.runs.decide({ approvalId: approval!.id, decision: "edit", data: { text: "EDITED BY OPERATOR: corrected invoice attached." } });
    await smart.drain();
    expect(await status(intent.runId!)).toBe("succeeded");
    const [mail] = mailTo("linus@example.test");
    expect(mail!.raw).toContain("EDITED BY OPERATOR: corrected invoice attached.");
    expect(mail!.raw).not.toContain("the model's draft");
    const memory = await env.database.db.memoryItem.findFirstOrThrow({ where: { runId: intent.runId!, nodeId: "remember" } });
    expect(memory.text).toBe("Support request (billing): My invoice for December shows the wrong VAT.\nAnswer sent: EDITED BY OPERATOR: corrected invoice attached.");
  });

  it("content publishing without and with an LLM: the edited post reaches the HTTP sink and is remembered", async () => {
    const fields = (topic: string) => ({ topic, publishUrl: `${sink.url}/posts` });
    const plain = worker(false);
    const manual = await services.intents.submit("form", { text: "Post about the spring opening hours", fields: fields("spring opening hours") }, { workflow: "content-publishing" });
    await plain.drain();
    const [form] = await pending(manual.runId!);
    expect(form!.nodeId).toBe("write");
    await services.forms.submit({ id: form!.id, values: { title: "Spring hours", body: "We open at 8 from March." } });
    await plain.drain();
    const [review] = await pending(manual.runId!);
    await services.runs.decide({ approvalId: review!.id, decision: "edit", data: { title: "Spring hours", body: "EDITED: we open at 7:30 from March." } });
    await plain.drain();
    expect(await status(manual.runId!)).toBe("succeeded");
    expect(JSON.parse(sink.calls.at(-1)!.body)).toEqual({ title: "Spring hours", body: "EDITED: we open at 7:30 from March." });

    const smart = worker(true);
    llm.reset();
    llm.enqueue({ content: "A model-written post about the booking page." });
    const drafted = await withLlm.intents.submit("form", { text: "Announce the booking page", fields: fields("the booking page") }, { workflow: "content-publishing" });
    await smart.drain();
    const [approval] = await pending(drafted.runId!);
    expect((approval!.packet as { proposal: unknown }).proposal).toEqual({ title: "the booking page", body: "A model-written post about the booking page." });
    await services.runs.decide({ approvalId: approval!.id, decision: "edit", data: { title: "Book online", body: "EDITED: book online at any hour." } });
    await smart.drain();
    expect(await status(drafted.runId!)).toBe("succeeded");
    expect(JSON.parse(sink.calls.at(-1)!.body)).toEqual({ title: "Book online", body: "EDITED: book online at any hour." });
    const remembered = await env.database.db.memoryItem.findFirstOrThrow({ where: { runId: drafted.runId!, nodeId: "remember" } });
    expect(remembered.text).toBe("Published 'Book online': EDITED: book online at any hour.");
  });
});
