import { describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { graph, LOOP_BODY, portsOfRole } from "./hand-graphs";
import { activeNodes, initial, send, start, type RefState, type WorkflowEvent } from "./reference-interpreter";

// The reference interpreter on hand-made graphs, against SEMANTICS.md read by hand.

const [YES, NO] = portsOfRole("choice") as [string, string];
const done = (node: string, port = "out"): WorkflowEvent => ({ type: "NODE.DONE", node, port, output: null });

function run(g: ReturnType<typeof graph>, ...events: WorkflowEvent[]): RefState {
  return events.reduce(send, start(g, registry, "t"));
}

describe("reference interpreter", () => {
  it("walks a sequence and ends implicitly on a port without an edge", () => {
    const g = graph({ t: "trigger", a: "step", b: "step" }, ["t", "a"], ["a", "b"]);
    expect(activeNodes(initial(g, registry))).toEqual([]);
    const s = run(g);
    expect(activeNodes(s)).toEqual(["t"]);
    expect(activeNodes(send(s, done("t")))).toEqual(["a"]);
    const end = run(g, done("t"), done("a"), done("b"));
    expect(activeNodes(end)).toEqual([]);
    expect(end.status).toEqual({ status: "done", end: null, outcome: "success" });
    expect(end.visits).toEqual({ t: 1, a: 1, b: 1 });
  });

  it("finishes at an end node with its outcome", () => {
    const g = graph({ t: "trigger", c: "choice", ok: "end", bad: ["end", { outcome: "failure" }] }, ["t", "c"], [`c.${YES}`, "ok"], [`c.${NO}`, "bad"]);
    expect(run(g, done("t"), done("c", NO)).status).toEqual({ status: "done", end: "bad", outcome: "failure" });
    const ok = run(g, done("t"), done("c", YES));
    expect(ok.status).toEqual({ status: "done", end: "ok", outcome: "success" });
    expect(ok.visits).toEqual({ t: 1, c: 1, ok: 1 });
    expect(send(ok, done("c", YES))).toBe(ok);
  });

  it("follows an error edge on NODE.FAILED, and ignores it without one", () => {
    const g = graph({ t: "trigger", f: "fallible", h: "step", g: "fallible" }, ["t", "f"], ["f.error", "h"], ["h", "g"]);
    const failed = run(g, done("t"), { type: "NODE.FAILED", node: "f", error: "x" });
    expect(activeNodes(failed)).toEqual(["h"]);
    const atG = run(g, done("t"), { type: "NODE.FAILED", node: "f" }, done("h"));
    expect(send(atG, { type: "NODE.FAILED", node: "g" })).toBe(atG);
    expect(send(atG, done("g", "error"))).toBe(atG);
  });

  it("ignores events for inactive nodes, unknown ports and other behaviors", () => {
    const g = graph({ t: "trigger", a: "step", p: "approval", w: "delay" }, ["t", "a"], ["a", "p"], ["p.approved", "w"]);
    const atA = run(g, done("t"));
    for (const event of [done("p", "approved"), done("a", "nope"), { type: "WAKE", node: "a" }, { type: "APPROVE", node: "a" }, { type: "START", node: "t" }] as WorkflowEvent[]) {
      expect(send(atA, event)).toBe(atA);
    }
    const atP = send(atA, done("a"));
    expect(send(atP, done("p", "approved"))).toBe(atP);
    expect(activeNodes(send(atP, { type: "EDIT", node: "p", output: 1 }))).toEqual(["w"]);
    expect(send(atP, { type: "REJECT", node: "p" }).status).toEqual({ status: "done", end: null, outcome: "success" });
    const atW = send(atP, { type: "APPROVE", node: "p" });
    expect(send(atW, done("w"))).toBe(atW);
    expect(send(atW, { type: "WAKE", node: "w" }).status.status).toBe("done");
    expect(send(initial(g, registry), { type: "START", node: "a" }).started).toBe(false);
  });

  it("runs fork branches together and activates the join when all have finished", () => {
    const g = graph(
      { t: "trigger", f: "fork", a: "step", c: "choice", j: "join", z: "step" },
      ["t", "f"], ["f", "a"], ["f", "c"], ["a", "j"], [`c.${YES}`, "j"], ["j", "z"],
    );
    const forked = run(g, done("t"), done("f"));
    expect(activeNodes(forked)).toEqual(["a", "c"]);
    const oneLeft = send(forked, done("c", NO)); // implicit end inside a branch
    expect(activeNodes(oneLeft)).toEqual(["a"]);
    expect(oneLeft.status.status).toBe("active");
    const joined = send(oneLeft, done("a"));
    expect(activeNodes(joined)).toEqual(["j"]);
    expect(joined.visits.j).toBe(1);
    expect(activeNodes(send(joined, done("j")))).toEqual(["z"]);
    // Every branch ending implicitly still completes the fork.
    expect(activeNodes(send(send(forked, done("c", NO)), done("a")))).toEqual(["j"]);
  });

  it("treats a branch straight into the join as finished at once, and nests forks whole", () => {
    const g = graph(
      { t: "trigger", f: "fork", g: "fork", a: "step", b: "step", k: "join", j: "join" },
      ["t", "f"], ["f", "j"], ["f", "g"], ["g", "a"], ["g", "b"], ["a", "k"], ["b", "k"], ["k", "j"],
    );
    const s = run(g, done("t"), done("f"), done("g"));
    expect(activeNodes(s)).toEqual(["a", "b"]);
    const inner = run(g, done("t"), done("f"), done("g"), done("b"), done("a"));
    expect(activeNodes(inner)).toEqual(["k"]);
    expect(activeNodes(send(inner, done("k")))).toEqual(["j"]);
  });

  it("goes round a loop, counting every visit, including through a self-edge", () => {
    const g = graph({ t: "trigger", l: "loop", a: "step", m: "loop" }, ["t", "l"], [`l.${LOOP_BODY}`, "a"], ["a", "l"], ["l.done", "m"], [`m.${LOOP_BODY}`, "m"]);
    const s = run(g, done("t"), done("l", LOOP_BODY), done("a"), done("l", LOOP_BODY), done("a"), done("l", "done"), done("m", LOOP_BODY));
    expect(activeNodes(s)).toEqual(["m"]);
    expect(s.visits).toEqual({ t: 1, l: 3, a: 2, m: 2 });
  });

  it("re-runs a fork inside a loop from scratch", () => {
    const g = graph({ t: "trigger", l: "loop", f: "fork", a: "step", b: "step", j: "join" }, ["t", "l"], [`l.${LOOP_BODY}`, "f"], ["f", "a"], ["f", "b"], ["a", "j"], ["b", "j"], ["j", "l"]);
    const once = [done("l", LOOP_BODY), done("f"), done("a"), done("b"), done("j")];
    const s = run(g, done("t"), ...once, ...once, done("l", LOOP_BODY), done("f"), done("b"));
    expect(activeNodes(s)).toEqual(["a"]);
    expect(s.visits).toEqual({ t: 1, l: 3, f: 3, a: 3, b: 3, j: 2 });
  });
});
