import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";

// Progressive autonomy end to end on real databases: a worker runs the workflow to its
// approval, the autonomy pass (what the workers tick) approves what a rule covers, and every
// decision, the operator's and the rule's, is in the approval history and the audit log.

const approvalGraph = (autonomy: Record<string, unknown>, risk = "low"): Graph => ({
  schemaVersion: 1,
  nodes: [
    n("start", "trigger.manual"),
    {
      ...n("ask", "human.approval", {
        title: "Refund {{ input.order }}?",
        proposal: { amount: "{{ input.amount }}", note: "" },
        proposalSchema: [
          { name: "amount", label: "Amount", type: "number", required: true },
          { name: "note", label: "Note", type: "text" },
        ],
        risk,
        autonomy,
      }),
      typeVersion: 2,
    },
    n("ok", "flow.end"),
    n("no", "flow.end", { outcome: "failure" }),
  ],
  edges: [e("e1", "start", "ask"), e("e2", "ask", "ok", "approved"), e("e3", "ask", "no", "rejected")],
});

describe.each(databaseKinds())("progressive autonomy on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let worker: Worker;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-autonomy-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database);
    worker = new Worker(runtimeDeps(env.database), { id: `w-${kind.name}`, leaseMs: 60_000 });
  });
  afterAll(async () => {
    await env.dispose();
  });

  async function publish(name: string, autonomy: Record<string, unknown>, risk = "low") {
    const wf = await services.workflows.create({ name, graph: approvalGraph(autonomy, risk) });
    await services.publishing.publish({ id: wf.id });
    return wf.id;
  }

  /** Starts a run, lets it reach its approval, runs one autonomy pass; the approval's id and whether the pass approved it. */
  async function arrive(workflowId: string, input: Record<string, unknown>) {
    const run = await services.runs.start({ workflow: workflowId, input });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("waiting");
    const approval = await env.database.db.approval.findFirstOrThrow({ where: { runId: run.id } });
    const { approved } = await services.autonomy.tick();
    await worker.drain();
    return { runId: run.id, approvalId: approval.id, auto: approved === 1 };
  }

  async function operatorDecides(item: { runId: string; approvalId: string }, decision: "approve" | "edit" | "reject") {
    if (decision === "approve") await services.approvals.decide({ id: item.approvalId, decision }, "alice");
    else if (decision === "reject") await services.approvals.decide({ id: item.approvalId, decision, reason: "wrong customer" }, "alice");
    else await services.approvals.decide({ id: item.approvalId, decision, data: { amount: 5, note: "partial" } }, "alice");
    await worker.drain();
  }

  it("the trust ramp approves after N clean approvals; an edit or a rejection resets it; taking autonomy back stops it", async () => {
    const wf = await publish("Refunds (trust)", { mode: "trust", after: 2, maxRisk: "low" });
    const r1 = await arrive(wf, { order: "A1", amount: 10 });
    expect(r1.auto).toBe(false);
    await operatorDecides(r1, "approve");
    const r2 = await arrive(wf, { order: "A2", amount: 10 });
    expect(r2.auto).toBe(false);
    await operatorDecides(r2, "edit"); // resets: the count starts again
    const r3 = await arrive(wf, { order: "A3", amount: 10 });
    expect(r3.auto).toBe(false);
    await operatorDecides(r3, "approve");
    expect((await services.autonomy.status({ workflowId: wf, nodeId: "ask" })).streak).toBe(1);
    const r4 = await arrive(wf, { order: "A4", amount: 10 });
    expect(r4.auto).toBe(false);
    await operatorDecides(r4, "approve");

    // Two clean approvals in a row: the next ones are approved by the rule and the runs finish.
    const r5 = await arrive(wf, { order: "A5", amount: 10 });
    expect(r5.auto).toBe(true);
    expect((await services.runs.get(r5.runId)).status).toBe("succeeded");
    const r6 = await arrive(wf, { order: "A6", amount: 10 });
    expect(r6.auto).toBe(true);

    const history = await services.approvals.history();
    const auto = history.find((h) => h.id === r5.approvalId)!;
    expect(auto).toMatchObject({ status: "approved", decidedBy: "autonomy", edited: false });
    expect(auto.rule).toBe("trust ramp: 2 approvals in a row without edits (risk low, at most low)");
    expect(history.find((h) => h.id === r2.approvalId)).toMatchObject({ decidedBy: "alice", edited: true, rule: null });

    const audit = await env.database.db.auditLog.findMany({ where: { targetId: { in: [r2.approvalId, r5.approvalId] } } });
    const edit = audit.find((a) => a.targetId === r2.approvalId)!;
    expect(edit).toMatchObject({ actor: "alice", action: "approval.edit" });
    expect((edit.detail as { changes: unknown }).changes).toEqual([
      { path: "amount", before: 10, after: 5 },
      { path: "note", before: "", after: "partial" },
    ]);
    const ruled = audit.find((a) => a.targetId === r5.approvalId)!;
    expect(ruled).toMatchObject({ actor: "autonomy", action: "approval.approve" });
    expect((ruled.detail as { comment: string }).comment).toMatch(/^trust ramp: 2 approvals/);

    // One click takes autonomy back: asked again, and giving it back starts the ramp from zero.
    await services.autonomy.revoke({ workflowId: wf, nodeId: "ask" }, "alice");
    const r7 = await arrive(wf, { order: "A7", amount: 10 });
    expect(r7.auto).toBe(false);
    await services.autonomy.restore({ workflowId: wf, nodeId: "ask" }, "alice");
    const { approved } = await services.autonomy.tick();
    expect(approved).toBe(0);
    await operatorDecides(r7, "approve");
    const r8 = await arrive(wf, { order: "A8", amount: 10 });
    expect(r8.auto).toBe(false);
    await operatorDecides(r8, "reject"); // a rejection resets too
    expect((await services.runs.get(r8.runId)).status).toBe("failed");
    expect((await services.autonomy.status({ workflowId: wf, nodeId: "ask" })).streak).toBe(0);
    const actions = (await env.database.db.auditLog.findMany({ where: { targetId: wf, action: { startsWith: "autonomy." } }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["autonomy.revoke", "autonomy.restore"]);
  });

  it("the trust ramp never approves above its risk cap", async () => {
    const wf = await publish("Refunds (risky)", { mode: "trust", after: 1, maxRisk: "low" }, "high");
    const r1 = await arrive(wf, { order: "B1", amount: 10 });
    await operatorDecides(r1, "approve");
    const r2 = await arrive(wf, { order: "B2", amount: 10 });
    expect(r2.auto).toBe(false);
    expect((await services.runs.get(r2.runId)).status).toBe("waiting");
  });

  it("auto-approves when the JSONata condition on the packet holds, and asks when it does not", async () => {
    const wf = await publish("Refunds (condition)", { mode: "condition", condition: "proposal.amount < 50", maxRisk: "medium" });
    const small = await arrive(wf, { order: "C1", amount: 20 });
    expect(small.auto).toBe(true);
    expect((await services.runs.get(small.runId)).status).toBe("succeeded");
    const large = await arrive(wf, { order: "C2", amount: 80 });
    expect(large.auto).toBe(false);
    expect((await services.runs.get(large.runId)).status).toBe("waiting");
    expect((await services.approvals.queue()).map((q) => q.id)).toContain(large.approvalId);
    const decided = await services.approvals.get(small.approvalId);
    expect(decided).toMatchObject({ state: "approved", decidedBy: "autonomy", comment: "condition proposal.amount < 50 held (risk low, at most medium)" });
  });

  it("refuses an edit that breaks the proposal schema, naming the field; bulk approval takes only low-risk items", async () => {
    const wf = await publish("Refunds (ask)", { mode: "ask" });
    const item = await arrive(wf, { order: "D1", amount: 10 });
    await expect(services.approvals.decide({ id: item.approvalId, decision: "edit", data: { amount: "lots" } })).rejects.toThrow("data.amount: must be a number (Amount)");
    await expect(services.approvals.decide({ id: item.approvalId, decision: "reject", reason: " " })).rejects.toThrow(/is required/);
    const risky = await publish("Refunds (ask, high)", { mode: "ask" }, "high");
    const high = await arrive(risky, { order: "D2", amount: 10 });
    const result = await services.approvals.bulkApprove({ ids: [item.approvalId, high.approvalId] }, "alice");
    expect(result.approved).toBe(1);
    expect(result.results.find((r) => r.id === high.approvalId)!.error).toMatch(/is high risk: decide it on its own/);
    await worker.drain();
    expect((await services.runs.get(item.runId)).status).toBe("succeeded");
    expect((await services.runs.get(high.runId)).status).toBe("waiting");
  });
});
