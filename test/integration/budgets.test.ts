import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { embedderFor, workerSummarizer } from "../../server/memory/index-for";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";

const API_KEY = "sk-keel-budget-test-7e1d";
// The ledger stamps steps with the real time, so the test's clock starts at the real time too.
const nextMidnight = () => new Date(new Date().toISOString().slice(0, 10) + "T00:00:00.000Z").getTime() + 86_400_000;

const GRAPH: Graph = {
  schemaVersion: 1,
  nodes: [n("start", "trigger.manual"), n("ask", "llm.chat", { model: "keel-chat", prompt: "Say hello to {{ input.name }}" }), n("done", "flow.end")],
  edges: [e("e1", "start", "ask"), e("e2", "ask", "done")],
};

describe.each(databaseKinds())("daily budgets on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let server: OpenAIServer;
  let now: Date;
  let worker: Worker;
  let workflowId: string;

  beforeAll(async () => {
    server = await startOpenAIServer({ apiKey: API_KEY });
  });
  afterAll(async () => {
    await server.close();
  });
  beforeEach(async () => {
    server.reset();
    now = new Date();
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-budget-")), DATABASE_URL: env.scratch.target.url, OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: API_KEY });
    services = servicesFor(config, env.database, { now: () => now });
    // One cost unit per token, so every call costs.
    await services.settings.saveLlm({ prices: { "keel-chat": { input: 1_000_000, output: 1_000_000 } } }, "test");
    worker = new Worker({ ...runtimeDeps(env.database, { now: () => now, openai: { baseUrl: server.baseURL, apiKey: API_KEY } }), random: () => 0 }, { id: `budget-${kind.name}`, leaseMs: 60_000 });
    const wf = await services.workflows.create({ name: "Greeter", graph: GRAPH });
    await services.publishing.publish({ id: wf.id });
    workflowId = wf.id;
  });
  afterEach(async () => {
    await env.dispose();
  });

  const start = async (name: string) => {
    server.enqueue({ content: `Hello ${name}!` });
    const run = await services.runs.start({ workflow: workflowId, input: { name } });
    await worker.drain();
    return services.runs.get(run.id);
  };

  it("pauses an LLM step when the workflow's cap is reached, and resumes it when the cap is raised or the day ends", async () => {
    const MIDNIGHT = new Date(nextMidnight());
    await services.budgets.set({ workflowId, dailyCap: 1 });
    const first = await start("Ada");
    expect(first.status).toBe("succeeded");
    expect(first.costUnits).toBeGreaterThan(1);
    const spent = first.costUnits;
    expect(server.chatRequests()).toHaveLength(1);

    // Over the cap: the next run stops before its LLM step, which never reaches the server.
    const held = await start("Grace");
    expect(held.status).toBe("sleeping");
    expect(held.pause).toEqual({ reason: "budget_exceeded", budget: "Greeter", detail: expect.stringContaining(`${spent.toFixed(2)} of this workflow's daily budget of 1.00`), until: MIDNIGHT.toISOString() });
    expect(server.chatRequests()).toHaveLength(1);
    expect(await env.database.db.effect.count({ where: { runId: held.id } })).toBe(0);
    const notice = await env.database.db.notification.findFirstOrThrow({ where: { kind: "budget_exceeded", runId: held.id } });
    expect(notice.title).toBe("Run held by budget: Greeter, before 'ask'");
    expect((await services.budgets.list()).caps).toEqual([{ workflowId, name: "Greeter", dailyCap: 1, spentToday: spent }]);
    // The lists say which budget holds it, not just "sleeping"; a run that finished is held by none.
    const listed = async () => new Map((await services.runHistory.list({ workflowId })).runs.map((r) => [r.id, r.heldBy]));
    expect(await listed()).toEqual(new Map([[held.id, "Greeter"], [first.id, null]]));
    expect((await services.runHistory.statuses([held.id]))[held.id]).toMatchObject({ status: "sleeping", heldBy: "Greeter" });
    expect((await services.runHistory.replay(held.id)).run.heldBy).toEqual({ budget: "Greeter", detail: held.pause!.detail, until: MIDNIGHT.toISOString() });

    // Raising the cap wakes it at once.
    expect((await services.budgets.set({ workflowId, dailyCap: 1000 })).woken).toBe(1);
    await worker.drain();
    const resumed = await services.runs.get(held.id);
    expect(resumed.status).toBe("succeeded");
    expect(resumed.pause).toBeNull();
    expect((await listed()).get(held.id)).toBeNull();
    expect(server.chatRequests()).toHaveLength(2);

    // Held again under a lower cap; this time the next day lets it go.
    await services.budgets.set({ workflowId, dailyCap: 1 });
    const tomorrow = await start("Edsger");
    expect(tomorrow.status).toBe("sleeping");
    now = new Date(MIDNIGHT.getTime() - 1000);
    await worker.drain();
    expect((await services.runs.get(tomorrow.id)).status).toBe("sleeping");
    now = new Date(MIDNIGHT.getTime() + 1000);
    await worker.drain();
    expect((await services.runs.get(tomorrow.id)).status).toBe("succeeded");
    expect(server.chatRequests()).toHaveLength(3);
  });

  it("counts Keel's own spending against the global cap, and holds paid HTTP steps like LLM steps", async () => {
    const sink = await startSink(() => ({ status: 200, body: { ok: true } }));
    await allowLoopback(env.database.db);
    const http = async (name: string, config: Record<string, unknown>) => {
      const graph: Graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/${name}`, ...config }), n("done", "flow.end")], edges: [e("e1", "start", "call"), e("e2", "call", "done")] };
      const wf = await services.workflows.create({ name, graph });
      await services.publishing.publish({ id: wf.id });
      const run = await services.runs.start({ workflow: wf.id });
      await worker.drain();
      return services.runs.get(run.id);
    };
    // A paid API call's price is its step's cost: it counts against the cap like tokens do.
    const paid = await http("paid-api", { costUnits: 2 });
    expect([paid.status, paid.costUnits]).toEqual(["succeeded", 2]);
    expect((await services.budgets.list()).totalSpentToday).toBe(2);
    await services.budgets.set({ dailyCap: 5 });
    expect((await start("Ada")).status).toBe("succeeded");
    await services.budgets.recordKeelSpend({ kind: "summary", costUnits: 5, costTokens: 5 });
    const held = await start("Grace");
    expect(held.pause?.reason).toBe("budget_exceeded");
    expect(held.pause?.budget).toBe("All of Keel");
    expect(held.pause?.detail).toContain("global daily budget of 5.00");
    // Over the cap a paid HTTP step is held before it calls; a free one still runs.
    const heldHttp = await http("paid-api-2", { costUnits: 0.5 });
    expect([heldHttp.status, heldHttp.pause?.budget]).toEqual(["sleeping", "All of Keel"]);
    expect(sink.calls.filter((c) => c.path === "/paid-api-2")).toHaveLength(0);
    expect((await http("free-api", {})).status).toBe("succeeded");
    expect(sink.calls.filter((c) => c.path === "/free-api")).toHaveLength(1);
    const budgets = await services.budgets.list();
    expect(budgets.keelSpentToday).toBe(5);
    expect(budgets.caps[0]).toMatchObject({ workflowId: null, name: "All of Keel", dailyCap: 5 });
    expect(budgets.caps[0]!.spentToday).toBeCloseTo(budgets.totalSpentToday);
    // Removing the cap lets them run.
    expect((await services.budgets.set({ dailyCap: null })).woken).toBe(2);
    await worker.drain();
    expect((await services.runs.get(held.id)).status).toBe("succeeded");
    expect((await services.runs.get(heldHttp.id)).status).toBe("succeeded");
    expect(sink.calls.filter((c) => c.path === "/paid-api-2")).toHaveLength(1);
    await sink.close();
  });

  it("records what memory summaries by the LLM spend under Keel's own line", async () => {
    await services.settings.saveLlm({ defaultModel: "keel-chat", prices: { "keel-chat": { input: 1_000_000, output: 1_000_000 } } }, "test");
    server.enqueue({ content: "Ada pays on time." });
    const summarizer = await workerSummarizer(services.config, env.database.db);
    await summarizer.summarize({ subject: "contact:ada", items: [{ text: "Ada paid invoice 7", createdAt: new Date() }] });
    const spend = await env.database.db.keelSpend.findMany();
    expect(spend).toHaveLength(1);
    expect(spend[0]!.kind).toBe("summary");
    expect(spend[0]!.costTokens).toBeGreaterThan(0);
    // One unit per token at these prices.
    expect(spend[0]!.costUnits).toBe(spend[0]!.costTokens);
    expect((await services.budgets.list()).keelSpentToday).toBe(spend[0]!.costUnits);

    // Embeddings by the OpenAI-compatible embedder are Keel's own spending too, priced as the
    // embedding model's input tokens.
    await services.settings.saveLlm({ defaultModel: "keel-chat", prices: { "keel-chat": { input: 1_000_000, output: 1_000_000 }, "keel-embed": { input: 500_000, output: 0 } } }, "test");
    const embedder = embedderFor({ embedding: { kind: "openai", baseUrl: server.baseURL, apiKey: API_KEY, model: "keel-embed", dimension: 8, requestDimensions: true } }, env.database.db);
    expect(await embedder.embed(["Ada paid invoice 7", "Grace asked for a refund"])).toHaveLength(2);
    const embedding = await env.database.db.keelSpend.findFirstOrThrow({ where: { kind: "embedding" } });
    expect(embedding.costTokens).toBeGreaterThan(0);
    expect(embedding.costUnits).toBe(embedding.costTokens / 2);
    expect((await services.budgets.list()).keelSpentToday).toBe(spend[0]!.costUnits + embedding.costUnits);
  });

  it("refuses a bad cap, naming the field", async () => {
    await expect(services.budgets.set({ workflowId, dailyCap: -1 })).rejects.toThrow(/dailyCap|must be 0 or more/);
    await expect(services.budgets.set({ workflowId: "no-such-workflow", dailyCap: 1 })).rejects.toThrow(/workflowId: no workflow/);
  });
});
