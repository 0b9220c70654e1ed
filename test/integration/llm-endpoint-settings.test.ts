import { mkdtempSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig, type KeelConfig } from "../../server/config";
import { llmEndpointFor, runtimeDepsFor } from "../../server/runtime";
import { workerSummarizer } from "../../server/memory/index-for";
import { servicesFor } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { operatorContext } from "../support/context";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";
import { startOpenAIServer, type OpenAIServer } from "../support/openai-server";
import { rejection } from "../support/caller";
import { runKeel } from "../support/keel-process";
import { LLM_ENDPOINT_SETTING_KEY, LLM_ENDPOINT_TTL_MS, llmEndpointResolver } from "../../server/llm/endpoint";

// The endpoint set in Settings, with no OPENAI_* variables: publishing is refused before, works
// after, and a worker built BEFORE the save (same runtime deps as `keel worker`) reaches the
// local OpenAI-compatible server without a restart. The key is never read back.

/** A port nothing listens on: one the OS just handed out and took back. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const API_KEY = "sk-keel-settings-9d8c7b6a5f4e";

const graph: Graph = {
  schemaVersion: 1,
  nodes: [n("start", "trigger.manual"), n("ask", "llm.chat", { model: "keel-chat", prompt: "Say hello to {{ input.name }}" }), n("done", "flow.end")],
  edges: [e("e1", "start", "ask"), e("e2", "ask", "done")],
};

describe.each(databaseKinds())("LLM endpoint from Settings, on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let server: OpenAIServer;
  let config: KeelConfig;

  beforeAll(async () => {
    server = await startOpenAIServer({ apiKey: API_KEY });
    env = await migratedDatabase(kind);
    config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-llm-endpoint-")), DATABASE_URL: env.scratch.target.url });
  });
  afterAll(async () => {
    await server.close();
    await env.dispose();
  });

  it("publishes and runs LLM steps once the endpoint is saved, without a restart, and never reads the key back", async () => {
    expect(config.openai).toBeUndefined();
    const services = servicesFor(config, env.database);
    const caller = createCallerFactory(appRouter)(operatorContext(services));
    // The worker exists before the endpoint does, as a running `keel worker` would.
    const worker = new Worker(runtimeDepsFor(config, env.database), { id: `llm-endpoint-${kind.name}`, leaseMs: 60_000 });

    const wf = await services.workflows.create({ name: "Greeter", graph });
    const refused = await rejection(caller.workflow.publish({ id: wf.id }));
    expect(refused.message).toMatch(/'ask' \(llm\.chat\) needs an LLM endpoint/);
    expect(refused.message).toMatch(/Settings → LLM/);
    expect((await caller.settings.llm()).endpoint).toEqual({ configured: false });

    // Bad input names the field.
    const bad = await rejection(caller.settings.saveLlmEndpoint({ baseUrl: "not a url", apiKey: API_KEY }));
    expect(bad.message).toMatch(/baseUrl/);

    // A wrong key: the test says so and names the key field.
    const wrong = await caller.settings.testLlmConnection({ baseUrl: server.baseURL, apiKey: "sk-wrong" });
    expect(wrong).toMatchObject({ ok: false, field: "apiKey", code: "unauthorized" });
    // Nothing listening: a refused connection, naming the base URL.
    const refusedConnection = await caller.settings.testLlmConnection({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, apiKey: API_KEY });
    expect(refusedConnection).toMatchObject({ ok: false, field: "baseUrl", code: "refused" });

    const saved = await caller.settings.saveLlmEndpoint({ baseUrl: server.baseURL, apiKey: API_KEY });
    expect(saved.endpoint).toEqual({ configured: true, host: new URL(server.baseURL).host, apiKey: true, source: "settings" });
    expect(saved.stored).toEqual({ baseUrl: server.baseURL, apiKey: true });

    // With no key given, the stored one is used.
    expect(await caller.settings.testLlmConnection({})).toMatchObject({ ok: true, models: expect.arrayContaining(["keel-chat"]) });
    expect(await caller.settings.testLlmConnection({ baseUrl: server.baseURL })).toMatchObject({ ok: true });

    await caller.workflow.publish({ id: wf.id });
    server.enqueue({ content: "Hello, Ada!" });
    const run = await services.runs.start({ workflow: wf.id, input: { name: "Ada" } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    const [request] = server.chatRequests();
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.body).toMatchObject({ model: "keel-chat", messages: [{ role: "user", content: "Say hello to Ada" }] });

    // Hot summaries of a worker started before the save use the endpoint too, once a default model is set.
    const summarizer = await workerSummarizer(config, env.database.db, llmEndpointFor(config, env.database.db));
    await caller.settings.saveLlm({ defaultModel: "keel-chat", prices: {} });
    server.enqueue({ content: "Ada asked where her order is." });
    const summary = await summarizer.summarize({ subject: "contact:ada", items: [{ text: "Where is my order? - Ada", createdAt: new Date() }] });
    expect(summary).toBe("Ada asked where her order is.");
    expect(summarizer.method).toBe("llm:keel-chat");
    expect(server.chatRequests()).toHaveLength(2);

    // The key appears in no read: settings, audit log, credentials list, workflow export, nor in the row at rest.
    const reads = [
      await caller.settings.llm(),
      await caller.audit.list({ limit: 200 }),
      await caller.credential.list(),
      await caller.workflow.export({ id: wf.id }),
      await env.database.db.credential.findMany(),
      await env.database.db.setting.findMany(),
    ];
    for (const read of reads) expect(JSON.stringify(read)).not.toContain(API_KEY);
    const audits = await caller.audit.list({ limit: 200 });
    expect(JSON.stringify(audits)).toContain('"apiKey":"set"');

    // Removing the endpoint applies at once too: publishing is refused again.
    await caller.settings.saveLlmEndpoint({ baseUrl: "" });
    expect((await caller.settings.llm()).endpoint).toEqual({ configured: false });
    expect(await env.database.db.credential.count({ where: { name: "llm-endpoint:key" } })).toBe(0);
    const again = await services.workflows.create({ name: "Greeter 2", graph });
    await rejection(caller.workflow.publish({ id: again.id }));
  });

  it("a real `keel worker` started before the save runs the LLM step with the saved endpoint", async () => {
    const services = servicesFor(config, env.database);
    const caller = createCallerFactory(appRouter)(operatorContext(services));
    await caller.settings.saveLlmEndpoint({ baseUrl: "" });
    const worker = runKeel(["worker", "--id", `llm-endpoint-${kind.name}`], {
      KEEL_DATA_DIR: config.dataDir,
      DATABASE_URL: env.scratch.target.url,
      KEEL_WORKER_IDLE_MS: "100",
    });
    try {
      await worker.waitFor(/keel worker llm-endpoint-\S+: running/);
      await caller.settings.saveLlmEndpoint({ baseUrl: server.baseURL, apiKey: API_KEY });
      const wf = await services.workflows.create({ name: `Greeter in a worker ${kind.name}`, graph });
      await caller.workflow.publish({ id: wf.id });
      server.reset();
      server.enqueue({ content: "Hello from the worker" });
      const run = await services.runs.start({ workflow: wf.id, input: { name: "Grace" } });
      const deadline = Date.now() + 60_000;
      let status = "queued";
      while (!["succeeded", "dead", "failed"].includes(status) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await services.runs.get(run.id)).status;
      }
      expect(status).toBe("succeeded");
      expect(server.chatRequests()[0]?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(worker.output()).not.toContain(API_KEY);
    } finally {
      worker.child.kill("SIGINT");
      await worker.exited;
      await caller.settings.saveLlmEndpoint({ baseUrl: "" });
    }
  });

  it("a process that did not save sees a change once its cache time has passed", async () => {
    let clock = 1_000_000;
    // Another process's resolver: the save below happens elsewhere, so nothing invalidates it.
    const resolver = llmEndpointResolver(env.database.db, undefined, undefined, { ttlMs: LLM_ENDPOINT_TTL_MS, now: () => clock });
    await env.database.db.setting.deleteMany({ where: { key: LLM_ENDPOINT_SETTING_KEY } });
    expect(await resolver.current()).toBeUndefined();
    await env.database.db.setting.create({ data: { key: LLM_ENDPOINT_SETTING_KEY, value: { baseUrl: server.baseURL } } });
    clock += LLM_ENDPOINT_TTL_MS - 1;
    expect(await resolver.current()).toBeUndefined();
    clock += 1;
    expect(await resolver.current()).toEqual({ baseUrl: server.baseURL, apiKey: undefined });
  });

  it("the environment's endpoint wins over the one in Settings", async () => {
    const fixed = { baseUrl: "http://llm.example.test/v1", apiKey: "sk-env" };
    const resolver = llmEndpointResolver(env.database.db, undefined, fixed);
    expect(resolver.fromEnvironment).toBe(true);
    expect(await resolver.current()).toEqual(fixed);
  });
});
