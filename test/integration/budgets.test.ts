import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { workerSummarizer } from "../../server/memory/index-for";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";
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
    expect(held.pause).toEqual({ reason: "budget_exceeded", detail: expect.stringContaining(`${spent.toFixed(2)} of this workflow's daily budget of 1.00`), until: MIDNIGHT.toISOString() });
    expect(server.chatRequests()).toHaveLength(1);
    expect(await env.database.db.effect.count({ where: { runId: held.id } })).toBe(0);
    const notice = await env.database.db.notification.findFirstOrThrow({ where: { kind: "budget_exceeded", runId: held.id } });
    expect(notice.title).toBe("Run paused: budget reached before 'ask'");
    expect((await services.budgets.list()).caps).toEqual([{ workflowId, name: "Greeter", dailyCap: 1, spentToday: spent }]);

    // Raising the cap wakes it at once.
    expect((await services.budgets.set({ workflowId, dailyCap: 1000 })).woken).toBe(1);
    await worker.drain();
    const resumed = await services.runs.get(held.id);
    expect(resumed.status).toBe("succeeded");
    expect(resumed.pause).toBeNull();
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

  it("counts Keel's own spending against the global cap", async () => {
    await services.budgets.set({ dailyCap: 5 });
    expect((await start("Ada")).status).toBe("succeeded");
    await services.budgets.recordKeelSpend({ kind: "summary", costUnits: 5, costTokens: 5 });
    const held = await start("Grace");
    expect(held.pause?.reason).toBe("budget_exceeded");
    expect(held.pause?.detail).toContain("global daily budget of 5.00");
    const budgets = await services.budgets.list();
    expect(budgets.keelSpentToday).toBe(5);
    expect(budgets.caps[0]).toMatchObject({ workflowId: null, name: "All of Keel", dailyCap: 5 });
    expect(budgets.caps[0]!.spentToday).toBeCloseTo(budgets.totalSpentToday);
    // Removing the cap lets it run.
    await services.budgets.set({ dailyCap: null });
    await worker.drain();
    expect((await services.runs.get(held.id)).status).toBe("succeeded");
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
  });

  it("refuses a bad cap, naming the field", async () => {
    await expect(services.budgets.set({ workflowId, dailyCap: -1 })).rejects.toThrow(/dailyCap|must be 0 or more/);
    await expect(services.budgets.set({ workflowId: "no-such-workflow", dailyCap: 1 })).rejects.toThrow(/workflowId: no workflow/);
  });
});
