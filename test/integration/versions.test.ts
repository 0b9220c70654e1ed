import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { runtimeDeps } from "../../server/runtime";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { operatorApi, rejection, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";

describe.each(databaseKinds())("version history on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
  });
  afterAll(async () => {
    await env.dispose();
  });

  it("diffs two versions and a version against the draft, listing the changed config field", async () => {
    const wf = await caller.workflow.create({ name: "Diffed", graph: CONSTRUCTS.linear });
    await caller.workflow.publish({ id: wf.id });
    const edited = structuredClone(CONSTRUCTS.linear!);
    edited.nodes[1]!.config = { expression: "{ 'total': input.a * input.b }" };
    edited.nodes.push({ id: "extra", type: "data.transform", typeVersion: 1, label: "Extra", position: { x: 0, y: 200 }, config: { expression: "$" } });
    edited.edges = [edited.edges[0]!, { id: "e2", source: "shape", sourcePort: "out", target: "extra", targetPort: "in" }, { id: "e3", source: "extra", sourcePort: "out", target: "done", targetPort: "in" }];
    await caller.workflow.saveDraft({ id: wf.id, graph: edited });
    const draft = await caller.version.diff({ id: wf.id, from: 1, to: "draft" });
    expect(draft.nodes).toEqual({ shape: "changed", extra: "added" });
    expect(draft.fields.shape).toEqual([{ path: "config.expression", before: "{ 'total': input.a + input.b }", after: "{ 'total': input.a * input.b }" }]);
    await caller.workflow.publish({ id: wf.id });
    const back = await caller.version.diff({ id: wf.id, from: 2, to: 1 });
    expect(back.nodes).toEqual({ shape: "changed", extra: "removed" });
    expect(back.graph.nodes.map((n) => n.id).sort()).toEqual(["done", "extra", "shape", "start"]);
    expect((await rejection(caller.version.diff({ id: wf.id, from: 1, to: 7 }))).message).toBe("'Diffed' has no version 7");
  });

  it("restores a version as the draft, keeping the replaced draft in the audit log", async () => {
    const wf = await caller.workflow.create({ name: "Restored", graph: CONSTRUCTS.linear });
    await caller.workflow.publish({ id: wf.id });
    await caller.workflow.saveDraft({ id: wf.id, graph: CONSTRUCTS["if-else-merge"] });
    await caller.version.restoreAsDraft({ id: wf.id, number: 1 });
    expect((await caller.workflow.get({ id: wf.id })).draftGraph).toEqual(CONSTRUCTS.linear);
    const entry = await env.database.db.auditLog.findFirstOrThrow({ where: { action: "workflow.restore_draft", targetId: wf.id } });
    expect((entry.detail as { replacedDraft: unknown }).replacedDraft).toEqual(CONSTRUCTS["if-else-merge"]);
    expect((await caller.workflow.versions({ id: wf.id })).map((v) => v.number)).toEqual([1]);
  });

  it("counts the runs waiting on older versions, per version and node", async () => {
    const wf = await caller.workflow.create({ name: "Waiting", graph: CONSTRUCTS["approval-delay-error"] });
    await caller.workflow.publish({ id: wf.id });
    const worker = new Worker(runtimeDeps(env.database), { id: `versions-${kind.name}`, leaseMs: 60_000 });
    await caller.run.start({ workflow: wf.id, input: { subject: "a" } });
    await caller.run.start({ workflow: wf.id, input: { subject: "b" } });
    await worker.drain();
    expect(await caller.version.waitingOnOlder({ id: wf.id })).toEqual({ total: 0, groups: [] });

    const edited = structuredClone(CONSTRUCTS["approval-delay-error"]!);
    edited.nodes[1]!.config = { title: "Really send {{ input.subject }}?" };
    await caller.workflow.saveDraft({ id: wf.id, graph: edited });
    await caller.workflow.publish({ id: wf.id });
    await caller.run.start({ workflow: wf.id, input: { subject: "c" } });
    await worker.drain();
    expect(await caller.version.waitingOnOlder({ id: wf.id })).toEqual({ total: 2, groups: [{ version: 1, nodeId: "ask", count: 2 }] });
  });
});
