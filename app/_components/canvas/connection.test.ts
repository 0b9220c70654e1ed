import { describe, expect, it } from "vitest";
import { validateGraph } from "../../../engine/graph";
import type { Graph } from "../../../engine/graph/schema";
import { registry } from "../../../nodes/catalog";
import { connectionRefusal } from "./connection";

const n = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, label: "", position: { x: 0, y: 0 }, config });
const e = (id: string, source: string, target: string, sourcePort = "out") => ({ id, source, sourcePort, target, targetPort: "in" });

function refusal(graph: Graph, candidate: { source: string; sourcePort?: string; target: string }) {
  const result = validateGraph(graph, registry);
  return connectionRefusal(graph, result.ok ? [] : result.problems, { sourcePort: "out", targetPort: "in", ...candidate }, registry);
}

describe("connections refused while dragging", () => {
  const graph: Graph = {
    schemaVersion: 1,
    // `call` has no url yet: a loop through it is refused all the same.
    nodes: [n("start", "trigger.manual"), n("call", "http.request"), n("note", "notify.operator", { title: "hi" }), n("each", "loop.forEach", { items: "input.list" })],
    edges: [e("e1", "start", "call"), e("e2", "call", "note")],
  };

  it("allows a plain connection", () => {
    expect(refusal(graph, { source: "note", target: "each" })).toBeNull();
  });

  it("refuses a node to itself, a repeated edge, a second edge from one output, an edge into a trigger", () => {
    expect(refusal(graph, { source: "note", target: "note" })).toBe("A node cannot connect to itself.");
    expect(refusal({ ...graph, nodes: graph.nodes.map((x) => (x.id === "call" ? { ...x, config: { url: "https://a.example" } } : x)) }, { source: "start", target: "call" })).toMatch(
      /repeats another edge|already has an edge/,
    );
    expect(refusal(graph, { source: "start", target: "note" })).toMatch(/already has an edge \('e1'\)/);
    expect(refusal(graph, { source: "note", target: "start" })).toMatch(/trigger/);
  });

  it("refuses a loop without a loop node, even through a node still being configured", () => {
    expect(refusal(graph, { source: "note", target: "call" })).toMatch(/closes a loop .* no loop node/);
  });
});
