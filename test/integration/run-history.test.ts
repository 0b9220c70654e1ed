import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { ReplayVerifier } from "../../app/_components/replay/verifier";
import { Timeline } from "../../app/_components/replay/timeline";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { startSink } from "../support/http-sink";
import { e, n } from "../support/graph-builders";

// The read side of run history against real databases: a run that retried and passed an
// approval, replayed page by page through its compiled machine and checked against its stored
// checkpoints; an altered checkpoint is caught at its seq; the list filters and searches.

describe.each(databaseKinds())("run history on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let now = new Date("2026-11-30T12:00:00Z");
  let worker: Worker;
  let runId: string;
  let workflowId: string;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-history-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database);
    // A flaky peer: the first call of every key fails with a 503, the next succeeds.
    sink = await startSink((call, attempt) => (attempt === 1 ? { status: 503 } : { status: 200, body: { charged: JSON.parse(call.body).amount } }));
    worker = new Worker({ ...runtimeDeps(env.database, { now: () => now }), random: () => 0 }, { id: `h-${kind.name}`, leaseMs: 60_000 });
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("charge", "http.request", { method: "POST", url: `${sink.url}/charge`, body: { amount: "{{ input.amount }}" } }),
        n("ask", "human.approval", { title: "Ship {{ input.amount }}?", proposal: { amount: "{{ input.amount }}" } }),
        n("yes", "flow.end"),
        n("no", "flow.end", { outcome: "failure" }),
      ],
      edges: [e("e1", "start", "charge"), e("e2", "charge", "ask"), e("e3", "ask", "yes", "approved"), e("e4", "ask", "no", "rejected")],
    };
    const wf = await services.workflows.create({ name: "History", graph });
    await services.publishing.publish({ id: wf.id });
    workflowId = wf.id;
    runId = (await services.runs.start({ workflow: wf.id, input: { amount: 42, note: "needle-in-input" } })).id;
    for (let i = 0; i < 10 && (await services.runs.get(runId)).status !== "waiting"; i++) {
      await worker.drain();
      now = new Date(now.getTime() + 60_000);
    }
    const [approval] = (await services.runs.pendingApprovals()).filter((a) => a.runId === runId);
    await services.runs.decide({ approvalId: approval!.id, decision: "approve" });
    await worker.drain();
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });

  const allEvents = async (id: string, limit: number) => {
    const events = [];
    for (let after = 0; ; ) {
      const page = await services.runHistory.eventPage({ id, afterSeq: after, limit });
      events.push(...page.events);
      if (page.nextAfterSeq === null) return events;
      after = page.nextAfterSeq;
    }
  };

  it("loads a finished run's replay: version, checkpoints, effects with their attempts, approvals", async () => {
    const replay = await services.runHistory.replay(runId);
    expect(replay.run.status).toBe("succeeded");
    expect(replay.run.workflowName).toBe("History");
    expect(replay.graph.nodes.map((node) => node.id)).toEqual(["start", "charge", "ask", "yes", "no"]);
    expect(replay.pruned).toBe(false);
    expect(replay.checkpointSeqs.length).toBeGreaterThan(3);
    const charge = replay.effects.find((effect) => effect.nodeId === "charge")!;
    expect([charge.key, charge.status, charge.attempts, charge.result]).toEqual([`${runId}:charge:1`, "completed", 2, { port: "out", output: { status: 200, contentType: "application/json", body: { charged: 42 } } }]);
    expect(replay.approvals.map((a) => [a.nodeId, a.status])).toEqual([["ask", "approved"]]);
    await expect(services.runHistory.replay("no-such-run")).rejects.toThrow("no run 'no-such-run'");
  });

  it("pages the log, and the timeline derives each node's state at every point", async () => {
    const events = await allEvents(runId, 3);
    expect(events.map((ev) => ev.seq)).toEqual(events.map((_, i) => i + 1));
    const timeline = new Timeline((await services.runHistory.replay(runId)).graph);
    timeline.append(events.slice(0, 5));
    timeline.append(events.slice(5));
    const retried = events.findIndex((ev) => ev.type === "node.retry_scheduled");
    expect(timeline.at(retried).states.charge).toEqual({ state: "retrying", visits: 1, attempts: 2 });
    const asked = events.findIndex((ev) => ev.type === "approval.requested");
    expect(timeline.at(asked).states.ask?.state).toBe("waiting");
    expect(timeline.at(asked).states.charge?.state).toBe("succeeded");
    expect(timeline.at(asked).takenEdges).toEqual({ e1: 1, e2: 1 });
    const end = timeline.at(timeline.length - 1);
    expect(end.states.no).toBeUndefined();
    // The decision names its port in the log: the approved edge is taken, the rejected one not.
    expect(end.takenEdges).toEqual({ e1: 1, e2: 1, e3: 1 });
    expect(events.find((ev) => ev.type === "approval.approved")?.payload).toMatchObject({ port: "approved" });
    expect(timeline.at(-1).states).toEqual({});
  });

  it("replays the log through the compiled machine to every stored checkpoint, and finds an altered one", async () => {
    const replay = await services.runHistory.replay(runId);
    const events = await allEvents(runId, 4);
    const checkpoints = (await services.runHistory.checkpointPage({ id: runId, limit: 5_000 })).checkpoints;
    const clean = new ReplayVerifier(replay.compiled);
    // Events arrive before their checkpoints: nothing is judged until the checkpoints are known.
    expect(clean.addEvents(events)).toEqual([]);
    expect(clean.verifiedThrough).toBe(0);
    expect(clean.addCheckpoints(checkpoints, Infinity)).toEqual([]);
    expect([clean.checked, clean.verifiedThrough]).toEqual([checkpoints.length, events.at(-1)!.seq]);

    const target = checkpoints[Math.floor(checkpoints.length / 2)]!;
    const altered = structuredClone(target.snapshot) as { context: { outputs: Record<string, unknown> } };
    altered.context.outputs.charge = { status: 200, body: { charged: 1_000_000 } };
    await env.database.db.checkpoint.update({ where: { runId_seq: { runId, seq: target.seq } }, data: { snapshot: altered as object } });
    const stored = (await services.runHistory.checkpointPage({ id: runId, limit: 5_000 })).checkpoints;
    const verifier = new ReplayVerifier(replay.compiled);
    verifier.addCheckpoints(stored, Infinity);
    expect(verifier.addEvents(events)).toEqual([{ seq: target.seq, paths: ["context.outputs"] }]);
    await env.database.db.checkpoint.update({ where: { runId_seq: { runId, seq: target.seq } }, data: { snapshot: target.snapshot as object } });
  });

  it("a fork from a middle step replays from the checkpoint it was seeded with", async () => {
    const events = await allEvents(runId, 100);
    const middle = events.find((ev) => ev.type === "approval.requested")!.seq;
    const fork = await services.runs.fork({ id: runId, seq: middle, input: { amount: 7 } });
    now = new Date(now.getTime() + 60_000);
    await worker.drain();
    const [approval] = (await services.runs.pendingApprovals()).filter((a) => a.runId === fork.id);
    await services.runs.decide({ approvalId: approval!.id, decision: "reject" });
    await worker.drain();
    const replay = await services.runHistory.replay(fork.id);
    expect([replay.run.status, replay.run.originRunId]).toEqual(["failed", runId]);
    const verifier = new ReplayVerifier(replay.compiled);
    verifier.addCheckpoints((await services.runHistory.checkpointPage({ id: fork.id })).checkpoints, Infinity);
    expect(verifier.addEvents(await allEvents(fork.id, 100))).toEqual([]);
    expect(verifier.checked).toBeGreaterThan(1);
  });

  it("lists runs newest first with filters, a search in input and output, and a cursor", async () => {
    const second = await services.runs.start({ workflow: workflowId, input: { amount: 5, note: "other" } });
    const all = await services.runHistory.list({ workflowId });
    expect(all.runs[0]!.id).toBe(second.id);
    expect(all.runs.every((r) => r.workflowName === "History" && r.version === 1 && r.test === false)).toBe(true);
    expect((await services.runHistory.list({ workflowId, status: ["succeeded"] })).runs.map((r) => r.id)).toEqual([runId]);
    // The fork's output carries the original input (its trigger's output), so it matches too.
    const found = (await services.runHistory.list({ workflowId, search: "NEEDLE-in" })).runs.map((r) => r.id);
    expect(found).toContain(runId);
    expect(found).not.toContain(second.id);
    expect((await services.runHistory.list({ workflowId, search: "100%_" })).runs).toEqual([]);
    expect((await services.runHistory.list({ workflowId, kind: "test" })).runs).toEqual([]);
    const first = await services.runHistory.list({ workflowId, limit: 1 });
    expect(first.runs.map((r) => r.id)).toEqual([second.id]);
    const next = await services.runHistory.list({ workflowId, limit: 1, cursor: first.nextCursor! });
    expect(next.runs).toHaveLength(1);
    expect(next.runs[0]!.id).not.toBe(second.id);
    await expect(services.runHistory.list({ cursor: "garbage" })).rejects.toThrow("cursor:");
    await expect(services.runHistory.list({ status: ["bogus" as never] })).rejects.toThrow();
  });

  it("checks a manual start against the trigger's input schema (trigger.manual@2), naming the field; version 1 takes anything", async () => {
    const schema = { type: "object", properties: { email: { type: "string", title: "Email" }, seats: { type: "integer", minimum: 1 } }, required: ["email"] };
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [{ ...n("start", "trigger.manual", { description: "One customer", inputSchema: schema }), typeVersion: 2 }, n("done", "flow.end")],
      edges: [e("e1", "start", "done")],
    };
    const wf = await services.workflows.create({ name: "Typed input", graph });
    await services.publishing.publish({ id: wf.id });
    const form = await services.runHistory.inputForm(wf.id);
    expect(form).toMatchObject({ workflowId: wf.id, version: 1, trigger: { nodeId: "start", description: "One customer", inputSchema: schema } });
    await expect(services.runs.start({ workflow: wf.id, input: { seats: 0 } })).rejects.toThrow("input.email: is required");
    await expect(services.runs.start({ workflow: wf.id, input: { email: "a@example.com", seats: 0 } })).rejects.toThrow(/input\.seats: .*1/);
    const ok = await services.runs.start({ workflow: wf.id, input: { email: "a@example.com", seats: 2 } });
    expect(ok.created).toBe(true);
    // A schema that is not a JSON Schema object is refused when the graph is published.
    const bad = await services.workflows.create({ name: "Bad schema", graph: { ...graph, nodes: [{ ...graph.nodes[0]!, config: { inputSchema: { type: "array" } } }, graph.nodes[1]!] } });
    await expect(services.publishing.publish({ id: bad.id })).rejects.toThrow(/type/);
    // Version 1 of the trigger has no schema: any input starts a run.
    expect((await services.runHistory.inputForm(workflowId)).trigger?.inputSchema).toBeNull();
  });

  it("retry from the failed step: a fork from just before the failure runs the step again and can succeed", async () => {
    let fail = true;
    sink.setResponder(() => (fail ? { status: 404, body: { error: "no such order" } } : { status: 200, body: { ok: true } }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/order` }), n("ok", "flow.end"), n("handled", "flow.end", { outcome: "failure" })],
      edges: [e("e1", "start", "call"), e("e2", "call", "ok"), e("e3", "call", "handled", "error")],
    };
    const wf = await services.workflows.create({ name: "Fails once", graph });
    await services.publishing.publish({ id: wf.id });
    const failed = await services.runs.start({ workflow: wf.id, input: {} });
    await worker.drain();
    expect((await services.runs.get(failed.id)).status).toBe("failed");
    const events = await allEvents(failed.id, 100);
    // What the replay's "Retry from the failed step" sends: the seq just before the last failure.
    const failedSeq = events.filter((ev) => ev.type === "node.failed").at(-1)!.seq;
    fail = false;
    const retried = await services.runs.fork({ id: failed.id, seq: failedSeq - 1 });
    await worker.drain();
    expect((await services.runs.get(retried.id)).status).toBe("succeeded");
    const log = (await allEvents(retried.id, 100)).map((ev) => `${ev.type}${ev.nodeId ? ` ${ev.nodeId}` : ""}`);
    expect(log[0]).toBe("run.forked");
    expect(log).toContain("node.completed call");
    expect(log).not.toContain("node.completed start");
  });

  it("a pruned run loads as its skeleton, marked pruned, and is not verified (so shows no mismatch)", async () => {
    const { pruneRunPayloads } = await import("../../server/services/retention");
    await pruneRunPayloads(env.database.db, { now: new Date(Date.now() + 10 * 86_400_000), days: 1 });
    const replay = await services.runHistory.replay(runId);
    expect(replay.pruned).toBe(true);
    const events = await allEvents(runId, 100);
    expect(events.length).toBeGreaterThan(5);
    expect(events.every((ev) => ev.tombstone !== null)).toBe(true);
    // The skeleton still draws: which node did what, in order.
    const timeline = new Timeline(replay.graph);
    timeline.append(events);
    expect(timeline.at(timeline.length - 1).states.charge?.state).toBe("succeeded");
  });
});
