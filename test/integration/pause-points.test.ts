import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { runtimeDeps } from "../../server/runtime";
import { operatorApi, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";
import { approvalFlow } from "../support/editor-graphs";
import { allowLoopback } from "../support/egress";
import { startSink } from "../support/http-sink";

// The editor's pause points: how many live runs wait at each approval or form node of a
// workflow, any version, test runs and cancelled runs left out.

describe.each(databaseKinds())("runs waiting at pause points on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let worker: Worker;

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
    await allowLoopback(env.database.db);
    sink = await startSink(() => ({ status: 200, body: { amount: 500 } }));
    worker = new Worker(runtimeDeps(env.database), { id: `pause-points-${kind.name}`, leaseMs: 60_000 });
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });

  it("counts pending approvals of real runs per node, over every version, and follows decisions and cancellations", async () => {
    const wf = await caller.workflow.create({ name: "Orders", graph: approvalFlow(sink.url, 100) });
    const other = await caller.workflow.create({ name: "Other orders", graph: approvalFlow(sink.url, 100) });
    const waiting = () => caller.approval.waitingAtNodes({ workflowId: wf.id });
    expect(await waiting()).toEqual({ nodes: {} });

    await caller.workflow.publish({ id: wf.id });
    await caller.workflow.publish({ id: other.id });
    const first = await caller.run.start({ workflow: wf.id, input: { order: "A-1" } });
    const second = await caller.run.start({ workflow: wf.id, input: { order: "A-2" } });
    // A second version: a run on it waits at the same node and counts too.
    await caller.workflow.saveDraft({ id: wf.id, graph: approvalFlow(sink.url, 200) });
    await caller.workflow.publish({ id: wf.id });
    const third = await caller.run.start({ workflow: wf.id, input: { order: "A-3" } });
    // Neither a test run of this workflow nor another workflow's run counts.
    await caller.testRun.start({ id: wf.id, input: { order: "T-1" } });
    await caller.run.start({ workflow: other.id, input: { order: "B-1" } });
    await worker.drain();
    for (const run of [first, second, third]) expect((await caller.run.get({ id: run.id })).status).toBe("waiting");

    expect(await waiting()).toEqual({ nodes: { ask: 3 } });
    expect(await caller.approval.waitingAtNodes({ workflowId: other.id })).toEqual({ nodes: { ask: 1 } });

    const pending = (await caller.approval.pending()).filter((a) => a.runId === first.id);
    expect(pending).toHaveLength(1);
    await caller.approval.decide({ approvalId: pending[0]!.id, decision: "approve" });
    expect(await waiting()).toEqual({ nodes: { ask: 2 } });

    await caller.run.control({ id: second.id, action: "cancel" });
    expect(await waiting()).toEqual({ nodes: { ask: 1 } });
  });

  it("names the field of bad input", async () => {
    await expect(caller.approval.waitingAtNodes({ workflowId: "" })).rejects.toThrow(/workflowId/);
  });
});
