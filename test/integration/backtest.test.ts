import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { runtimeDeps } from "../../server/runtime";
import { operatorApi, rejection, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";
import { approvalFlow } from "../support/editor-graphs";
import { allowLoopback } from "../support/egress";
import { startSink } from "../support/http-sink";

const AMOUNTS: Record<string, number> = { small: 50, medium: 150, large: 500 };

describe.each(databaseKinds())("backtest on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let workflowId: string;
  const runIds: Record<string, string> = {};

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
    await allowLoopback(env.database.db);
    sink = await startSink((call) => ({ status: 200, body: { amount: AMOUNTS[call.path.split("/").pop()!] } }));
    const worker = new Worker(runtimeDeps(env.database), { id: `backtest-${kind.name}`, leaseMs: 60_000 });
    const wf = await caller.workflow.create({ name: "Orders", graph: approvalFlow(sink.url, 100) });
    workflowId = wf.id;
    await caller.workflow.publish({ id: wf.id });
    for (const order of Object.keys(AMOUNTS)) runIds[order] = (await caller.run.start({ workflow: wf.id, input: { order } })).id;
    await worker.drain();
    for (const approval of await caller.approval.pending()) await caller.approval.decide({ approvalId: approval.id, decision: "approve" });
    await worker.drain();
    for (const id of Object.values(runIds)) expect((await caller.run.get({ id })).status).toBe("succeeded");
    // A test run of the draft is not a recorded run to backtest over.
    await caller.testRun.start({ id: wf.id, input: { order: "small" } });
    await worker.drain();
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });

  const draft = async (graph: Graph) => caller.workflow.saveDraft({ id: workflowId, graph });

  it("finds nothing changed when the draft is the published graph", async () => {
    const calls = sink.calls.length;
    await draft(approvalFlow(sink.url, 100));
    expect(await caller.backtest.run({ id: workflowId, runs: 10 })).toEqual({ total: 3, same: 3, flagged: [] });
    expect(sink.calls.length).toBe(calls);
  });

  it("flags exactly the run whose branch changes, calling nothing", async () => {
    const calls = sink.calls.length;
    await draft(approvalFlow(sink.url, 200));
    const result = await caller.backtest.run({ id: workflowId, runs: 10 });
    expect(result).toMatchObject({ total: 3, same: 2 });
    expect(result.flagged).toHaveLength(1);
    const [flagged] = result.flagged;
    expect(flagged).toMatchObject({ runId: runIds.medium, result: "changed", pathChanged: true });
    if (flagged?.result !== "changed") throw new Error("expected a changed run");
    expect(flagged.before.path).toEqual(["hook", "fetch", "big", "ask", "tell"]);
    expect(flagged.after.path).toEqual(["hook", "fetch", "big", "small"]);
    // The new branch's notification is an effect the recorded run never made: not made now either.
    expect(flagged.stopped).toEqual({ nodeId: "small", reason: "would call 'Small order' (notify.operator): the recorded run has no result for it" });
    expect(sink.calls.length).toBe(calls);
  });

  it("stops a run at an effect node the recorded run cannot answer, saying what it would call", async () => {
    const graph = approvalFlow(sink.url, 100);
    graph.nodes.push({ id: "audit", type: "http.request", typeVersion: 1, label: "Audit log", position: { x: 960, y: 100 }, config: { method: "POST", url: `${sink.url}/audit` } });
    graph.edges.push({ id: "e6", source: "small", sourcePort: "out", target: "audit", targetPort: "in" });
    await draft(graph);
    const calls = sink.calls.length;
    const result = await caller.backtest.run({ id: workflowId, runs: 10 });
    expect(result.flagged).toEqual([
      expect.objectContaining({ runId: runIds.small, result: "stopped", nodeId: "audit", reason: "would call 'Audit log' (http.request): the recorded run has no result for it" }),
    ]);
    expect(sink.calls.length).toBe(calls);
  });

  it("refuses a draft with problems, naming the field, and a bad run count", async () => {
    const graph = approvalFlow(sink.url, 100);
    graph.nodes[2]!.config = { condition: "fetch.body.amount >" };
    await draft(graph);
    const error = await rejection(caller.backtest.run({ id: workflowId }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^'Orders' cannot be backtested: nodes\.2\.config\.condition: /);
    expect((await rejection(caller.backtest.run({ id: workflowId, runs: 0 }))).message).toMatch(/^runs: /);
  });
});
