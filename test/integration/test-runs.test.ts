import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deriveNodeStates } from "../../engine/runtime/node-states";
import { Worker } from "../../engine/runtime/worker";
import { runtimeDeps } from "../../server/runtime";
import { testRunWarnings } from "../../server/services/test-runs";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { operatorApi, rejection, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";
import { approvalFlow } from "../support/editor-graphs";
import { allowLoopback } from "../support/egress";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";

describe("test-run warnings", () => {
  it("name real email and non-test endpoints, and nothing for local peers or the outbox", () => {
    const graph = {
      schemaVersion: 1,
      nodes: [
        n("local", "http.request", { url: "http://127.0.0.1:9/x" }),
        n("shop", "http.request", { url: "https://api.shop.com/orders" }),
        n("built", "http.request", { url: "{{ input.url }}" }),
        n("host", "http.request", { url: "https://{{ input.host }}/x" }),
        n("path", "http.request", { url: "http://localhost:8080/orders/{{ input.id }}" }),
        n("reserved", "http.request", { url: "https://sandbox.example/orders" }),
        n("mail", "email.send", { to: "a@b.c", subject: "s", text: "t", credential: "smtp-main" }),
        n("ping", "notify.operator", { title: "t", email: true }),
      ],
      edges: [],
    } as never;
    const warnings = (emailToOutbox: boolean) => testRunWarnings(graph, { emailToOutbox }).map((w) => `${w.nodeId}:${w.kind}`);
    expect(warnings(true)).toEqual(["shop:endpoint", "built:endpoint", "host:endpoint", "ping:email"]);
    expect(warnings(false)).toEqual(["shop:endpoint", "built:endpoint", "host:endpoint", "mail:email", "ping:email"]);
  });
});

describe.each(databaseKinds())("test runs on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let worker: Worker;

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
    await allowLoopback(env.database.db);
    sink = await startSink((call) => ({ status: 200, body: { order: call.path.split("/").pop(), amount: 250 } }));
    worker = new Worker(runtimeDeps(env.database), { id: `test-runs-${kind.name}`, leaseMs: 60_000 });
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });

  it("runs the draft as a hidden test version, marked as a test, with node data for the editor", async () => {
    const wf = await caller.workflow.create({ name: "Orders", graph: approvalFlow(sink.url) });
    expect((await caller.testRun.preflight({ id: wf.id })).warnings).toEqual([]);
    const started = await caller.testRun.start({ id: wf.id, input: { order: "A-1" } });
    await worker.drain();

    const waiting = await caller.testRun.detail({ runId: started.id });
    expect(waiting).toMatchObject({ status: "waiting", test: true, input: { order: "A-1" } });
    expect(waiting.outputs.fetch).toMatchObject({ status: 200, body: { order: "A-1", amount: 250 } });
    expect(waiting.attempts.fetch).toBe(1);
    expect(deriveNodeStates(waiting.events)).toMatchObject({ hook: { state: "succeeded" }, fetch: { state: "succeeded" }, big: { state: "succeeded" }, ask: { state: "waiting" } });
    expect(waiting.approvals.map((a) => a.nodeId)).toEqual(["ask"]);
    expect(sink.calls.map((c) => c.path)).toEqual(["/orders/A-1"]);

    await caller.approval.decide({ approvalId: waiting.approvals[0]!.id, decision: "approve" });
    await worker.drain();
    const done = await caller.testRun.detail({ runId: started.id });
    expect(done.status).toBe("succeeded");
    expect(deriveNodeStates(done.events).tell?.state).toBe("succeeded");
    expect(deriveNodeStates(done.events).small).toBeUndefined();

    // The sample input is kept; the test version is neither history nor numbering.
    expect((await caller.testRun.preflight({ id: wf.id })).input).toEqual({ order: "A-1" });
    expect(await caller.workflow.versions({ id: wf.id })).toEqual([]);
    expect((await caller.workflow.publish({ id: wf.id })).number).toBe(1);
    expect((await caller.workflow.versions({ id: wf.id })).map((v) => v.number)).toEqual([1]);
    const summary = (await caller.workflow.list()).find((w) => w.id === wf.id)!;
    expect(summary).toMatchObject({ currentVersion: 1, lastRun: null, waitingApprovals: 0 });
    expect((await caller.testRun.latest({ workflowId: wf.id }))?.id).toBe(started.id);
  });

  it("runs one step with the last test run's outputs pinned, leaving the pinned run the latest", async () => {
    const wf = await caller.workflow.create({ name: "Stepped", graph: approvalFlow(sink.url) });
    expect((await rejection(caller.testRun.runStep({ id: wf.id, nodeId: "big" }))).message).toBe("Run a test of the whole workflow first: its outputs are what the step runs with.");
    const full = await caller.testRun.start({ id: wf.id, input: { order: "S-1" } });
    await worker.drain();
    const calls = sink.calls.length;

    // The condition changes in the draft; the step sees fetch's pinned output (amount 250).
    const edited = approvalFlow(sink.url, 300);
    await caller.workflow.saveDraft({ id: wf.id, graph: edited });
    const step = await caller.testRun.runStep({ id: wf.id, nodeId: "big" });
    await worker.drain();
    const detail = await caller.testRun.detail({ runId: step.id });
    expect(detail).toMatchObject({ status: "succeeded", test: true, input: { order: "S-1" } });
    expect(deriveNodeStates(detail.events)).toMatchObject({ big: { state: "succeeded" } });
    expect(detail.events.find((e) => e.type === "node.completed" && e.nodeId === "big")?.payload).toMatchObject({ port: "false" });
    expect(sink.calls.length).toBe(calls);
    expect((await caller.testRun.latest({ workflowId: wf.id }))?.id).toBe(full.id);

    const trigger = await rejection(caller.testRun.runStep({ id: wf.id, nodeId: "hook" }));
    expect(trigger.message).toBe("nodeId: 'Order received' is a trigger: run the whole test instead");
    expect((await rejection(caller.testRun.runStep({ id: wf.id, nodeId: "nope" }))).message).toBe("nodeId: the draft has no node 'nope'");
  });

  it("reuses the test version while the draft is unchanged and pins a new one after an edit", async () => {
    const wf = await caller.workflow.create({ name: "Reuse", graph: CONSTRUCTS.linear });
    const a = await caller.testRun.start({ id: wf.id, input: { a: 1, b: 2 } });
    const b = await caller.testRun.start({ id: wf.id, input: { a: 3, b: 4 } });
    const versionOf = async (id: string) => (await env.database.db.run.findUniqueOrThrow({ where: { id }, select: { version: { select: { number: true, test: true } } } })).version;
    expect(await versionOf(a.id)).toEqual({ number: -1, test: true });
    expect(await versionOf(b.id)).toEqual({ number: -1, test: true });
    const edited = structuredClone(CONSTRUCTS.linear!);
    edited.nodes[1]!.config = { expression: "{ 'total': input.a * input.b }" };
    await caller.workflow.saveDraft({ id: wf.id, graph: edited });
    const c = await caller.testRun.start({ id: wf.id, input: { a: 5, b: 6 } });
    expect(await versionOf(c.id)).toEqual({ number: -2, test: true });
    expect((await rejection(caller.workflow.setCurrentVersion({ id: wf.id, number: 1 }))).code).toBe("NOT_FOUND");
  });

  it("refuses a draft with problems naming the field, and bad input naming it", async () => {
    const broken = structuredClone(CONSTRUCTS.linear!);
    broken.nodes[1]!.config = { expression: "input.a +" };
    const wf = await caller.workflow.create({ name: "Broken test", graph: broken });
    const error = await rejection(caller.testRun.start({ id: wf.id, input: {} }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^'Broken test' cannot be test-run: 1 problem; first: nodes\.1\.config\.expression: /);
    expect(await env.database.db.run.count({ where: { workflowId: wf.id } })).toBe(0);
  });

  it("skips a test run's wait, and refuses to skip a real run's", async () => {
    const graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("nap", "flow.delay", { duration: "PT1H" }), n("done", "flow.end", { outcome: "success" })], edges: [e("e1", "start", "nap"), e("e2", "nap", "done")] };
    const wf = await caller.workflow.create({ name: "Sleepy", graph });
    const run = await caller.testRun.start({ id: wf.id, input: {} });
    await worker.drain();
    expect((await caller.testRun.detail({ runId: run.id })).status).toBe("sleeping");
    await caller.testRun.skipWait({ runId: run.id });
    await worker.drain();
    const done = await caller.testRun.detail({ runId: run.id });
    expect(done.status).toBe("succeeded");
    expect(deriveNodeStates(done.events).nap?.state).toBe("succeeded");

    await caller.workflow.publish({ id: wf.id });
    const real = await caller.run.start({ workflow: wf.id, input: {} });
    await worker.drain();
    const error = await rejection(caller.testRun.skipWait({ runId: real.id }));
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toBe("Only a test run's wait can be skipped.");
  });
});
