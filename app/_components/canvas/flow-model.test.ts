import { describe, expect, it } from "vitest";
import type { Graph } from "../../../engine/graph/schema";
import { registry } from "../../../nodes/catalog";
import { toFlowEdges, toFlowNodes } from "./flow-model";
import { runOverlay } from "./run-overlay";

const n = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, label: "", position: { x: 0, y: 0 }, config });

describe("flow nodes: waiting counts at pause points", () => {
  const graph: Graph = {
    schemaVersion: 1,
    nodes: [n("start", "trigger.manual"), n("ask", "human.approval", { title: "ok?" }), n("note", "notify.operator", { title: "hi" })],
    edges: [],
  };

  it("carries each node's count and rebuilds only the node whose count changed", () => {
    const before = toFlowNodes(graph, registry, { waiting: { ask: 1 } });
    expect(before.map((f) => f.data.waiting)).toEqual([undefined, 1, undefined]);
    const after = toFlowNodes(graph, registry, { waiting: { ask: 2 } }, before);
    expect(after[1]!.data.waiting).toBe(2);
    expect(after[1]).not.toBe(before[1]);
    expect(after[0]).toBe(before[0]);
    expect(after[2]).toBe(before[2]);
    expect(toFlowNodes(graph, registry, { waiting: { ask: 2 } }, after)[1]).toBe(after[1]);
  });
});

describe("flow edges: taken edges from the run's log", () => {
  // A form's old log names no port: its "declined" edge is found from the registry's ports.
  const graph: Graph = {
    schemaVersion: 1,
    nodes: [n("start", "trigger.manual"), n("ask", "human.form", { title: "details", fields: [{ name: "x", label: "X", type: "text" }] }), n("a", "notify.operator", { title: "a" }), n("b", "notify.operator", { title: "b" })],
    edges: [
      { id: "e1", source: "start", sourcePort: "out", target: "ask", targetPort: "in" },
      { id: "e2", source: "ask", sourcePort: "submitted", target: "a", targetPort: "in" },
      { id: "e3", source: "ask", sourcePort: "declined", target: "b", targetPort: "in" },
    ],
  };

  it("marks exactly the edges the events took, with their counts, and rebuilds only those that changed", () => {
    const overlay = runOverlay(graph, registry, [
      { type: "node.completed", nodeId: "start", payload: { port: "out" } },
      { type: "node.entered", nodeId: "ask", payload: { visit: 1 } },
      { type: "approval.rejected", nodeId: "ask", payload: { by: "operator" } },
      { type: "node.entered", nodeId: "b", payload: { visit: 1 } },
    ]);
    expect(overlay.takenEdges).toEqual({ e1: 1, e3: 1 });
    const before = toFlowEdges(graph, { takenEdges: {} });
    const after = toFlowEdges(graph, { takenEdges: overlay.takenEdges }, before);
    expect(after.map((e) => e.data?.taken)).toEqual([1, 0, 1]);
    expect(after[1]).toBe(before[1]);
    expect(after[0]).not.toBe(before[0]);
  });
});
