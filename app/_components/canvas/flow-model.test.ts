import { describe, expect, it } from "vitest";
import type { Graph } from "../../../engine/graph/schema";
import { registry } from "../../../nodes/catalog";
import { toFlowNodes } from "./flow-model";

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
