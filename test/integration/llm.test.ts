import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";
import { snapshotTables } from "../support/table-snapshot";

const API_KEY = "sk-keel-llm-test-4f9a1c2b7d";

const CONTACT_SCHEMA = {
  type: "object",
  properties: {
    customer: { type: "object", properties: { name: { type: "string" }, email: { type: "string" } }, required: ["name", "email"] },
    amount: { type: "number" },
  },
  required: ["customer", "amount"],
};

/** start → one LLM node → done. */
function single(type: string, config: Record<string, unknown>): Graph {
  return {
    schemaVersion: 1,
    nodes: [n("start", "trigger.manual"), n("ask", type, config), n("done", "flow.end")],
    edges: [e("e1", "start", "ask"), e("e2", "ask", "done")],
  };
}

describe.each(databaseKinds())("LLM nodes against an OpenAI-compatible server, on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let server: OpenAIServer;
  let now = new Date("2026-11-30T12:00:00Z");
  let worker: Worker;
  let endpoint: { baseUrl: string; apiKey: string };
  let seq = 0;

  beforeAll(async () => {
    server = await startOpenAIServer({ apiKey: API_KEY });
    endpoint = { baseUrl: server.baseURL, apiKey: API_KEY };
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-llm-")), DATABASE_URL: env.scratch.target.url, OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: API_KEY });
    services = servicesFor(config, env.database);
  });
  afterAll(async () => {
    await server.close();
    await env.dispose();
  });
  beforeEach(() => {
    server.reset();
    worker = new Worker({ ...runtimeDeps(env.database, { now: () => now, openai: endpoint }), random: () => 0 }, { id: `llm-${kind.name}`, leaseMs: 60_000 });
  });

  async function publish(graph: Graph) {
    const wf = await services.workflows.create({ name: `LLM ${++seq}`, graph });
    await services.publishing.publish({ id: wf.id });
    return wf.id;
  }
  async function runOnce(graph: Graph, input: unknown = {}) {
    const run = await services.runs.start({ workflow: await publish(graph), input });
    await worker.drain();
    return { id: run.id, run: await services.runs.get(run.id) };
  }
  const outputOf = async (runId: string, nodeId = "ask") => {
    const effect = await env.database.db.effect.findUniqueOrThrow({ where: { key: `${runId}:${nodeId}:1` } });
    return (effect.result as { port: string; output: Record<string, unknown> }).output;
  };
  const deadLetter = (runId: string) => env.database.db.deadLetter.findFirstOrThrow({ where: { runId } });
  const bodyOf = (i: number) => server.chatRequests()[i]?.body as { messages: { role: string; content: string }[]; response_format?: { type: string; json_schema?: { schema: unknown } }; temperature?: number; model: string };

  it("chat: renders the prompt, sends the key and the step's idempotency key, and outputs text, model and usage", async () => {
    server.enqueue({ content: "Dear Ada, thanks for writing." });
    const { id, run } = await runOnce(single("llm.chat", { model: "keel-chat", system: "You write to {{ input.name }}.", prompt: "Reply to: {{ input.message }}", temperature: 0.3, maxTokens: 200 }), {
      name: "Ada",
      message: "Where is my order?",
    });
    expect(run.status).toBe("succeeded");
    const [request] = server.chatRequests();
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers["idempotency-key"]).toBe(`${id}:ask:1`);
    expect(request?.body).toMatchObject({
      model: "keel-chat",
      temperature: 0.3,
      max_tokens: 200,
      messages: [
        { role: "system", content: "You write to Ada." },
        { role: "user", content: "Reply to: Where is my order?" },
      ],
    });
    const output = await outputOf(id);
    expect(output).toMatchObject({ text: "Dear Ada, thanks for writing.", model: "keel-chat", finishReason: "stop", usage: { completionTokens: 7 } });
    expect((output.usage as { totalTokens: number }).totalTokens).toBeGreaterThan(7);
  });

  it("chat in JSON mode asks for json_object and outputs the parsed answer", async () => {
    server.enqueue({ content: '{"priority": "high", "tags": ["order"]}' });
    const { id, run } = await runOnce(single("llm.chat", { model: "gpt-4o-mini", prompt: "Rate: {{ input.message }}", json: true }), { message: "URGENT" });
    expect(run.status).toBe("succeeded");
    expect(bodyOf(0).response_format).toEqual({ type: "json_object" });
    expect(bodyOf(0).messages[0]?.content).toMatch(/JSON/);
    expect(await outputOf(id)).toMatchObject({ json: { priority: "high", tags: ["order"] }, text: '{"priority": "high", "tags": ["order"]}' });
  });

  it("extract: asks with json_schema and outputs data that satisfies the schema", async () => {
    server.enqueue({ content: JSON.stringify({ customer: { name: "Ada", email: "ada@example.test" }, amount: 120 }) });
    const { id, run } = await runOnce(single("llm.extract", { model: "gpt-4o-mini", input: "{{ input.mail }}", schema: CONTACT_SCHEMA }), { mail: "Ada (ada@example.test) owes 120." });
    expect(run.status).toBe("succeeded");
    expect(bodyOf(0).response_format).toMatchObject({ type: "json_schema", json_schema: { schema: CONTACT_SCHEMA } });
    expect(bodyOf(0).temperature).toBe(0);
    expect(await outputOf(id)).toMatchObject({ data: { customer: { name: "Ada", email: "ada@example.test" }, amount: 120 }, attempts: 1 });
  });

  it("extract: an invalid answer is sent back once with the failing paths, and the repaired answer is used", async () => {
    server.enqueue({ content: JSON.stringify({ customer: { name: "Ada" }, amount: "120" }) }, { content: JSON.stringify({ customer: { name: "Ada", email: "ada@example.test" }, amount: 120 }) });
    const { id, run } = await runOnce(single("llm.extract", { model: "gpt-4o-mini", input: "{{ input.mail }}", schema: CONTACT_SCHEMA }), { mail: "Ada owes 120" });
    expect(run.status).toBe("succeeded");
    const second = bodyOf(1);
    expect(second.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(second.messages[3]?.content).toContain("customer.email: is required");
    expect(second.messages[3]?.content).toContain("amount: type");
    // A repair is another request: it must not carry the first one's idempotency key.
    expect(server.chatRequests().map((r) => r.headers["idempotency-key"])).toEqual([`${id}:ask:1`, `${id}:ask:1:2`]);
    const output = await outputOf(id);
    expect(output).toMatchObject({ data: { customer: { email: "ada@example.test" } }, attempts: 2 });
    const calls = (output.provenance as { calls: { usage: { totalTokens: number } }[] }).calls;
    expect((output.usage as { totalTokens: number }).totalTokens).toBe(calls[0]!.usage.totalTokens + calls[1]!.usage.totalTokens);
  });

  it("extract: invalid twice fails for good into dead letters, naming the failing paths", async () => {
    server.enqueue({ content: JSON.stringify({ amount: 1 }) }, { content: "not json at all" });
    const { id, run } = await runOnce(single("llm.extract", { model: "gpt-4o-mini", input: "x", schema: CONTACT_SCHEMA }));
    expect(run.status).toBe("dead");
    expect(server.chatRequests()).toHaveLength(2);
    const letter = await deadLetter(id);
    expect(letter.packet).toMatchObject({ attempts: [{ attempt: 1, error: { kind: "permanent", message: "output: the model's answer was invalid twice; failing paths: (answer): is not valid JSON" } }] });

    server.reset();
    server.enqueue({ content: JSON.stringify({ amount: 1 }) }, { content: JSON.stringify({ customer: {}, amount: 2 }) });
    const again = await runOnce(single("llm.extract", { model: "gpt-4o-mini", input: "x", schema: CONTACT_SCHEMA }));
    expect(again.run.status).toBe("dead");
    expect(JSON.stringify((await deadLetter(again.id)).packet)).toContain("failing paths: customer.name: is required; customer.email: is required");
  });

  it("extract falls back to json_object where the server refuses json_schema", async () => {
    const old = await startOpenAIServer({ supportsJsonSchema: false });
    try {
      old.enqueue({ content: JSON.stringify({ customer: { name: "Bo", email: "bo@example.test" }, amount: 5 }) });
      const oldWorker = new Worker({ ...runtimeDeps(env.database, { now: () => now, openai: { baseUrl: old.baseURL, apiKey: undefined } }), random: () => 0 }, { id: "old-server" });
      const run = await services.runs.start({ workflow: await publish(single("llm.extract", { model: "gpt-4o-mini", input: "x", schema: CONTACT_SCHEMA })) });
      await oldWorker.drain();
      expect((await services.runs.get(run.id)).status).toBe("succeeded");
      expect(old.chatRequests().map((r) => [r.status, (r.body as { response_format: { type: string } }).response_format.type])).toEqual([
        [400, "json_schema"],
        [200, "json_object"],
      ]);
      // The schema still reaches the model, in the instructions.
      expect((old.chatRequests()[1]?.body as { messages: { content: string }[] }).messages[0]?.content).toContain('"required":["customer","amount"]');
      expect(await outputOf(run.id)).toMatchObject({ data: { amount: 5 } });
    } finally {
      await old.close();
    }
  });

  it("classify: the answer's label picks the output port, with the model's confidence", async () => {
    server.enqueue({ content: JSON.stringify({ label: "bug", confidence: 0.82 }) });
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("ask", "llm.classify", { model: "gpt-4o-mini", text: "{{ input.message }}", labels: [{ label: "billing", description: "money" }, "bug", "other"] }),
        n("money", "flow.end"),
        n("bugs", "flow.end"),
        n("rest", "flow.end"),
      ],
      edges: [e("e1", "start", "ask"), e("e2", "ask", "money", "billing"), e("e3", "ask", "bugs", "bug"), e("e4", "ask", "rest", "other")],
    };
    const { id, run } = await runOnce(graph, { message: "The export button crashes" });
    expect(run.status).toBe("succeeded");
    expect((await services.runs.events(id)).map((ev) => `${ev.type} ${ev.nodeId ?? ""}`)).toContain("run.succeeded bugs");
    expect(await outputOf(id)).toMatchObject({ label: "bug", confidence: 0.82 });
    const body = bodyOf(0);
    expect(body.response_format?.json_schema?.schema).toMatchObject({ properties: { label: { enum: ["billing", "bug", "other"] } } });
    expect(body.messages[0]?.content).toContain("- billing: money");
    expect(body.messages[1]?.content).toBe("The export button crashes");

    // A label outside the set is asked again, then fails: the port is always one of the labels.
    server.enqueue({ content: JSON.stringify({ label: "spam", confidence: 1 }) }, { content: JSON.stringify({ label: "spam", confidence: 1 }) });
    const outside = await runOnce(graph, { message: "buy now" });
    expect(outside.run.status).toBe("dead");
    expect(JSON.stringify((await deadLetter(outside.id)).packet)).toContain("failing paths: label:");
  });

  it("a tool call where text was expected: chat fails for good saying so; extract asks again", async () => {
    server.enqueue({ toolCalls: [{ name: "lookup_order", arguments: { id: 7 } }] });
    const chat = await runOnce(single("llm.chat", { model: "gpt-4o-mini", prompt: "hi" }));
    expect(chat.run.status).toBe("dead");
    expect((await deadLetter(chat.id)).packet).toMatchObject({ likelyCause: expect.stringContaining("the model asked to call 'lookup_order' instead of answering; this node offers no tools") });

    server.enqueue({ toolCalls: [{ name: "lookup_order", arguments: { id: 7 } }] }, { content: JSON.stringify({ customer: { name: "A", email: "a@b.c" }, amount: 1 }) });
    const extract = await runOnce(single("llm.extract", { model: "gpt-4o-mini", input: "x", schema: CONTACT_SCHEMA }));
    expect(extract.run.status).toBe("succeeded");
    expect(bodyOf(2).messages.at(-1)?.content).toContain("asked to call 'lookup_order'");
  });

  it("a refused key dead-letters as configuration naming OPENAI_API_KEY; once configured, retrying the dead letter succeeds", async () => {
    const wrongKey = new Worker({ ...runtimeDeps(env.database, { now: () => now, openai: { baseUrl: server.baseURL, apiKey: "sk-not-the-right-one" } }), random: () => 0 }, { id: "wrong-key" });
    const run = await services.runs.start({ workflow: await publish(single("llm.chat", { model: "gpt-4o-mini", prompt: "hello" })) });
    await wrongKey.drain();
    expect((await services.runs.get(run.id)).status).toBe("dead");
    expect(server.chatRequests()).toHaveLength(1);
    const letter = await deadLetter(run.id);
    expect(letter.packet).toMatchObject({
      attempts: [{ attempt: 1, error: { kind: "permanent", name: "ConfigurationError", message: expect.stringMatching(/refused the API key \(401\): set a key it accepts in Settings → LLM \(or OPENAI_API_KEY\), then retry the step from Dead letters$/) } }],
    });

    await services.deadLetters.retry(letter.id);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    expect(await outputOf(run.id)).toMatchObject({ text: "hello" });
  });

  it("an unknown model and a wrong base URL are configuration errors that say what to set", async () => {
    const model = await runOnce(single("llm.chat", { model: "no-such-model", prompt: "x" }));
    expect((await deadLetter(model.id)).packet).toMatchObject({ likelyCause: expect.stringContaining("model: the LLM endpoint at 127.0.0.1:") });
    expect((await deadLetter(model.id)).packet).toMatchObject({ likelyCause: expect.stringContaining("has no model 'no-such-model' (404)") });

    const wrongPath = new Worker({ ...runtimeDeps(env.database, { now: () => now, openai: { baseUrl: server.baseURL.replace(/\/v1$/, "/api"), apiKey: API_KEY } }), random: () => 0 }, { id: "wrong-path" });
    const run = await services.runs.start({ workflow: await publish(single("llm.chat", { model: "gpt-4o-mini", prompt: "x" })) });
    await wrongPath.drain();
    expect((await deadLetter(run.id)).packet).toMatchObject({ likelyCause: expect.stringContaining("has no chat completions API (404): check the base URL in Settings → LLM or OPENAI_BASE_URL") });
  });

  it("with no endpoint configured the step waits in dead letters with what to configure", async () => {
    const unconfigured = new Worker({ ...runtimeDeps(env.database, { now: () => now }), random: () => 0 }, { id: "no-endpoint" });
    const graph = single("llm.classify", { model: "gpt-4o-mini", text: "x", labels: ["a", "b"] });
    graph.edges[1]!.sourcePort = "a";
    const run = await services.runs.start({ workflow: await publish(graph) });
    await unconfigured.drain();
    expect((await services.runs.get(run.id)).status).toBe("dead");
    expect((await deadLetter(run.id)).packet).toMatchObject({
      attempts: [{ error: { name: "ConfigurationError", message: expect.stringMatching(/^no LLM endpoint is configured: set an OpenAI-compatible endpoint .* in Settings → LLM \(or OPENAI_BASE_URL and OPENAI_API_KEY\)/) } }],
    });
    expect(server.requests).toHaveLength(0);
  });

  it("429 is retried no sooner than Retry-After, then succeeds; 500, hangs and refused connections are retried too", async () => {
    server.enqueue({ fail: "rate_limited", retryAfterSeconds: 30 }, { content: "after the wait" });
    const run = await services.runs.start({ workflow: await publish(single("llm.chat", { model: "gpt-4o-mini", prompt: "x" })) });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("sleeping");
    const scheduled = (await services.runs.events(run.id)).find((ev) => ev.type === "node.retry_scheduled");
    // Backoff alone would be 1 s here (random() = 0); Retry-After asks for 30 s.
    expect(scheduled?.payload).toMatchObject({ attempt: 2, delayMs: 30_000 });
    now = new Date(now.getTime() + 29_000);
    await worker.drain();
    expect(server.chatRequests()).toHaveLength(1);
    now = new Date(now.getTime() + 1_001);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    expect(await outputOf(run.id)).toMatchObject({ text: "after the wait" });

    server.reset();
    server.enqueue({ fail: "server_error" }, { fail: "hang" });
    const flaky = new Worker({ ...runtimeDeps(env.database, { now: () => now, openai: endpoint, llmTimeoutMs: 300 }), random: () => 0 }, { id: "flaky" });
    const second = await services.runs.start({ workflow: await publish(single("llm.chat", { model: "gpt-4o-mini", prompt: "steady" })) });
    for (let i = 0; i < 3; i++) {
      await flaky.drain();
      now = new Date(now.getTime() + 10 * 60_000);
    }
    expect((await services.runs.get(second.id)).status).toBe("succeeded");
    const failures = (await services.runs.events(second.id)).filter((ev) => ev.type === "node.failed").map((ev) => (ev.payload as { error: { kind: string; message: string } }).error);
    expect(failures.map((f) => f.kind)).toEqual(["retryable", "retryable"]);
    expect(failures[0]?.message).toMatch(/answered 500$/);
    expect(failures[1]?.message).toMatch(/did not answer in time$/);

    const gone = await startOpenAIServer();
    const goneUrl = gone.baseURL;
    await gone.close();
    const refused = new Worker({ ...runtimeDeps(env.database, { now: () => now, openai: { baseUrl: goneUrl, apiKey: undefined } }), random: () => 0 }, { id: "refused" });
    const third = await services.runs.start({ workflow: await publish(single("llm.chat", { model: "gpt-4o-mini", prompt: "x" })) });
    await refused.drain();
    expect((await services.runs.get(third.id)).status).toBe("sleeping");
    const refusal = (await services.runs.events(third.id)).find((ev) => ev.type === "node.failed")?.payload as { error: { kind: string; message: string } };
    expect(refusal.error).toMatchObject({ kind: "retryable", message: expect.stringMatching(/^could not reach the LLM endpoint at 127\.0\.0\.1:\d+: connection refused$/) });
    await services.runs.control({ id: third.id, action: "cancel" });
  });

  it("costs tokens and price-table units per run and per workflow; the default model comes from settings", async () => {
    await services.settings.saveLlm({ defaultModel: "keel-chat", prices: { "keel-chat": { input: 2, output: 10 } } }, "operator");
    server.setResponder(() => ({ content: "four words of answer" }));
    const id = await publish(single("llm.chat", { prompt: "price me" }));
    const runs = [await services.runs.start({ workflow: id }), await services.runs.start({ workflow: id })];
    await worker.drain();
    expect(server.chatRequests().map((r) => (r.body as { model: string }).model)).toEqual(["keel-chat", "keel-chat"]);
    const usage = (await outputOf(runs[0]!.id)).usage as { promptTokens: number; completionTokens: number; totalTokens: number };
    expect(usage.completionTokens).toBe(4);
    const units = (usage.promptTokens * 2 + usage.completionTokens * 10) / 1_000_000;
    for (const r of runs) {
      const row = await services.runs.get(r.id);
      expect(row.costTokens).toBe(usage.totalTokens);
      expect(row.costUnits).toBeCloseTo(units, 12);
    }
    const perWorkflow = (await services.runs.costByWorkflow()).find((c) => c.workflowId === id);
    expect(perWorkflow?.tokens).toBe(2 * usage.totalTokens);
    expect(perWorkflow?.units).toBeCloseTo(2 * units, 12);
    await services.settings.saveLlm({ prices: {} }, "operator");
  });

  it("stores provenance (messages, model, parameters, raw answer) with the step, and never the API key", async () => {
    server.enqueue({ content: "Noted." });
    const { id } = await runOnce(single("llm.chat", { model: "gpt-4o-mini", system: "Be terse.", prompt: "Note {{ input.thing }}", temperature: 0 }), { thing: "the invoice" });
    const provenance = (await outputOf(id)).provenance as { calls: unknown[] };
    expect(provenance.calls).toEqual([
      {
        messages: [
          { role: "system", content: "Be terse." },
          { role: "user", content: "Note the invoice" },
        ],
        parameters: { model: "gpt-4o-mini", temperature: 0 },
        answer: { content: "Noted.", toolCalls: [], finishReason: "stop", model: "gpt-4o-mini" },
        usage: expect.objectContaining({ completionTokens: 2 }),
      },
    ]);
    // The replay view reads outputs from the events' machine events.
    const completed = (await services.runs.events(id)).find((ev) => ev.type === "node.completed" && ev.nodeId === "ask");
    expect(JSON.stringify(completed?.payload)).toContain('"Note the invoice"');

    const tables = await snapshotTables(env.scratch.target);
    const leaks = Object.entries(tables).filter(([, rows]) => rows.some((row) => row.includes(API_KEY) || row.includes(API_KEY.slice(3))));
    expect(leaks.map(([table]) => table)).toEqual([]);
    expect(Object.values(tables).flat().join("\n")).toContain("Note the invoice");
  });

  it("refuses to publish LLM nodes when no endpoint is configured, naming the nodes and what to set", async () => {
    const bare = servicesFor(loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-llm-bare-")), DATABASE_URL: env.scratch.target.url }), env.database);
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("sum", "llm.chat", { prompt: "x" }, { label: "Summarise" }), n("pick", "llm.classify", { text: "x", labels: ["a", "b"] }), n("done", "flow.end")],
      edges: [e("e1", "start", "sum"), e("e2", "sum", "pick"), e("e3", "pick", "done", "a")],
    };
    const wf = await bare.workflows.create({ name: "Needs an LLM", graph });
    const refusal = (await bare.publishing.publish({ id: wf.id }).then(
      () => undefined,
      (error: unknown) => error,
    )) as Error & { kind: string; variable: string };
    expect(refusal).toMatchObject({ kind: "configuration", variable: "OPENAI_BASE_URL" });
    expect(refusal.message).toBe(
      "'Needs an LLM' cannot be published: 'Summarise' (llm.chat), 'pick' (llm.classify) need an LLM endpoint and none is configured: set an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio; it usually ends in /v1) in Settings → LLM (no restart needed), or OPENAI_BASE_URL and OPENAI_API_KEY, and publish again (or put the nodes behind an \"LLM available?\" branch with a path for when there is none)",
    );
    expect(await env.database.db.workflowVersion.count({ where: { workflowId: wf.id } })).toBe(0);
    // The same graph publishes where an endpoint is configured.
    await expect(services.publishing.publish({ id: wf.id })).resolves.toMatchObject({ number: 1 });
  });

  it("validates an extract node's JSON Schema at publish time, naming the field", async () => {
    const wf = await services.workflows.create({ name: "Bad schema", graph: single("llm.extract", { model: "gpt-4o-mini", input: "x", schema: { type: "object", properties: { email: { type: "text" } }, requird: ["email"] } }) });
    const problems = await services.publishing.validateDraft(wf.id);
    // Sorted: Postgres (jsonb) keeps object keys in its own order.
    expect(problems.map((p) => [p.path, p.message]).sort()).toEqual([
      ["nodes.1.config.schema.properties.email.type", "Node 'ask' (LLM extract): schema.properties.email.type must be one of object, array, string, number, integer, boolean, null (or an array of them)"],
      ["nodes.1.config.schema.requird", "Node 'ask' (LLM extract): schema.requird is not a JSON Schema keyword Keel understands (a typo?)"],
    ]);
    await expect(services.publishing.publish({ id: wf.id })).rejects.toThrow(/^'Bad schema' cannot be published: 2 problems; first: nodes\.1\.config\.schema\./);
  });

  it("saves LLM settings validated and audited, and shows the endpoint without the key", async () => {
    await expect(services.settings.saveLlm({ prices: { "gpt-4o-mini": { input: -1, output: 1 } } }, "operator")).rejects.toThrow("setting llm.prices.gpt-4o-mini.input: must not be negative");
    const saved = await services.settings.saveLlm({ defaultModel: "gpt-4o-mini", prices: { "gpt-4o-mini": { input: 0.15, output: 0.6 } } }, "operator");
    expect(saved).toEqual({ defaultModel: "gpt-4o-mini", prices: { "gpt-4o-mini": { input: 0.15, output: 0.6 } }, endpoint: { configured: true, host: new URL(server.baseURL).host, apiKey: true, source: "environment" }, stored: { baseUrl: null, apiKey: false }, environmentWins: true });
    expect(JSON.stringify(await services.settings.llm())).not.toContain(API_KEY);
    const audit = await env.database.db.auditLog.findFirstOrThrow({ where: { action: "settings.update", targetId: "llm" }, orderBy: { createdAt: "desc" } });
    expect(audit.detail).toMatchObject({ defaultModel: "gpt-4o-mini" });
    await services.settings.saveLlm({ prices: {} }, "operator");
  });
  it("names the memory items a prompt read in the step's provenance, and the replay and the approval's why show them linked to the step that wrote them", async () => {
    // A first run writes the item (no index is needed to store it): its provenance is that run's step.
    const remember: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("note", "memory.remember", { subject: "contact:ada@example.com", kind: "preference", text: "Ada prefers short answers" })],
      edges: [e("e1", "start", "note")],
    };
    const written = await runOnce(remember);
    const item = await env.database.db.memoryItem.findFirstOrThrow({ where: { runId: written.id } });
    // A routed run carries such items in input.context; the prompt reads them, not the summary.
    server.enqueue({ content: "Short answer." });
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("ask", "llm.chat", { model: "keel-chat", prompt: "Known: {{ input.context.memory.text }}. Summary: {{ input.context.summary }}" }), n("check", "human.approval", { title: "Send?" }), n("done", "flow.end")],
      edges: [e("e1", "start", "ask"), e("e2", "ask", "check"), e("e3", "check", "done", "approved")],
    };
    const context = { summary: "A customer", memory: [{ id: item.id, text: item.text, kind: item.kind, score: 0.9, runId: written.id }] };
    const { id } = await runOnce(graph, { context });
    expect(bodyOf(0).messages.at(-1)?.content).toContain("Ada prefers short answers");
    expect((await outputOf(id)).provenance).toMatchObject({ memory: [item.id] });

    const writtenAt = (await env.database.db.runEvent.findFirstOrThrow({ where: { runId: written.id, nodeId: "note", type: "node.completed" } })).seq;
    const expected = { id: item.id, kind: "preference", text: "Ada prefers short answers", subject: "contact:ada@example.com", runId: written.id, nodeId: "note", href: `/runs/${written.id}?step=${writtenAt}`, gone: false };
    expect((await services.runHistory.replay(id)).memoryUsed).toEqual([expected]);

    const approval = await env.database.db.approval.findFirstOrThrow({ where: { runId: id } });
    const why = (await services.approvals.get(approval.id)).why;
    expect(why.find((step) => step.nodeId === "ask")?.memory).toEqual([expected]);
    expect(why.find((step) => step.nodeId === "start")?.memory).toEqual([]);

    // Forgotten since: the link says so instead of vanishing.
    await env.database.db.memoryItem.delete({ where: { id: item.id } });
    expect((await services.runHistory.replay(id)).memoryUsed).toEqual([expect.objectContaining({ id: item.id, gone: true, href: null })]);
  });
});
