import { describe, expect, it } from "vitest";
import { compileGraph } from "../../engine/graph/compile";
import type { Graph } from "../../engine/graph/schema";
import { validateGraph } from "../../engine/graph/validate";
import { backoffMs } from "../../engine/runtime/retry";
import { planStep, planWorld, type Effect, type Plan, type PlanEvent, type PlannedCommit, type PlanWorld } from "../../engine/runtime/step-planner";
import type { LoadedRun } from "../../engine/runtime/store";
import { registry } from "../../nodes/catalog";
import { e, n } from "../support/graph-builders";

// The step planner on its own: graphs of the real registry, events made up by the test, and the
// effects it plans checked one by one. No database, no clock, no executor.

const T0 = new Date("2026-03-01T10:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

function worldOf(graph: Graph, run: Partial<LoadedRun["run"]> = {}, loaded: Partial<LoadedRun> = {}): PlanWorld {
  const result = validateGraph(graph, registry);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const compiled = compileGraph(result.graph, registry);
  return planWorld(
    {
      run: { id: "run1", workflowId: "wf1", versionId: "v1", status: "running", input: { name: "Ada" }, leaseOwner: "w1", leaseExpiresAt: null, wakeAt: null, parentRunId: null, triggerNodeId: null, ...run },
      graph: result.graph,
      compiled,
      checkpoint: null,
      nextSeq: 1,
      startedAt: T0,
      maxRunMs: null,
      stepOverrides: {},
      ...loaded,
    },
    registry,
    "w1",
  );
}

const chain = (...nodes: ReturnType<typeof n>[]): Graph => ({ schemaVersion: 1, nodes, edges: nodes.slice(1).map((node, i) => e(`e${i}`, nodes[i]!.id, node.id)) });

const commitsOf = (plan: Plan) => plan.effects.filter((x): x is Extract<Effect, { type: "commit" }> => x.type === "commit");
const last = (plan: Plan) => plan.effects.at(-1)!;
const eventTypes = (commits: PlannedCommit[]) => commits.flatMap((c) => c.events.map((x) => `${x.type}${x.nodeId ? `:${x.nodeId}` : ""}`));

/** Begins a claim and ticks until a plan ends in something other than "tick"; the commits on the way. */
async function until(world: PlanWorld, from?: Plan, now = T0): Promise<{ plan: Plan; commits: PlannedCommit[]; held: boolean[] }> {
  let plan = from ?? (await planStep(world, null, { type: "begin" }));
  const commits: PlannedCommit[] = [];
  const held: boolean[] = [];
  for (;;) {
    for (const c of commitsOf(plan)) {
      commits.push(c.step);
      held.push(c.hold);
    }
    if (last(plan).type !== "tick") return { plan, commits, held };
    plan = await planStep(world, plan.state, { type: "tick", now });
  }
}

async function next(world: PlanWorld, plan: Plan, event: PlanEvent) {
  return until(world, await planStep(world, plan.state, event));
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

describe("the step planner", () => {
  it("starts at the trigger: the start and the trigger's step are held, and the first effect is planned with its key", async () => {
    const world = worldOf(chain(n("start", "trigger.manual"), n("call", "http.request", { url: "https://example.test/x" }), n("done", "flow.end")));
    const { plan, commits, held } = await until(world);
    expect(eventTypes(commits)).toEqual(["run.started", "node.entered:start", "node.completed:start", "node.entered:call"]);
    expect(held).toEqual([true, true]);
    // Each commit has its own checkpoint, and the log keeps the machine event.
    expect(commits.every((c) => c.checkpoint?.machineHash === world.run.compiled.hash)).toBe(true);
    expect(commits[1]!.events[0]!.payload).toMatchObject({ port: "out", machineEvent: { type: "NODE.DONE", node: "start", port: "out", output: { name: "Ada" } } });
    const step = last(plan);
    expect(step).toMatchObject({ type: "execute", step: { nodeId: "call", key: "run1:call:1", visit: 1, pure: false, spends: false, ledger: { key: "run1:call:1", nodeType: "http.request@1", request: { config: { url: "https://example.test/x" } } } } });
    // The registry's parse, defaults filled in.
    expect((step as Extract<Effect, { type: "execute" }>).step.config).toMatchObject({ ok: true, value: { url: "https://example.test/x", method: "GET" } });
  });

  it("is pure: the same state and event plan the same effects, and neither is changed", async () => {
    const world = worldOf(chain(n("start", "trigger.manual"), n("call", "http.request", { url: "https://example.test/x" }), n("done", "flow.end", { output: { hello: "{{ input.name }}" } })));
    const { plan } = await until(world);
    const before = JSON.stringify(world.machine.getPersistedSnapshot(plan.state.snapshot));
    // The run's data and the event are frozen: changing either would throw.
    deepFreeze(plan.state.snapshot.context);
    deepFreeze(world.run);
    const event = deepFreeze<PlanEvent>({ type: "executed", result: { port: "out", output: { status: 200 } }, attempt: 1, reserved: false });
    const a = await until(world, await planStep(world, plan.state, event));
    const b = await until(world, await planStep(world, plan.state, event));
    expect(JSON.stringify(a.commits)).toBe(JSON.stringify(b.commits));
    expect(a.commits.at(-1)!.run).toMatchObject({ status: "succeeded", output: { hello: "Ada" } });
    expect(JSON.stringify(world.machine.getPersistedSnapshot(plan.state.snapshot))).toBe(before);
  });

  describe("end", () => {
    it.each([
      ["success", "run.succeeded", "succeeded", undefined],
      ["failure", "run.failed", "failed", { message: "ended at 'done' with outcome failure" }],
    ] as const)("an End with outcome %s finishes the run with its rendered output and wakes a parent", async (outcome, event, status, error) => {
      const world = worldOf(chain(n("start", "trigger.manual"), n("done", "flow.end", { outcome, output: { hello: "{{ input.name }}" } })), { parentRunId: "parent1" });
      const { plan, commits } = await until(world);
      expect(last(plan)).toEqual({ type: "stop", outcome: "finished" });
      const end = commits.at(-1)!;
      expect(eventTypes([end])).toEqual([`${event}:done`]);
      expect(end).toMatchObject({ run: { status, output: { hello: "Ada" }, finished: true, wakeAt: null, ...(error ? { error } : {}) }, release: true, wakeRun: "parent1" });
    });

    it("without an End output, the run's output is every node's", async () => {
      const world = worldOf(chain(n("start", "trigger.manual"), n("done", "flow.end")));
      const { commits } = await until(world);
      expect(commits.at(-1)!.run).toMatchObject({ status: "succeeded", output: { start: { name: "Ada" } } });
    });

    it("a run past its maximum duration fails as timed out", async () => {
      const world = worldOf(chain(n("start", "trigger.manual"), n("call", "http.request", { url: "https://example.test/x" }), n("done", "flow.end")), {}, { maxRunMs: 60_000 });
      const begun = await planStep(world, null, { type: "begin" });
      const { plan, commits } = await until(world, begun, at(60_000));
      expect(last(plan)).toEqual({ type: "stop", outcome: "finished" });
      expect(commits.at(-1)).toMatchObject({ events: [{ type: "run.timed_out", payload: { maxRunSeconds: 60 } }], run: { status: "failed", finished: true }, release: true });
    });
  });

  describe("delay", () => {
    const graph = chain(n("start", "trigger.manual"), n("wait", "flow.delay", { duration: "PT5M" }), n("done", "flow.end"));

    it.each([
      ["no timer yet: one is written, and the run sleeps until it fires", null, T0, ["delay.started:wait"], at(5 * 60_000)],
      ["a timer not yet due: the run sleeps on", { fireAt: at(60_000), firedAt: null }, T0, [], at(60_000)],
    ] as const)("%s", async (_name, timer, now, events, wakeAt) => {
      const world = worldOf(graph);
      const { plan } = await until(world);
      expect(last(plan)).toEqual({ type: "read-timer", key: "run1:wait:1:delay" });
      const after = await planStep(world, plan.state, { type: "timer", timer, now });
      const commits = commitsOf(after).map((c) => c.step);
      expect(eventTypes(commits)).toEqual([...events]);
      expect(commits.at(-1)).toMatchObject({ run: { status: "sleeping", wakeAt }, release: true });
      if (!timer) expect(commits[0]!.timer).toEqual({ key: "run1:wait:1:delay", kind: "delay", nodeId: "wait", fireAt: at(5 * 60_000) });
      expect(last(after)).toEqual({ type: "settle", status: "sleeping", children: [] });
    });

    it("a due timer is fired and the run goes on through `out`", async () => {
      const world = worldOf(graph);
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "timer", timer: { fireAt: T0, firedAt: null }, now: T0 });
      expect(after.effects.map((x) => x.type)).toEqual(["fire-timer", "commit", "tick"]);
      expect(eventTypes(commitsOf(after).map((c) => c.step))).toEqual(["delay.finished:wait", "node.entered:done"]);
    });
  });

  describe("approval and form", () => {
    const approval = (config: Record<string, unknown>) =>
      ({
        schemaVersion: 1,
        nodes: [n("start", "trigger.manual"), { ...n("ask", "human.approval", config), typeVersion: 2 }, n("yes", "flow.end"), n("no", "flow.end", { outcome: "failure" })],
        edges: [e("a", "start", "ask"), e("b", "ask", "yes", "approved"), e("c", "ask", "no", "rejected")],
      }) satisfies Graph;

    it("opens an approval with its rendered packet, a notification linking to it and a reminder at 80% of the deadline; the run waits", async () => {
      const world = worldOf(approval({ title: "Greet {{ input.name }}?", proposal: { text: "Hi {{ input.name }}" }, deadline: "PT10H" }));
      const { plan } = await until(world);
      expect(last(plan)).toEqual({ type: "read-approval", nodeId: "ask", visit: 1 });
      const after = await planStep(world, plan.state, { type: "approval", approval: null, now: T0, newId: "ap1" });
      const [open, release] = commitsOf(after).map((c) => c.step);
      expect(open).toMatchObject({
        events: [{ type: "approval.requested", nodeId: "ask", payload: { visit: 1, deadline: at(10 * 3_600_000).toISOString() } }],
        approval: { id: "ap1", nodeId: "ask", visit: 1, risk: "medium", deadlineAt: at(10 * 3_600_000), packet: { title: "Greet Ada?", instructions: "", proposal: { text: "Hi Ada" }, input: { name: "Ada" }, risk: "medium" } },
        notifications: [{ kind: "approval", title: "Approval needed: Greet Ada?", link: "/approvals/ap1" }],
        timer: { key: "run1:ask:1:remind", kind: "notification", fireAt: at(8 * 3_600_000) },
      });
      expect(release).toMatchObject({ run: { status: "waiting", wakeAt: at(10 * 3_600_000) }, release: true });
      expect(last(after)).toEqual({ type: "settle", status: "waiting", children: [] });
    });

    const decided = (status: "pending" | "approved" | "rejected" | "expired", extra: Record<string, unknown> = {}) => ({ id: "ap1", status, editedData: null, packet: { proposal: { text: "Hi Ada" } }, decidedBy: "ada", deadlineAt: null, ...extra });

    it.each([
      ["approved as proposed", decided("approved"), "approval.approved:ask", "yes", { type: "APPROVE", output: { text: "Hi Ada" } }],
      ["approved with edits", decided("approved", { editedData: { text: "Hello" } }), "approval.approved:ask", "yes", { type: "EDIT", output: { text: "Hello" } }],
      ["rejected", decided("rejected"), "approval.rejected:ask", "no", { type: "REJECT" }],
      ["expired", decided("expired"), "approval.rejected:ask", "no", { type: "REJECT" }],
      ["past its deadline, onDeadline reject", decided("pending", { deadlineAt: T0 }), "approval.rejected:ask", "no", { type: "REJECT" }],
    ] as const)("%s: the run follows the decision's port", async (_name, found, logged, endNode, machineEvent) => {
      const world = worldOf(approval({ title: "Go?", onDeadline: "reject", deadline: "PT1H" }));
      const { plan } = await until(world);
      const { commits } = await next(world, plan, { type: "approval", approval: found, now: T0, newId: "unused" });
      expect(eventTypes(commits).slice(0, 2)).toEqual([logged, `node.entered:${endNode}`]);
      expect(commits[0]!.events[0]!.payload).toMatchObject({ machineEvent: { ...machineEvent, node: "ask" } });
      if (found.status === "pending") expect(commits[0]!.approvalUpdate).toEqual({ id: "ap1", status: "expired", decidedBy: "deadline" });
    });

    it("past its deadline with onDeadline escalate: the operator is told and the run keeps waiting", async () => {
      const world = worldOf(approval({ title: "Go?", deadline: "PT1H" }));
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "approval", approval: decided("pending", { deadlineAt: T0 }), now: T0, newId: "unused" });
      const [escalated, release] = commitsOf(after).map((c) => c.step);
      expect(escalated).toMatchObject({ events: [{ type: "approval.escalated", nodeId: "ask" }], notifications: [{ kind: "approval_overdue", title: "Overdue approval: Go?", link: "/approvals/ap1" }] });
      expect(release).toMatchObject({ run: { status: "waiting", wakeAt: null } });
    });

    it("a form's packet carries its fields, and its proposal is their defaults; submitted goes out through its first port", async () => {
      const graph: Graph = {
        schemaVersion: 1,
        nodes: [
          n("start", "trigger.manual"),
          n("fill", "human.form", { title: "About {{ input.name }}", fields: [{ name: "answer", label: "Answer", type: "text", default: "Dear {{ input.name }}" }, { name: "ok", label: "OK", type: "boolean" }] }),
          n("done", "flow.end"),
        ],
        edges: [e("a", "start", "fill"), e("b", "fill", "done", "submitted")],
      };
      const world = worldOf(graph);
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "approval", approval: null, now: T0, newId: "f1" });
      expect(commitsOf(after)[0]!.step).toMatchObject({
        approval: { packet: { kind: "form", title: "About Ada", proposal: { answer: "Dear Ada", ok: false }, fields: [{ name: "answer", default: "Dear Ada" }, { name: "ok" }] } },
        notifications: [{ kind: "form", title: "Form to fill in: About Ada", link: "/forms/f1" }],
      });
      const { commits } = await next(world, plan, { type: "approval", approval: decided("approved", { editedData: { answer: "x", ok: true } }), now: T0, newId: "unused" });
      expect(commits[0]!.events[0]).toMatchObject({ type: "approval.approved", payload: { port: "submitted", edited: true } });
    });
  });

  describe("sub-workflow", () => {
    const graph = (withErrorEdge: boolean): Graph => ({
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("sub", "flow.subworkflow", { workflow: "child-flow", input: { who: "{{ input.name }}" } }), n("done", "flow.end"), ...(withErrorEdge ? [n("oops", "flow.end", { outcome: "failure" })] : [])],
      edges: [e("a", "start", "sub"), e("b", "sub", "done"), ...(withErrorEdge ? [e("c", "sub", "oops", "error")] : [])],
    });

    it("starts the child once under the step's key with its rendered input, then waits for it", async () => {
      const world = worldOf(graph(false));
      const { plan } = await until(world);
      expect(last(plan)).toEqual({ type: "read-child", key: "run1:sub:1:child" });
      const start = await planStep(world, plan.state, { type: "child", child: null });
      expect(start.effects).toEqual([{ type: "start-child", nodeId: "sub", workflow: "child-flow", input: { who: "Ada" }, key: "run1:sub:1:child" }]);
      const started = await planStep(world, start.state, { type: "child-started", child: { id: "child1" } });
      expect(eventTypes(commitsOf(started).map((c) => c.step))).toEqual(["subworkflow.started:sub"]);
      expect(last(started)).toEqual({ type: "settle", status: "waiting", children: ["run1:sub:1:child"] });
    });

    it.each([
      ["the child succeeded: its output is the step's", { id: "c1", status: "succeeded" as const, output: { ok: 1 }, error: null }, false, ["node.completed:sub", "node.entered:done"], "tick"],
      ["the child is still running: the run waits", { id: "c1", status: "running" as const, output: null, error: null }, false, [], "settle"],
      ["the child failed, no error edge: a dead letter", { id: "c1", status: "failed" as const, output: null, error: { message: "boom" } }, false, ["run.dead:sub"], "stop"],
      ["the child failed, with an error edge: it is followed", { id: "c1", status: "failed" as const, output: null, error: { message: "boom" } }, true, ["node.failed:sub", "node.entered:oops"], "tick"],
    ] as const)("%s", async (_name, child, withErrorEdge, events, ends) => {
      const world = worldOf(graph(withErrorEdge));
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "child", child });
      expect(eventTypes(commitsOf(after).map((c) => c.step)).filter((x) => !x.startsWith("run.") || x === "run.dead:sub")).toEqual(events);
      expect(last(after).type).toBe(ends);
      if (child.status === "failed") expect(JSON.stringify(commitsOf(after)[0]!.step)).toContain("sub-workflow run c1 failed: boom");
    });

    it("a workflow that does not exist fails the step for good", async () => {
      const world = worldOf(graph(false));
      const { plan } = await until(world);
      const start = await planStep(world, plan.state, { type: "child", child: null });
      const after = await planStep(world, start.state, { type: "child-started", child: null });
      expect(last(after)).toEqual({ type: "stop", outcome: "dead" });
      expect(commitsOf(after)[0]!.step.deadLetter?.packet).toMatchObject({ node: "sub", attempts: [{ attempt: 1, error: { kind: "permanent", message: "workflow 'child-flow' does not exist or has no published version" } }] });
    });
  });

  it("fork and join: every branch runs, and the join outputs each branch's last output by node id", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("fork", "flow.fork"), n("a", "data.transform", { expression: "1" }), n("b", "data.transform", { expression: "2" }), n("join", "flow.join"), n("done", "flow.end")],
      edges: [e("x1", "start", "fork"), e("x2", "fork", "a"), e("x3", "fork", "b"), e("x4", "a", "join"), e("x5", "b", "join"), e("x6", "join", "done")],
    };
    const world = worldOf(graph);
    let { plan, commits } = await until(world);
    expect(eventTypes(commits).slice(-3)).toEqual(["node.completed:fork", "node.entered:a", "node.entered:b"]);
    // Branches run one step at a time, in node order.
    for (const [node, output] of [["a", 1], ["b", 2]] as const) {
      expect(last(plan)).toMatchObject({ type: "execute", step: { nodeId: node, pure: true } });
      ({ plan, commits } = await next(world, plan, { type: "executed", result: { port: "out", output }, attempt: 1, reserved: false }));
    }
    const join = commits.find((c) => c.events[0]!.nodeId === "join" && c.events[0]!.type === "node.completed")!;
    expect(join.events[0]!.payload).toMatchObject({ machineEvent: { output: { a: 1, b: 2 } } });
    expect(last(plan)).toEqual({ type: "stop", outcome: "finished" });
  });

  it("loops: each pass is a new visit of the body, under its own key", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("each", "loop.forEach", { items: "input.list" }), n("call", "http.request", { url: "https://example.test/x" }), n("done", "flow.end")],
      edges: [e("x1", "start", "each"), e("x2", "each", "call", "item"), e("x3", "call", "each"), e("x4", "each", "done", "done")],
    };
    const world = worldOf(graph);
    let { plan } = await until(world);
    const keys: string[] = [];
    for (let pass = 1; pass <= 2; pass++) {
      expect(last(plan)).toMatchObject({ type: "execute", step: { nodeId: "each", iteration: pass } });
      ({ plan } = await next(world, plan, { type: "executed", result: { port: "item", output: pass }, attempt: 1, reserved: false }));
      const call = last(plan) as Extract<Effect, { type: "execute" }>;
      keys.push(call.step.key);
      ({ plan } = await next(world, plan, { type: "executed", result: { port: "out", output: null }, attempt: 1, reserved: false }));
    }
    expect(keys).toEqual(["run1:call:1", "run1:call:2"]);
  });

  describe("executor steps", () => {
    const graph = (errorEdge = false, second = "http.request"): Graph => ({
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("call", "http.request", { url: "https://example.test/x" }, { retry: { attempts: 3, initialDelayMs: 1_000, maxDelayMs: 60_000, factor: 2 } }),
        n("next", second, second === "http.request" ? { url: "https://example.test/y" } : { expression: "1" }),
        n("done", "flow.end"),
        ...(errorEdge ? [n("oops", "flow.end", { outcome: "failure" })] : []),
      ],
      edges: [e("x1", "start", "call"), e("x2", "call", "next"), e("x3", "next", "done"), ...(errorEdge ? [e("x4", "call", "oops", "error")] : [])],
    });

    it("a completed effect commits its ledger row, and writes the next effect's row ahead in the same commit", async () => {
      const world = worldOf(graph());
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "executed", result: { port: "out", output: { status: 200 }, cost: { units: 0.5 } }, attempt: 1, reserved: false });
      const [done] = commitsOf(after);
      expect(done).toMatchObject({
        hold: false,
        settles: "run1:call:1",
        reserve: { key: "run1:next:1", nodeId: "next", visit: 1, nodeType: "http.request@1" },
        step: { effect: { key: "run1:call:1", status: "completed", result: { port: "out", output: { status: 200 } }, costUnits: 0.5 }, run: { costTokens: 0, costUnits: 0.5 } },
      });
      expect(done!.step.effect).not.toHaveProperty("countAttempt");
      // A row written ahead counts its attempt when the outcome is committed.
      const reserved = await planStep(world, plan.state, { type: "executed", result: { port: "out", output: null }, attempt: 1, reserved: true });
      expect(commitsOf(reserved)[0]!.step.effect).toMatchObject({ countAttempt: true });
    });

    it("a pure next step gets no row ahead, and a pure step's own commit is held", async () => {
      const world = worldOf(graph(false, "data.transform"));
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "executed", result: { port: "out", output: null }, attempt: 1, reserved: false });
      expect(commitsOf(after)[0]).not.toHaveProperty("reserve");
      const { plan: pure } = await until(world, after);
      expect(last(pure)).toMatchObject({ type: "execute", step: { nodeId: "next", pure: true } });
      const done = await planStep(world, pure.state, { type: "executed", result: { port: "out", output: 1 }, attempt: 1, reserved: false });
      expect(commitsOf(done)[0]).toMatchObject({ hold: true });
      expect(commitsOf(done)[0]!.step).not.toHaveProperty("effect");
    });

    it("a completed effect whose next step is the End is held, and the run's finish commits with it", async () => {
      const world = worldOf(chain(n("start", "trigger.manual"), n("call", "http.request", { url: "https://example.test/x" }), n("done", "flow.end")));
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "executed", result: { port: "out", output: null }, attempt: 1, reserved: false });
      expect(commitsOf(after)[0]).toMatchObject({ hold: true, settles: "run1:call:1" });
      const { plan: finished, held } = await until(world, after);
      expect(held).toEqual([true, false]);
      expect(last(finished)).toEqual({ type: "stop", outcome: "finished" });
    });

    it("a replayed result moves the run on without running anything", async () => {
      const world = worldOf(graph());
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "replayed", result: { port: "out", output: { status: 200 } } });
      expect(commitsOf(after)[0]!.step.events[0]).toMatchObject({ type: "node.completed", payload: { port: "out", replayed: true } });
    });

    it.each([1, 2])("a retryable failure at attempt %i of 3 sleeps for the backoff retry.ts gives", async (attempt) => {
      const world = worldOf(graph());
      const { plan } = await until(world);
      const failure = { message: "503", kind: "retryable" as const, name: "RetryableError" };
      const after = await planStep(world, plan.state, { type: "failed", failure, attempt, reserved: false, jitter: 0.5, now: T0, retryAfterMs: 5_000 });
      const policy = { attempts: 3, initialDelayMs: 1_000, maxDelayMs: 60_000, factor: 2, timeoutMs: 30_000 };
      const delayMs = backoffMs(policy, attempt, () => 0.5, 5_000);
      expect(commitsOf(after)[0]!.step).toMatchObject({
        events: [
          { type: "node.failed", payload: { attempt, error: failure } },
          { type: "node.retry_scheduled", payload: { attempt: attempt + 1, delayMs, at: at(delayMs).toISOString() } },
        ],
        effect: { key: "run1:call:1", status: "failed", error: failure },
        run: { status: "sleeping", wakeAt: at(delayMs) },
        release: true,
      });
      expect(last(after)).toEqual({ type: "stop", outcome: "sleeping" });
    });

    it.each([
      ["retries spent", { message: "503", kind: "retryable" as const }, 3],
      ["a permanent failure", { message: "400", kind: "permanent" as const }, 1],
    ])("%s with no error edge: a dead letter with every attempt", async (_name, failure, attempt) => {
      const world = worldOf(graph());
      const { plan } = await until(world);
      const asked = await planStep(world, plan.state, { type: "failed", failure, attempt, reserved: true, jitter: 0, now: T0 });
      expect(asked.effects).toEqual([{ type: "read-failures", nodeId: "call" }]);
      const earlier = [{ attempt: 1, error: { message: "first" } }, { attempt: 2, error: { message: "second" } }];
      const dead = await planStep(world, asked.state, { type: "failures", earlier });
      expect(last(dead)).toEqual({ type: "stop", outcome: "dead" });
      expect(commitsOf(dead)[0]!.step).toMatchObject({
        events: [{ type: "run.dead", nodeId: "call" }],
        effect: { key: "run1:call:1", status: "failed", countAttempt: true },
        deadLetter: { nodeId: "call", packet: { node: "call", visit: 1, attempts: [...earlier.filter((x) => x.attempt < attempt), { attempt, error: failure }] } },
        run: { status: "dead" },
      });
    });

    it("a failure with an error edge follows it", async () => {
      const world = worldOf(graph(true));
      const { plan } = await until(world);
      const { commits } = await next(world, plan, { type: "failed", failure: { message: "400", kind: "permanent" }, attempt: 1, reserved: false, jitter: 0, now: T0 });
      expect(eventTypes(commits).slice(0, 2)).toEqual(["node.failed:call", "node.entered:oops"]);
    });

    it.each([
      [false, true],
      [true, false],
    ])("a throttled step (row written ahead: %s) sleeps until the next token and spends no attempt", async (reserved, takenBack) => {
      const world = worldOf(graph());
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "throttled", failure: { message: "rate limited", kind: "retryable" }, attempt: 1, reserved, retryAfterMs: 2_000, alreadyLogged: false, now: T0 });
      const step = commitsOf(after)[0]!.step;
      expect(step).toMatchObject({ events: [{ type: "node.throttled", nodeId: "call" }], run: { status: "sleeping", wakeAt: at(2_000) } });
      expect(step.effect!.attemptNotCounted === true).toBe(takenBack);
      expect(step.effect).not.toHaveProperty("countAttempt");
    });

    it("a step held by a budget sleeps until it allows, with the reason logged", async () => {
      const world = worldOf(graph());
      const { plan } = await until(world);
      const after = await planStep(world, plan.state, { type: "held", hold: { reason: "budget_exceeded", budget: "All of Keel", detail: "spent", until: at(3_600_000) } });
      expect(commitsOf(after)[0]!.step).toMatchObject({ events: [{ type: "run.paused", nodeId: "call" }], run: { status: "sleeping", wakeAt: at(3_600_000) }, notifications: [{ kind: "budget_exceeded", link: "/runs/run1" }] });
    });

    it("a dead step retried with edited config runs under a new key with that config", async () => {
      const world = worldOf(graph(), {}, { stepOverrides: { call: { visit: 1, config: { url: "https://example.test/edited" }, generation: 2 } } });
      const { plan } = await until(world);
      expect(last(plan)).toMatchObject({ type: "execute", step: { key: "run1:call:1:e2", config: { ok: true, value: { url: "https://example.test/edited" } } } });
    });
  });

  it("a yield hands the run back to the queue", async () => {
    const world = worldOf(chain(n("start", "trigger.manual"), n("done", "flow.end")));
    const begun = await planStep(world, null, { type: "begin" });
    const after = await planStep(world, begun.state, { type: "yield" });
    expect(commitsOf(after)[0]!.step).toMatchObject({ run: { status: "queued" }, release: true });
    expect(last(after)).toEqual({ type: "stop", outcome: "yielded" });
  });
});
