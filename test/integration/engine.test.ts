import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReplayVerifier } from "../../app/_components/replay/verifier";
import type { Graph } from "../../engine/graph/schema";
import { processRun } from "../../engine/runtime/process-run";
import { LeaseLostError } from "../../engine/runtime/store";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { startSink } from "../support/http-sink";
import { e, n } from "../support/graph-builders";


describe.each(databaseKinds())("the durable engine on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let now = new Date("2026-11-30T12:00:00Z");
  let worker: Worker;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-engine-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database);
    sink = await startSink();
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
  });
  beforeEach(() => {
    worker = new Worker({ ...runtimeDeps(env.database, { now: () => now }), random: () => 0 }, { id: `w-${kind.name}`, leaseMs: 60_000 });
  });

  async function publish(name: string, graph: Graph) {
    const wf = await services.workflows.create({ name, graph });
    await services.publishing.publish({ id: wf.id });
    return wf.id;
  }
  const events = async (runId: string) => (await services.runs.events(runId)).map((ev) => `${ev.type}${ev.nodeId ? ` ${ev.nodeId}` : ""}`);

  it("runs a workflow to the end, with an event log and a checkpoint per step", async () => {
    const id = await publish("Linear", CONSTRUCTS.linear!);
    const run = await services.runs.start({ workflow: id, input: { a: 2, b: 3 } });
    await worker.drain();
    const done = await services.runs.get(run.id);
    expect(done.status).toBe("succeeded");
    expect(done.output).toEqual({ start: { a: 2, b: 3 }, shape: { total: 5 } });
    expect(await events(run.id)).toEqual([
      "run.started",
      "node.entered start",
      "node.completed start",
      "node.entered shape",
      "node.completed shape",
      "node.entered done",
      "run.succeeded done",
    ]);
    // A pure step (data.transform) touches nothing outside the run: it has no ledger row.
    expect(await env.database.db.effect.count({ where: { runId: run.id } })).toBe(0);
    // Every step left a checkpoint at the seq of its last event, though pure ones commit together.
    const checkpoints = await env.database.db.checkpoint.findMany({ where: { runId: run.id }, orderBy: { seq: "asc" } });
    expect(checkpoints.map((c) => c.seq)).toEqual([2, 4, 6]);
  });

  it("returns the same run for the same idempotency key", async () => {
    const id = await publish("Keyed", CONSTRUCTS.linear!);
    const a = await services.runs.start({ workflow: id, input: { a: 1, b: 1 }, idempotencyKey: "order-1" });
    const b = await services.runs.start({ workflow: id, input: { a: 9, b: 9 }, idempotencyKey: "order-1" });
    expect(b).toEqual({ ...a, created: false });
    expect(await env.database.db.run.count({ where: { workflowId: id } })).toBe(1);
  });

  it("starts on the bare driver what Prisma reads back whole: one run and one audit entry per key, however many race", async () => {
    const id = await publish("Raced", CONSTRUCTS.linear!);
    const slug = (await env.database.db.workflow.findUniqueOrThrow({ where: { id } })).slug;
    const before = Date.now();
    const starts = await Promise.all(
      Array.from({ length: 6 }, (_, i) => services.runs.start({ workflow: i % 2 ? id : slug!, input: { a: i, b: { nested: [i] } }, idempotencyKey: "raced-1" }, "cli")),
    );
    expect(new Set(starts.map((s) => s.id)).size).toBe(1);
    expect(starts.filter((s) => s.created)).toHaveLength(1);
    const run = await env.database.db.run.findUniqueOrThrow({ where: { id: starts[0]!.id } });
    expect(run).toMatchObject({ status: "queued", trigger: "manual", test: false, idempotencyKey: "raced-1", costTokens: 0, parentRunId: null });
    expect(run.input).toEqual({ a: expect.any(Number), b: { nested: [expect.any(Number)] } });
    // Timestamps in the form Prisma writes, so ordering and date filters hold across both writers.
    expect(run.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(run.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(await env.database.db.run.count({ where: { workflowId: id, createdAt: { gte: new Date(before - 1_000) } } })).toBe(1);
    const audits = await env.database.db.auditLog.findMany({ where: { action: "run.start", targetId: run.id } });
    expect(audits).toEqual([expect.objectContaining({ actor: "cli", targetType: "run", detail: { workflow: "Raced" } })]);
  });

  it("refuses to start a workflow that was never published, naming why", async () => {
    const wf = await services.workflows.create({ name: "Draft only", graph: CONSTRUCTS.linear });
    await expect(services.runs.start({ workflow: wf.id })).rejects.toThrow("'Draft only' has no published version: publish it first");
  });

  it("loops, branches and joins parallel work", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("each", "loop.forEach", { items: "input.items" }),
        n("double", "data.transform", { expression: "each.item * 2" }),
        n("fork", "flow.fork"),
        n("left", "data.set", { fields: { side: "left", count: "{{ each.count }}" } }),
        n("right", "data.transform", { expression: "$count(input.items)" }),
        n("join", "flow.join"),
        n("done", "flow.end", { output: { joined: "{{ join }}" } }),
      ],
      edges: [e("e1", "start", "each"), e("e2", "each", "double", "item"), e("e3", "double", "each"), e("e4", "each", "fork", "done"), e("e5", "fork", "left"), e("e6", "fork", "right"), e("e7", "left", "join"), e("e8", "right", "join"), e("e9", "join", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("Loops", graph), input: { items: [1, 2, 3] } });
    await worker.drain();
    const done = await services.runs.get(run.id);
    expect(done.status).toBe("succeeded");
    // Each pass's output, from the machine events the log keeps.
    const passes = await env.database.db.runEvent.findMany({ where: { runId: run.id, nodeId: "double", type: "node.completed" }, orderBy: { seq: "asc" } });
    expect(passes.map((p) => (p.payload as { machineEvent: { output: unknown } }).machineEvent.output)).toEqual([2, 4, 6]);
    const join = await env.database.db.runEvent.findFirst({ where: { runId: run.id, type: "node.completed", nodeId: "join" } });
    expect(join).not.toBeNull();
  });

  it("calls HTTP with the step's idempotency key, and retries 5xx and 429 with Retry-After", async () => {
    sink.setResponder((call, attempt) => (attempt === 1 ? { status: 503 } : attempt === 2 ? { status: 429, headers: { "retry-after": "120" } } : { status: 200, body: { id: "abc" } }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("call", "http.request", { method: "POST", url: `${sink.url}/orders`, body: { n: "{{ input.n }}" } }), n("done", "flow.end")],
      edges: [e("e1", "start", "call"), e("e2", "call", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("HTTP", graph), input: { n: 7 } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("sleeping");
    now = new Date(now.getTime() + 1_000);
    await worker.drain();
    const afterSecond = await env.database.db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(afterSecond.status).toBe("sleeping");
    // The 429's Retry-After (120 s) beats the backoff.
    expect(afterSecond.wakeAt!.getTime() - now.getTime()).toBe(120_000);
    now = new Date(now.getTime() + 60_000);
    expect(await worker.drain()).toBe(0);
    now = new Date(now.getTime() + 61_000);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    const key = `${run.id}:call:1`;
    expect(sink.callsFor(key).map((c) => c.body)).toEqual(['{"n":7}', '{"n":7}', '{"n":7}']);
    const effect = await env.database.db.effect.findUniqueOrThrow({ where: { key } });
    expect([effect.status, effect.attempts]).toEqual(["completed", 3]);
  });

  it("sends a permanent failure with no error edge to dead letters, with a review packet", async () => {
    sink.setResponder(() => ({ status: 404, body: { error: "no such order" } }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/missing` }), n("done", "flow.end")],
      edges: [e("e1", "start", "call"), e("e2", "call", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("Dead", graph), input: { order: 1 } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("dead");
    const letter = await env.database.db.deadLetter.findFirstOrThrow({ where: { runId: run.id } });
    expect(letter.nodeId).toBe("call");
    expect(letter.packet).toMatchObject({ node: "call", input: { order: 1 }, attempts: [{ attempt: 1, error: { kind: "permanent" } }] });
    expect(JSON.stringify(letter.packet)).toContain("answered 404");
  });

  it("routes a failure through an error edge when there is one", async () => {
    sink.setResponder(() => ({ status: 400 }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/x` }), n("ok", "flow.end"), n("handled", "flow.end", { outcome: "failure" })],
      edges: [e("e1", "start", "call"), e("e2", "call", "ok"), e("e3", "call", "handled", "error")],
    };
    const run = await services.runs.start({ workflow: await publish("Error edge", graph) });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("failed");
    expect(await events(run.id)).toContain("node.failed call");
    expect(await env.database.db.deadLetter.count({ where: { runId: run.id } })).toBe(0);
  });

  it("waits for an approval; two concurrent decisions resume the run exactly once", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("ask", "human.approval", { title: "Refund {{ input.amount }}?", proposal: { amount: "{{ input.amount }}" } }), n("yes", "flow.end"), n("no", "flow.end", { outcome: "failure" })],
      edges: [e("e1", "start", "ask"), e("e2", "ask", "yes", "approved"), e("e3", "ask", "no", "rejected")],
    };
    const run = await services.runs.start({ workflow: await publish("Approve", graph), input: { amount: 40 } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("waiting");
    const [approval] = (await services.runs.pendingApprovals()).filter((a) => a.runId === run.id);
    expect(approval!.packet).toMatchObject({ title: "Refund 40?", proposal: { amount: 40 }, input: { amount: 40 } });
    expect(await env.database.db.notification.count({ where: { runId: run.id, kind: "approval" } })).toBe(1);

    const results = await Promise.allSettled([
      services.runs.decide({ approvalId: approval!.id, decision: "approve" }, "alice"),
      services.runs.decide({ approvalId: approval!.id, decision: "reject" }, "bob"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason.message).toMatch(/already decided/);
    await worker.drain();
    const done = await services.runs.get(run.id);
    const decided = await env.database.db.approval.findUniqueOrThrow({ where: { id: approval!.id } });
    expect(done.status).toBe(decided.status === "approved" ? "succeeded" : "failed");
    expect((await events(run.id)).filter((x) => x.startsWith("approval.") && !x.startsWith("approval.requested"))).toHaveLength(1);
  });

  it("sleeps at a delay until its durable timer is due", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("wait", "flow.delay", { duration: "PT10M" }), n("done", "flow.end")],
      edges: [e("e1", "start", "wait"), e("e2", "wait", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("Delay", graph) });
    await worker.drain();
    const sleeping = await env.database.db.run.findUniqueOrThrow({ where: { id: run.id } });
    expect(sleeping.status).toBe("sleeping");
    expect(sleeping.wakeAt!.getTime() - now.getTime()).toBe(600_000);
    expect(await env.database.db.timer.count({ where: { runId: run.id, kind: "delay", firedAt: null } })).toBe(1);
    now = new Date(now.getTime() + 599_000);
    expect(await worker.drain()).toBe(0);
    now = new Date(now.getTime() + 2_000);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    expect(await env.database.db.timer.count({ where: { runId: run.id, firedAt: { not: null } } })).toBe(1);
  });

  it("lets another worker reclaim a run whose lease expired (a crashed worker)", async () => {
    const run = await services.runs.start({ workflow: await publish("Reclaim", CONSTRUCTS.linear!), input: { a: 1, b: 1 } });
    const store = runtimeDeps(env.database).store;
    const claimed = await store.claimRun("crashed", now, 30_000);
    expect(claimed?.run.id).toBe(run.id);
    expect(await store.claimRun("other", now, 30_000)).toBeNull();
    now = new Date(now.getTime() + 31_000);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
  });

  it("a worker whose lease was taken over writes nothing of its batch", async () => {
    const run = await services.runs.start({ workflow: await publish("Taken over", CONSTRUCTS.linear!), input: { a: 1, b: 1 } });
    const deps = runtimeDeps(env.database, { now: () => now });
    const claimed = (await deps.store.claimRun("slow", now, 30_000))!;
    // Another worker reclaimed it meanwhile (the lease of "slow" had expired).
    await env.database.db.run.update({ where: { id: run.id }, data: { leaseOwner: "fast" } });
    expect(await processRun(deps, claimed, "slow", new AbortController().signal)).toBe("lost");
    expect(await env.database.db.runEvent.count({ where: { runId: run.id } })).toBe(0);
    expect(await env.database.db.checkpoint.count({ where: { runId: run.id } })).toBe(0);
    expect((await env.database.db.run.findUniqueOrThrow({ where: { id: run.id } })).leaseOwner).toBe("fast");
  });

  it("pauses and resumes a run, and cancelling aborts the call in flight", async () => {
    const paused = await services.runs.start({ workflow: await publish("Pausable", CONSTRUCTS.linear!), input: { a: 1, b: 2 } });
    expect((await services.runs.control({ id: paused.id, action: "pause" })).status).toBe("paused");
    expect(await worker.drain()).toBe(0);
    await expect(services.runs.control({ id: paused.id, action: "pause" })).rejects.toThrow("A paused run cannot be paused.");
    await services.runs.control({ id: paused.id, action: "resume" });
    await worker.drain();
    expect((await services.runs.get(paused.id)).status).toBe("succeeded");
    expect(await events(paused.id)).toEqual(expect.arrayContaining(["run.paused", "run.resumed"]));

    let aborted = false;
    sink.setResponder(() => ({ status: 200, delayMs: 5_000 }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("slow", "http.request", { url: `${sink.url}/slow` }), n("done", "flow.end")],
      edges: [e("e1", "start", "slow"), e("e2", "slow", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("Cancellable", graph) });
    const live = new Worker(runtimeDeps(env.database), { id: `live-${kind.name}`, leaseMs: 600, idleMs: 50, onOutcome: (_, outcome) => (aborted ||= outcome === "lost") });
    live.start();
    for (let i = 0; i < 100 && sink.callsFor(`${run.id}:slow:1`).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sink.callsFor(`${run.id}:slow:1`)).toHaveLength(1);
    await services.runs.control({ id: run.id, action: "cancel" });
    for (let i = 0; i < 100 && !aborted; i++) await new Promise((r) => setTimeout(r, 50));
    await live.stop();
    expect(aborted).toBe(true);
    // The worker hung up on the call instead of waiting for the 5 s answer (the server notices
    // the closed socket a moment later).
    const call = sink.callsFor(`${run.id}:slow:1`)[0]!;
    for (let i = 0; i < 40 && !call.aborted; i++) await new Promise((r) => setTimeout(r, 50));
    expect(call.aborted).toBe(true);
    expect((await services.runs.get(run.id)).status).toBe("cancelled");
    const effect = await env.database.db.effect.findUniqueOrThrow({ where: { key: `${run.id}:slow:1` } });
    expect(effect.status).toBe("started");
    expect(await events(run.id)).not.toContain("node.completed slow");
  });

  it("retries a dead letter with the same key and a fresh budget, skips one with an output, cancels one, and retries in bulk", async () => {
    sink.setResponder(() => ({ status: 404 }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/flaky` }), n("done", "flow.end", { output: { got: "{{ call }}" } })],
      edges: [e("e1", "start", "call"), e("e2", "call", "done")],
    };
    const id = await publish("Dead letters", graph);
    const runs: string[] = [];
    for (let i = 0; i < 4; i++) runs.push((await services.runs.start({ workflow: id, input: { i } })).id);
    await worker.drain();
    const letters = new Map((await services.deadLetters.list()).filter((l) => runs.includes(l.runId)).map((l) => [l.runId, l.id]));
    expect(letters.size).toBe(4);

    sink.setResponder(() => ({ status: 200, body: { fixed: true } }));
    await services.deadLetters.retry(letters.get(runs[0]!)!);
    await expect(services.deadLetters.retry(letters.get(runs[0]!)!)).rejects.toThrow(/already handled/);
    await services.deadLetters.skip({ id: letters.get(runs[1]!)!, output: { manual: "yes" } });
    await expect(services.deadLetters.skip({ id: letters.get(runs[2]!)!, port: "sideways" })).rejects.toThrow("port: 'sideways' is not an output of 'call' (connected: out)");
    await services.deadLetters.cancel(letters.get(runs[2]!)!);
    expect(await services.deadLetters.retryMany([letters.get(runs[3]!)!, letters.get(runs[0]!)!])).toEqual([
      { id: letters.get(runs[3]!)!, ok: true },
      { id: letters.get(runs[0]!)!, ok: false, error: expect.stringMatching(/already handled/) },
    ]);
    await worker.drain();

    const [retried, skipped, cancelled, bulk] = await Promise.all(runs.map((r) => services.runs.get(r)));
    expect([retried!.status, skipped!.status, cancelled!.status, bulk!.status]).toEqual(["succeeded", "succeeded", "cancelled", "succeeded"]);
    expect(retried!.output).toEqual({ got: { status: 200, body: { fixed: true }, contentType: "application/json" } });
    expect(skipped!.output).toEqual({ got: { manual: "yes" } });
    // The retry used the same idempotency key: one key, two calls, a fresh budget.
    const key = `${runs[0]}:call:1`;
    expect(sink.callsFor(key)).toHaveLength(2);
    expect((await env.database.db.effect.findUniqueOrThrow({ where: { key } })).status).toBe("completed");
    expect(await events(runs[1]!)).toContain("node.skipped call");
    const audits = (await env.database.db.auditLog.findMany({ where: { action: { startsWith: "deadletter." } } })).map((a) => a.action);
    expect(audits).toEqual(expect.arrayContaining(["deadletter.retry", "deadletter.skip", "deadletter.cancel"]));
  });

  it("replays a finished run's event log to exactly its checkpoints", async () => {
    sink.setResponder((_, attempt) => (attempt === 1 ? { status: 502 } : { status: 200, body: { ok: true } }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("each", "loop.forEach", { items: "input.items" }),
        n("fork", "flow.fork"),
        n("left", "data.transform", { expression: "each.item" }),
        n("right", "http.request", { method: "POST", url: `${sink.url}/r`, body: { item: "{{ each.item }}" } }),
        n("join", "flow.join"),
        n("ok", "human.approval", { title: "Finish?" }),
        n("done", "flow.end"),
      ],
      edges: [
        e("e1", "start", "each"),
        e("e2", "each", "fork", "item"),
        e("e3", "fork", "left"),
        e("e4", "fork", "right"),
        e("e5", "left", "join"),
        e("e6", "right", "join"),
        e("e7", "join", "each"),
        e("e8", "each", "ok", "done"),
        e("e9", "ok", "done", "approved"),
      ],
    };
    const run = await services.runs.start({ workflow: await publish("Replay", graph), input: { items: ["a", "b"] } });
    for (let i = 0; i < 10 && (await services.runs.get(run.id)).status !== "waiting"; i++) {
      await worker.drain();
      now = new Date(now.getTime() + 60_000);
    }
    const [approval] = (await services.runs.pendingApprovals()).filter((a) => a.runId === run.id);
    await services.runs.decide({ approvalId: approval!.id, decision: "edit", data: { note: "fine" } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");

    const { replayRun } = await import("../../engine/runtime/replay");
    const stored = await env.database.db.checkpoint.findMany({ where: { runId: run.id }, orderBy: { seq: "asc" } });
    const loaded = await runtimeDeps(env.database).store.loadRun(run.id);
    const replayed = replayRun(loaded.compiled, await env.database.db.runEvent.findMany({ where: { runId: run.id }, select: { seq: true, payload: true } }));
    expect(stored.length).toBeGreaterThan(10);
    for (const checkpoint of stored) expect(replayed.get(checkpoint.seq), `checkpoint at seq ${checkpoint.seq}`).toEqual(checkpoint.snapshot);
  });

  it("computes pure steps that had not committed when their worker died again, with no gap or repeat in the log", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("a", "data.transform", { expression: "input.n + 1" }), n("b", "data.transform", { expression: "a * 10" }), n("c", "data.transform", { expression: "b + 1" }), n("done", "flow.end", { output: { c: "{{ c }}" } })],
      edges: [e("e1", "start", "a"), e("e2", "a", "b"), e("e3", "b", "c"), e("e4", "c", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("Pure batch", graph), input: { n: 4 } });
    // The first worker stops dead at the third pure step (as if killed: it writes nothing more and
    // keeps its lease until it expires); a and b ran but were only held for a batch commit.
    const dying = new Map(runtimeDeps(env.database).executors);
    const transform = dying.get("data.transform@1")!;
    let calls = 0;
    dying.set("data.transform@1", async (ctx) => {
      if (++calls === 3) throw new LeaseLostError(ctx.runId);
      return transform(ctx);
    });
    await new Worker({ ...runtimeDeps(env.database, { now: () => now }), executors: dying }, { id: "dies", leaseMs: 60_000 }).drain(1);
    expect(calls).toBe(3);
    expect(await env.database.db.runEvent.count({ where: { runId: run.id } })).toBe(0);
    expect((await services.runs.get(run.id)).status).toBe("running");

    now = new Date(now.getTime() + 120_000);
    await worker.drain();
    const done = await services.runs.get(run.id);
    expect([done.status, done.output]).toEqual(["succeeded", { c: 51 }]);
    const log = await env.database.db.runEvent.findMany({ where: { runId: run.id }, orderBy: { seq: "asc" } });
    expect(log.map((ev) => ev.seq)).toEqual(log.map((_, i) => i + 1));
    expect(log.filter((ev) => ev.type === "node.completed").map((ev) => ev.nodeId)).toEqual(["start", "a", "b", "c"]);
    const { replayRun } = await import("../../engine/runtime/replay");
    const replayed = replayRun((await runtimeDeps(env.database).store.loadRun(run.id)).compiled, log);
    const checkpoints = await env.database.db.checkpoint.findMany({ where: { runId: run.id }, orderBy: { seq: "asc" } });
    expect(checkpoints).toHaveLength(5);
    for (const checkpoint of checkpoints) expect(replayed.get(checkpoint.seq)).toEqual(checkpoint.snapshot);
  });

  it("holds all work while the global switch is on, and retries a finished run from the start", async () => {
    const id = await publish("Switch", CONSTRUCTS.linear!);
    await services.settings.setEnginePaused(true, "operator");
    const run = await services.runs.start({ workflow: id, input: { a: 1, b: 1 } });
    expect(await worker.drain()).toBe(0);
    expect((await services.runs.get(run.id)).status).toBe("queued");
    await services.settings.setEnginePaused(false, "operator");
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");

    await expect(services.runs.retryFromStart((await services.runs.start({ workflow: id, input: { a: 0, b: 0 } })).id)).rejects.toThrow(/has not finished/);
    const again = await services.runs.retryFromStart(run.id);
    await worker.drain();
    const retried = await env.database.db.run.findUniqueOrThrow({ where: { id: again.id } });
    expect([retried.status, retried.trigger, retried.originRunId]).toEqual(["succeeded", "retry", run.id]);
    expect(retried.input).toEqual({ a: 1, b: 1 });
  });

  it("sums the cost executors report per run and per workflow", async () => {
    // A stand-in executor that reports cost, as LLM adapters will.
    const costly = new Map(runtimeDeps(env.database).executors);
    costly.set("data.transform@1", async () => ({ port: "out", output: { priced: true }, cost: { tokens: 120, units: 0.5 } }));
    const id = await publish("Costs", CONSTRUCTS.linear!);
    const runs = [await services.runs.start({ workflow: id, input: {} }), await services.runs.start({ workflow: id, input: {} })];
    await new Worker({ ...runtimeDeps(env.database), executors: costly }, { id: "costly" }).drain();
    for (const r of runs) expect(await env.database.db.run.findUniqueOrThrow({ where: { id: r.id }, select: { costTokens: true, costUnits: true } })).toEqual({ costTokens: 120, costUnits: 0.5 });
    expect((await services.runs.costByWorkflow()).find((c) => c.workflowId === id)).toEqual({ workflowId: id, runs: 2, tokens: 240, units: 1 });
  });

  it("runs a sub-workflow as a child run: the parent waits, then gets its output, or its failure", async () => {
    const childGraph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("check", "logic.if", { condition: "input.n > 0" }), n("ok", "flow.end", { output: { doubled: "{{ input.n * 2 }}" } }), n("bad", "flow.end", { outcome: "failure" })],
      edges: [e("e1", "start", "check"), e("e2", "check", "ok", "true"), e("e3", "check", "bad", "false")],
    };
    const child = await services.workflows.create({ name: "Doubler", graph: childGraph });
    await services.publishing.publish({ id: child.id });
    const parentGraph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("sub", "flow.subworkflow", { workflow: "doubler", input: { n: "{{ input.n }}" } }),
        n("done", "flow.end", { output: { result: "{{ sub }}" } }),
        n("handled", "flow.end", { outcome: "failure", output: { note: "child failed" } }),
      ],
      edges: [e("e1", "start", "sub"), e("e2", "sub", "done"), e("e3", "sub", "handled", "error")],
    };
    const parentId = await publish("Parent", parentGraph);

    const good = await services.runs.start({ workflow: parentId, input: { n: 21 } });
    const bad = await services.runs.start({ workflow: parentId, input: { n: -1 } });
    await worker.drain();
    await worker.drain();
    expect(await services.runs.get(good.id)).toMatchObject({ status: "succeeded", output: { result: { doubled: 42 } } });
    expect(await services.runs.get(bad.id)).toMatchObject({ status: "failed", output: { note: "child failed" } });
    const children = await env.database.db.run.findMany({ where: { parentRunId: { in: [good.id, bad.id] } }, select: { parentRunId: true, status: true, trigger: true } });
    expect(children.map((c) => [c.parentRunId === good.id ? "good" : "bad", c.status, c.trigger]).sort()).toEqual([
      ["bad", "failed", "subworkflow"],
      ["good", "succeeded", "subworkflow"],
    ]);
    expect(await events(good.id)).toEqual(expect.arrayContaining(["subworkflow.started sub", "node.completed sub"]));

    const orphanGraph: Graph = {
      ...parentGraph,
      nodes: parentGraph.nodes.filter((x) => x.id !== "handled").map((x) => (x.id === "sub" ? { ...x, config: { workflow: "no-such-workflow" } } : x)),
      edges: parentGraph.edges.filter((x) => x.id !== "e3"),
    };
    const orphan = await services.runs.start({ workflow: await publish("Orphan", orphanGraph) });
    await worker.drain();
    expect((await services.runs.get(orphan.id)).status).toBe("dead");
    const letter = await env.database.db.deadLetter.findFirstOrThrow({ where: { runId: orphan.id } });
    expect(JSON.stringify(letter.packet)).toContain("workflow 'no-such-workflow' does not exist or has no published version");
  });

  it("forks a new run from a checkpoint with edited input; earlier steps are not repeated", async () => {
    const id = await publish("Forkable", CONSTRUCTS.linear!);
    const source = await services.runs.start({ workflow: id, input: { a: 1, b: 2 } });
    await worker.drain();
    // seq 2 is the checkpoint after the start, with the trigger active.
    const fork = await services.runs.fork({ id: source.id, seq: 3, input: { a: 10, b: 20 } });
    await worker.drain();
    const forked = await env.database.db.run.findUniqueOrThrow({ where: { id: fork.id } });
    expect([forked.status, forked.trigger, forked.originRunId, forked.originSeq]).toEqual(["succeeded", "fork", source.id, 2]);
    expect((forked.output as { shape: unknown }).shape).toEqual({ total: 30 });
    expect((await events(fork.id))[0]).toBe("run.forked");
    expect(await events(fork.id)).not.toContain("node.entered start");
    await expect(services.runs.fork({ id: source.id, seq: 1 })).rejects.toThrow(/has no checkpoint at or before 1/);
  });

  it("retries a dead step with edited config under a new key, and names a bad edit's field", async () => {
    sink.setResponder((call) => (call.path === "/ok" ? { status: 200, body: { fine: true } } : { status: 404 }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/wrong` }), n("done", "flow.end")],
      edges: [e("e1", "start", "call"), e("e2", "call", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("Edited retry", graph) });
    await worker.drain();
    const [letter] = (await services.deadLetters.list()).filter((l) => l.runId === run.id);
    await expect(services.deadLetters.retry(letter!.id, "operator", { config: { method: "FETCH" } })).rejects.toThrow(/^config\.method: /);
    await services.deadLetters.retry(letter!.id, "operator", { config: { url: `${sink.url}/ok` } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");
    expect(sink.callsFor(`${run.id}:call:1`).map((c) => c.path)).toEqual(["/wrong"]);
    expect(sink.callsFor(`${run.id}:call:1:e1`).map((c) => c.path)).toEqual(["/ok"]);
  });

  it("retries a dead step with the run's input edited: checked against the trigger's schema, a new key, later steps see it, and the log replays to its checkpoints", async () => {
    sink.setResponder((call) => (call.body.includes("good") ? { status: 200, body: { fine: true } } : { status: 422, body: { error: "unknown order" } }));
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual", { inputSchema: { type: "object", properties: { order: { type: "string" } }, required: ["order"] } }, { typeVersion: 2 }),
        n("call", "http.request", { method: "POST", url: `${sink.url}/orders`, body: { order: "{{ input.order }}" } }),
        n("done", "flow.end", { output: { order: "{{ input.order }}" } }),
      ],
      edges: [e("e1", "start", "call"), e("e2", "call", "done")],
    };
    const run = await services.runs.start({ workflow: await publish("Edited input", graph), input: { order: "bad-1" } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("dead");
    const [letter] = (await services.deadLetters.list()).filter((l) => l.runId === run.id);
    await expect(services.deadLetters.retry(letter!.id, "operator", { input: { order: 7 } })).rejects.toThrow(/^input\.order: /);
    await expect(services.deadLetters.retry(letter!.id, "operator", { input: { note: "x" } })).rejects.toThrow(/order/);
    expect((await services.runs.get(run.id)).status).toBe("dead");

    await services.deadLetters.retry(letter!.id, "operator", { input: { order: "good-1" } });
    await worker.drain();
    const done = await services.runs.get(run.id);
    expect([done.status, done.input, done.output]).toEqual(["succeeded", { order: "good-1" }, { order: "good-1" }]);
    // The failed request kept its key; the edited one is a new request under a new key.
    expect(sink.callsFor(`${run.id}:call:1`).map((c) => JSON.parse(c.body))).toEqual([{ order: "bad-1" }]);
    expect(sink.callsFor(`${run.id}:call:1:e1`).map((c) => JSON.parse(c.body))).toEqual([{ order: "good-1" }]);
    const retried = (await services.runs.events(run.id)).find((ev) => ev.type === "run.retried")!;
    expect(retried.payload).toMatchObject({ edited: ["input"], input: { order: "good-1" } });
    const audit = await env.database.db.auditLog.findFirstOrThrow({ where: { action: "deadletter.retry", targetId: run.id } });
    expect(audit.detail).toMatchObject({ edited: ["input"] });

    // History and checkpoints still agree: the replay puts the edited input where the store did.
    const replay = await services.runHistory.replay(run.id);
    const verifier = new ReplayVerifier(replay.compiled);
    const checkpoints = (await services.runHistory.checkpointPage({ id: run.id, limit: 5_000 })).checkpoints;
    verifier.addCheckpoints(checkpoints, Infinity);
    verifier.addEvents((await services.runs.events(run.id)).map((ev) => ({ seq: ev.seq, type: ev.type, payload: ev.payload })));
    expect(verifier.checked).toBe(checkpoints.length);
    expect(verifier.mismatches).toEqual([]);
  });

  it("holds runs back at a workflow's concurrency limit, and fails a run past its maximum duration", async () => {
    const limited = await publish("Limited", CONSTRUCTS.linear!);
    await services.workflows.setLimits({ id: limited, maxConcurrentRuns: 1, maxRunSeconds: null });
    const other = await publish("Unlimited", CONSTRUCTS.linear!);
    const a = await services.runs.start({ workflow: limited, input: { a: 1, b: 1 } });
    await services.runs.start({ workflow: limited, input: { a: 2, b: 2 } });
    const c = await services.runs.start({ workflow: other, input: { a: 3, b: 3 } });
    const store = runtimeDeps(env.database).store;
    expect((await store.claimRun("one", now, 60_000))?.run.id).toBe(a.id);
    // The second run of the limited workflow waits; the other workflow's run goes ahead of it.
    expect((await store.claimRun("two", now, 60_000))?.run.id).toBe(c.id);
    expect(await store.claimRun("three", now, 60_000)).toBeNull();
    now = new Date(now.getTime() + 61_000);
    await worker.drain();

    const slow: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("wait", "flow.delay", { duration: "PT10M" }), n("done", "flow.end")],
      edges: [e("e1", "start", "wait"), e("e2", "wait", "done")],
    };
    const slowId = await publish("Bounded", slow);
    await services.workflows.setLimits({ id: slowId, maxConcurrentRuns: null, maxRunSeconds: 60 });
    const run = await services.runs.start({ workflow: slowId });
    await worker.drain();
    const sleeping = await env.database.db.run.findUniqueOrThrow({ where: { id: run.id } });
    // It wakes at its deadline, not after the 10-minute delay.
    expect(sleeping.wakeAt!.getTime() - now.getTime()).toBe(60_000);
    now = new Date(now.getTime() + 61_000);
    await worker.drain();
    const failed = await services.runs.get(run.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toEqual({ message: "the run took longer than the workflow's maximum of 60 s" });
  });

  it("applies an approval's deadline action: approve with the proposal, or escalate and keep waiting", async () => {
    const graph = (onDeadline: string): Graph => ({
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("ask", "human.approval", { title: "Renew?", proposal: { plan: "{{ input.plan }}" }, deadline: "PT1H", onDeadline }),
        n("yes", "flow.end", { output: { chosen: "{{ ask }}" } }),
        n("no", "flow.end", { outcome: "failure" }),
      ],
      edges: [e("e1", "start", "ask"), { id: "e2", source: "ask", sourcePort: "approved", target: "yes", targetPort: "in" }, { id: "e3", source: "ask", sourcePort: "rejected", target: "no", targetPort: "in" }],
    });
    const approve = await services.runs.start({ workflow: await publish("Deadline approves", graph("approve")), input: { plan: "pro" } });
    const escalate = await services.runs.start({ workflow: await publish("Deadline escalates", graph("escalate")), input: { plan: "pro" } });
    await worker.drain();
    expect(await env.database.db.run.count({ where: { id: { in: [approve.id, escalate.id] }, status: "waiting" } })).toBe(2);
    now = new Date(now.getTime() + 3_601_000);
    await worker.drain();
    expect(await services.runs.get(approve.id)).toMatchObject({ status: "succeeded", output: { chosen: { plan: "pro" } } });
    expect((await env.database.db.approval.findFirstOrThrow({ where: { runId: approve.id } })).decidedBy).toBe("deadline");
    expect((await services.runs.get(escalate.id)).status).toBe("waiting");
    expect(await events(escalate.id)).toContain("approval.escalated ask");
    expect(await env.database.db.notification.count({ where: { runId: escalate.id, kind: "approval_overdue" } })).toBe(1);
    // Escalation does not wake it again and again; a person still decides.
    expect(await worker.drain()).toBe(0);
    const [pending] = (await services.runs.pendingApprovals()).filter((a) => a.runId === escalate.id);
    await services.runs.decide({ approvalId: pending!.id, decision: "reject" });
    await worker.drain();
    expect((await services.runs.get(escalate.id)).status).toBe("failed");
  });
});
