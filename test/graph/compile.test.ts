import { readFileSync } from "node:fs";
import { initialTransition, transition } from "xstate";
import { describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { compileGraph } from "../../engine/graph/compile";
import { CONSTRUCTS } from "./constructs.fixture";
import { activeNodes, createWorkflowMachine, runStatus, visits, type WorkflowEvent } from "../../engine/graph/machine";
import type { Graph } from "../../engine/graph/schema";
import { validateGraph } from "../../engine/graph/validate";

// Golden files in ./golden were reviewed by hand against SEMANTICS.md: a change to the compiler
// that changes them must be reviewed again, never regenerated blindly.

function compile(graph: Graph) {
  const result = validateGraph(graph, registry);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return compileGraph(result.graph, registry);
}

function run(graph: Graph, events: WorkflowEvent[]) {
  const machine = createWorkflowMachine(compile(graph));
  let [snapshot] = initialTransition(machine);
  const trace: string[][] = [];
  for (const event of events) {
    [snapshot] = transition(machine, snapshot, event);
    trace.push(activeNodes(snapshot));
  }
  return { trace, status: runStatus(snapshot), visits: visits(snapshot), context: snapshot.context };
}

const done = (node: string, port = "out", output?: unknown): WorkflowEvent => ({ type: "NODE.DONE", node, port, output });

describe("the compiler", () => {
  it.each(Object.keys(CONSTRUCTS))("compiles %s to its reviewed golden machine", (name) => {
    const golden = JSON.parse(readFileSync(new URL(`./golden/${name}.machine.json`, import.meta.url), "utf8"));
    expect(compile(CONSTRUCTS[name]!).machine).toEqual(golden);
  });

  it("is deterministic: the same graph, in any order, gives byte-identical output and hash", () => {
    const graph = CONSTRUCTS["parallel-join"]!;
    const shuffled: Graph = { ...graph, nodes: [...graph.nodes].reverse(), edges: [...graph.edges].reverse() };
    const a = compile(graph);
    const b = compile(shuffled);
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("ignores positions and labels, and changes the hash when behaviour changes", () => {
    const graph = CONSTRUCTS.linear!;
    const moved: Graph = { ...graph, nodes: graph.nodes.map((node) => ({ ...node, label: `${node.label}!`, position: { x: 9, y: 9 } })) };
    expect(compile(moved).hash).toBe(compile(graph).hash);
    const changed: Graph = { ...graph, nodes: graph.nodes.map((node) => (node.id === "done" ? { ...node, config: { outcome: "failure" } } : node)) };
    expect(compile(changed).hash).not.toBe(compile(graph).hash);
    // A config the machine does not encode (an expression, a URL) still makes a new version.
    const reconfigured: Graph = { ...graph, nodes: graph.nodes.map((node) => (node.id === "shape" ? { ...node, config: { expression: "input.a * input.b" } } : node)) };
    expect(compile(reconfigured).machine).toEqual(compile(graph).machine);
    expect(compile(reconfigured).hash).not.toBe(compile(graph).hash);
    const reordered: Graph = { ...graph, nodes: graph.nodes.map((node) => ({ ...node, config: Object.fromEntries(Object.entries(node.config).reverse()) })) };
    expect(compile(reordered).hash).toBe(compile(graph).hash);
  });

  it("produces plain JSON and a state for every node", () => {
    const compiled = compile(CONSTRUCTS["approval-delay-error"]!);
    expect(JSON.parse(JSON.stringify(compiled.machine))).toEqual(compiled.machine);
    expect(Object.keys(compiled.stateMap).sort()).toEqual(CONSTRUCTS["approval-delay-error"]!.nodes.map((n) => n.id).sort());
    expect(compiled.nodes.child).toEqual({ type: "flow.subworkflow", version: 1, behavior: "task" });
  });
});

describe("compiled machines behave as SEMANTICS.md says", () => {
  it("linear: start, transform, end", () => {
    const r = run(CONSTRUCTS.linear!, [{ type: "START", node: "start", input: { a: 1, b: 2 } }, done("start"), done("shape", "out", { total: 3 })]);
    expect(r.trace).toEqual([["start"], ["shape"], []]);
    expect(r.status).toEqual({ status: "done", end: "done", outcome: "success" });
    expect(r.context.outputs.shape).toEqual({ total: 3 });
    expect(r.context.input).toEqual({ a: 1, b: 2 });
  });

  it("if/else takes the branch the engine chose, and the merge continues", () => {
    const r = run(CONSTRUCTS["if-else-merge"]!, [{ type: "START", node: "start" }, done("start"), done("big", "false"), done("auto"), done("merge")]);
    expect(r.trace).toEqual([["start"], ["big"], ["auto"], ["merge"], []]);
    expect(r.visits).toEqual({ start: 1, big: 1, auto: 1, merge: 1, done: 1 });
  });

  it("switch: a case, the default, and an unconnected case that ends the run", () => {
    const base: WorkflowEvent[] = [{ type: "START", node: "start" }, done("start")];
    expect(run(CONSTRUCTS.switch!, [...base, done("route", "default")]).status).toEqual({ status: "done", end: "other", outcome: "failure" });
    expect(run(CONSTRUCTS.switch!, [...base, done("route", "billing")]).status).toEqual({ status: "done", end: "billing", outcome: "success" });
    expect(run(CONSTRUCTS.switch!, [...base, done("route", "bug")]).status).toEqual({ status: "done", end: null, outcome: "success" });
  });

  it("for-each visits the body once per item, counting visits for idempotency keys", () => {
    const r = run(CONSTRUCTS["for-each"]!, [
      { type: "START", node: "start" },
      done("start"),
      done("each", "item"),
      done("bill"),
      done("each", "item"),
      done("bill"),
      done("each", "done"),
    ]);
    expect(r.visits).toEqual({ start: 1, each: 3, bill: 2, done: 1 });
    expect(r.status).toMatchObject({ status: "done", end: "done" });
  });

  it("repeat-until sleeps in its body until WAKE, and ends implicitly when done", () => {
    const r = run(CONSTRUCTS["repeat-until"]!, [
      { type: "START", node: "start" },
      done("start"),
      done("poll", "again"),
      { type: "NODE.DONE", node: "check", port: "out" }, // not how a delay completes: ignored
      { type: "WAKE", node: "check" },
      done("poll", "done"),
    ]);
    expect(r.trace).toEqual([["start"], ["poll"], ["check"], ["check"], ["poll"], []]);
    expect(r.status).toEqual({ status: "done", end: null, outcome: "success" });
  });

  it("parallel branches are active together, and the join waits for all of them", () => {
    const r = run(CONSTRUCTS["parallel-join"]!, [{ type: "START", node: "start" }, done("start"), done("fork"), done("crm"), done("mail"), done("join")]);
    expect(r.trace).toEqual([["start"], ["fork"], ["crm", "mail"], ["mail"], ["join"], []]);
    expect(r.status).toMatchObject({ status: "done", end: "done" });
  });

  it("approval waits for a decision; EDIT approves with the edited data; REJECT follows rejected", () => {
    const start: WorkflowEvent[] = [{ type: "START", node: "start", input: { subject: "Hi" } }, done("start")];
    const edited = run(CONSTRUCTS["approval-delay-error"]!, [...start, done("ask"), { type: "EDIT", node: "ask", output: { subject: "Hello" } }]);
    expect(edited.trace).toEqual([["start"], ["ask"], ["ask"], ["wait"]]);
    expect(edited.context.outputs.ask).toEqual({ subject: "Hello" });
    expect(run(CONSTRUCTS["approval-delay-error"]!, [...start, { type: "REJECT", node: "ask" }]).status).toMatchObject({ end: "declined" });
  });

  it("a failure follows the error edge; without one, the machine leaves it to the engine", () => {
    const toChild: WorkflowEvent[] = [{ type: "START", node: "start" }, done("start"), { type: "APPROVE", node: "ask" }, { type: "WAKE", node: "wait" }];
    const failed = run(CONSTRUCTS["approval-delay-error"]!, [...toChild, { type: "NODE.FAILED", node: "child", error: { message: "child failed" } }]);
    expect(failed.status).toEqual({ status: "done", end: "failed", outcome: "failure" });
    expect(failed.context.errors.child).toEqual({ message: "child failed" });
    const noEdge = run(CONSTRUCTS.linear!, [{ type: "START", node: "start" }, done("start"), { type: "NODE.FAILED", node: "shape" }]);
    expect(noEdge.trace.at(-1)).toEqual(["shape"]);
  });

  it("ignores events for nodes that are not active", () => {
    const r = run(CONSTRUCTS.linear!, [{ type: "START", node: "start" }, done("shape"), { type: "START", node: "start" }]);
    expect(r.trace).toEqual([["start"], ["start"], ["start"]]);
    expect(r.visits).toEqual({ start: 1 });
  });

  it("counts a nested loop's passes afresh on every outer pass, while visits keep growing", () => {
    const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, label: id, position: { x: 0, y: 0 }, config });
    const edge = (id: string, source: string, target: string, sourcePort = "out") => ({ id, source, sourcePort, target, targetPort: "in" });
    const nested: Graph = {
      schemaVersion: 1,
      nodes: [node("start", "trigger.manual"), node("outer", "loop.forEach", { items: "input.rows" }), node("inner", "loop.forEach", { items: "outer.item" }), node("cell", "logic.merge"), node("done", "flow.end")],
      edges: [edge("e1", "start", "outer"), edge("e2", "outer", "inner", "item"), edge("e3", "inner", "cell", "item"), edge("e4", "cell", "inner"), edge("e5", "inner", "outer", "done"), edge("e6", "outer", "done", "done")],
    };
    const passes = [{ type: "START", node: "start" }, done("start"), done("outer", "item"), done("inner", "item"), done("cell"), done("inner", "done"), done("outer", "item")] as WorkflowEvent[];
    const r = run(nested, passes);
    const iterations = (r.context as { iterations: Record<string, number> }).iterations;
    // inner was entered twice, finished once in between: its second entry is pass 1 again.
    expect(r.visits.inner).toBe(3);
    expect(iterations.inner).toBe(1);
    expect(iterations.outer).toBe(2);
  });
});
