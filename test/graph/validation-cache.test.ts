import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateGraph } from "../../engine/graph";
import type { Graph } from "../../engine/graph/schema";
import { createValidationCache } from "../../engine/graph/validation-cache";
import { registry } from "../../nodes/catalog";
import { graphArbitrary } from "./arbitrary-graphs";

// The editor validates through a cache that remembers unchanged node objects. Over random valid
// graphs and random edits made the way the editor's store makes them (a changed node is a new
// object, the others are kept), the cached answer must equal the uncached one, problems and
// their order included.

type Edit = { kind: "move" | "badConfig" | "badExpression" | "unknownType" | "forbiddenKey" | "badId" | "delete" | "restore"; at: number };

const editArbitrary: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom("move", "badConfig", "badExpression", "unknownType", "forbiddenKey", "badId", "delete", "restore"),
  at: fc.nat(),
});

function apply(graph: Graph, original: Graph, edit: Edit): Graph {
  if (edit.kind === "restore") return original;
  if (graph.nodes.length === 0) return graph;
  const i = edit.at % graph.nodes.length;
  const n = graph.nodes[i]!;
  if (edit.kind === "delete") return { ...graph, nodes: graph.nodes.filter((_, j) => j !== i) };
  const changed = (() => {
    switch (edit.kind) {
      case "move":
        return { ...n, position: { x: n.position.x + 7, y: n.position.y } };
      case "badConfig":
        return { ...n, config: { ...n.config, notAField: 1 } };
      case "badExpression":
        return { ...n, config: Object.fromEntries(Object.entries(n.config).map(([k, v]) => [k, typeof v === "string" ? "{{ (" : v])) };
      case "unknownType":
        return { ...n, type: "no.such.type" };
      case "forbiddenKey":
        return { ...n, config: JSON.parse(`{"__proto__": {"x": 1}}`) as Record<string, unknown> };
      case "badId":
        return { ...n, id: "9 not an id" };
    }
  })();
  return { ...graph, nodes: graph.nodes.map((m, j) => (j === i ? changed : m)) };
}

describe("validation with a cache of unchanged nodes", () => {
  it("answers exactly as validation without one, edit after edit", () => {
    fc.assert(
      fc.property(graphArbitrary, fc.array(editArbitrary, { minLength: 1, maxLength: 12 }), (original, edits) => {
        const cache = createValidationCache(registry);
        let graph = original;
        expect(validateGraph(graph, registry, cache)).toEqual(validateGraph(graph, registry));
        for (const edit of edits) {
          graph = apply(graph, original, edit);
          expect(validateGraph(graph, registry, cache)).toEqual(validateGraph(graph, registry));
        }
      }),
      { numRuns: 40, seed: 4_242 },
    );
  });

  it("finds a problem in a node it has seen before only once that node is a new object", () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        { id: "start", type: "trigger.manual", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} },
        { id: "check", type: "logic.if", typeVersion: 1, label: "", position: { x: 200, y: 0 }, config: { condition: "input.a > 1" } },
      ],
      edges: [],
    };
    const cache = createValidationCache(registry);
    expect(validateGraph(graph, registry, cache).problems.map((p) => p.code)).toEqual(["unreachable_node"]);
    const edited = { ...graph, nodes: [graph.nodes[0]!, { ...graph.nodes[1]!, config: { condition: "input.a >" } }] };
    expect(validateGraph(edited, registry, cache).problems.map((p) => p.code)).toEqual(["invalid_expression", "unreachable_node"]);
  });
});
