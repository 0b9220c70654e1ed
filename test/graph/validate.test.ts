import { describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { CONSTRUCTS } from "./constructs.fixture";
import type { Problem } from "../../engine/graph/problems";
import type { Graph } from "../../engine/graph/schema";
import { validateGraph } from "../../engine/graph/validate";

function problems(doc: unknown): Problem[] {
  const result = validateGraph(doc, registry);
  return result.ok ? [] : result.problems;
}

function edit(name: string, change: (g: Graph) => void): Graph {
  const graph = structuredClone(CONSTRUCTS[name]!);
  change(graph);
  return graph;
}

describe("graph validation", () => {
  it.each(Object.keys(CONSTRUCTS))("accepts the %s construct", (name) => {
    expect(problems(CONSTRUCTS[name])).toEqual([]);
  });

  it("refuses what is not a graph document, naming the field", () => {
    expect(problems(null)).toEqual([{ path: "(root)", code: "invalid_format", message: "A graph must be a JSON object with schemaVersion, nodes and edges." }]);
    expect(problems({ nodes: [], edges: [] })[0]).toMatchObject({ path: "schemaVersion", code: "invalid_format" });
    expect(problems({ schemaVersion: 9, nodes: [], edges: [] })[0]).toMatchObject({ code: "unsupported_schema_version", message: expect.stringMatching(/newer than this Keel/) });
    expect(problems({ schemaVersion: 1, nodes: [{ id: "a", type: "x", typeVersion: "one", position: { x: 0, y: 0 } }], edges: [] })[0]).toMatchObject({
      nodeId: "a",
      path: "nodes.0.typeVersion",
      code: "invalid_format",
    });
  });

  it("refuses prototype-pollution keys and deep nesting without touching Object.prototype", () => {
    const doc = JSON.parse('{"schemaVersion":1,"nodes":[{"id":"a","type":"trigger.manual","typeVersion":1,"position":{"x":0,"y":0},"config":{"__proto__":{"polluted":true}}}],"edges":[]}');
    expect(problems(doc)).toEqual([{ nodeId: "a", path: "nodes.0.config.__proto__", code: "forbidden_key", message: "The key '__proto__' is not allowed." }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    let deep: unknown = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    expect(problems({ schemaVersion: 1, nodes: [], edges: [], deep })[0]).toMatchObject({ code: "too_deep" });
  });

  it("names unknown keys instead of dropping them, with the key it probably meant", () => {
    const doc = structuredClone(CONSTRUCTS["if-else-merge"]!) as unknown as { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[]; note?: string };
    const edge = doc.edges[0]!;
    edge.sourceport = edge.sourcePort;
    delete edge.sourcePort;
    doc.nodes[0]!.confg = {};
    doc.note = "hi";
    const found = problems(doc).filter((p) => p.code === "unknown_key");
    expect(found).toEqual([
      { path: "note", code: "unknown_key", message: "The graph has an unknown key 'note'; it would be dropped." },
      { nodeId: doc.nodes[0]!.id, path: "nodes.0.confg", code: "unknown_key", message: `Node '${String(doc.nodes[0]!.id)}' has an unknown key 'confg'; it would be dropped.` },
      {
        edgeId: edge.id,
        path: "edges.0.sourceport",
        code: "unknown_key",
        message: `Edge '${String(edge.id)}' has an unknown key 'sourceport' (did you mean 'sourcePort'?); it would be dropped.`,
      },
    ]);
  });

  it("measures the size limit in UTF-8 bytes", () => {
    // 400 000 three-byte characters: 1.2 MB in UTF-8, under the limit counted in characters.
    expect(problems({ schemaVersion: 1, nodes: [], edges: [], pad: "€".repeat(400_000) })[0]).toMatchObject({ code: "too_large" });
    expect(problems({ schemaVersion: 1, nodes: [], edges: [], pad: "€".repeat(300_000) }).some((p) => p.code === "too_large")).toBe(false);
  });

  it("refuses a document over the size limit", () => {
    expect(problems({ schemaVersion: 1, nodes: [], edges: [], pad: "x".repeat(1_100_000) })[0]).toMatchObject({ code: "too_large", path: "(root)" });
  });

  it("names unknown types and versions, and bad configuration with its zod path", () => {
    const found = problems(
      edit("linear", (g) => {
        g.nodes[1]!.type = "data.teleport";
        g.nodes.push({ id: "old", type: "logic.if", typeVersion: 7, label: "", position: { x: 0, y: 0 }, config: {} });
        g.nodes.push({ id: "bad", type: "loop.until", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { condition: "x", maxIterations: 0 } });
      }),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        { nodeId: "shape", path: "nodes.1.type", code: "unknown_node_type", message: "Node 'shape': there is no node type 'data.teleport'." },
        { nodeId: "old", path: "nodes.3.typeVersion", code: "unknown_node_version", message: "Node 'old': 'logic.if' has no version 7 (known: 1)." },
        { nodeId: "bad", path: "nodes.4.config.maxIterations", code: "invalid_config", message: "Node 'bad' (Repeat until): maxIterations must be at least 1" },
      ]),
    );
  });

  it("finds expressions that do not parse, at validation time", () => {
    const found = problems(edit("linear", (g) => void (g.nodes[1]!.config = { expression: "input.a +" })));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ nodeId: "shape", path: "nodes.1.config.expression", code: "invalid_expression" });
    const template = problems(edit("approval-delay-error", (g) => void (g.nodes[1]!.config = { title: "Send {{ input. }}?" })));
    expect(template[0]).toMatchObject({ nodeId: "ask", path: "nodes.1.config.title", code: "invalid_expression" });
    const unclosed = problems(edit("approval-delay-error", (g) => void (g.nodes[1]!.config = { title: "Send {{ input.subject" })));
    expect(unclosed[0]!.message).toMatch(/unclosed/);
  });

  it("finds duplicate ids, dangling and duplicate edges, wrong ports and crowded ports", () => {
    const found = problems(
      edit("if-else-merge", (g) => {
        g.nodes.push({ ...g.nodes[5]! });
        g.edges.push({ id: "e6", source: "merge", sourcePort: "out", target: "done", targetPort: "in" });
        g.edges.push({ id: "x1", source: "ghost", sourcePort: "out", target: "done", targetPort: "in" });
        g.edges.push({ id: "x2", source: "big", sourcePort: "maybe", target: "done", targetPort: "in" });
        g.edges.push({ id: "x3", source: "review", sourcePort: "out", target: "done", targetPort: "in" });
        g.edges.push({ id: "x4", source: "auto", sourcePort: "out", target: "start", targetPort: "in" });
      }),
    );
    const codes = found.map((p) => `${p.code} ${p.nodeId ?? p.edgeId} ${p.path}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        "duplicate_node_id done nodes.6.id",
        "duplicate_edge_id e6 edges.6.id",
        "dangling_edge x1 edges.7.source",
        "unknown_port x2 edges.8.sourcePort",
        "port_has_many_edges x3 edges.9",
        "edge_into_trigger x4 edges.10.targetPort",
      ]),
    );
  });

  it("requires a trigger, and finds nodes no trigger reaches", () => {
    expect(problems(edit("linear", (g) => void g.nodes.splice(0, 1)))).toContainEqual(expect.objectContaining({ code: "missing_trigger", path: "nodes" }));
    const found = problems(edit("linear", (g) => void g.nodes.push({ id: "island", type: "logic.merge", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} })));
    expect(found).toEqual([{ nodeId: "island", path: "nodes.3", code: "unreachable_node", message: "Node 'island' cannot be reached from any trigger." }]);
  });

  it("refuses a loop that no loop node guards", () => {
    const found = problems(edit("if-else-merge", (g) => void g.edges.splice(5, 1, { id: "back", source: "merge", sourcePort: "out", target: "big", targetPort: "in" })));
    const loops = found.filter((p) => p.code === "loop_without_guard");
    expect(loops.length).toBeGreaterThan(0);
    // Each names an edge on the unguarded cycle big -> review|auto -> merge -> big.
    for (const p of loops) expect(["back", "e2", "e3", "e4", "e5"]).toContain(p.edgeId);
    // A loop node on the cycle makes it fine.
    const guarded = problems(
      edit("if-else-merge", (g) => {
        g.nodes.push({ id: "again", type: "loop.until", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { condition: "true", maxIterations: 3 } });
        g.edges.splice(5, 1, { id: "back", source: "merge", sourcePort: "out", target: "again", targetPort: "in" });
        g.edges.push({ id: "retry", source: "again", sourcePort: "again", target: "big", targetPort: "in" });
        g.edges.push({ id: "finish", source: "again", sourcePort: "done", target: "done", targetPort: "in" });
      }),
    );
    expect(guarded).toEqual([]);
  });

  it("refuses joins without all their branches, branches that do not meet, and edges that leave a branch", () => {
    const missing = problems(edit("parallel-join", (g) => void g.edges.splice(4, 1)));
    expect(missing).toContainEqual(expect.objectContaining({ code: "join_incomplete", edgeId: "e3", nodeId: "fork" }));

    const leaves = problems(edit("parallel-join", (g) => void (g.edges[3]!.target = "done")));
    expect(leaves.map((p) => p.code)).toEqual(expect.arrayContaining(["join_incomplete", "edge_leaves_branch"]));

    const endInBranch = problems(
      edit("parallel-join", (g) => {
        g.nodes.push({ id: "stop", type: "flow.end", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} });
        g.edges.push({ id: "e7", source: "fork", sourcePort: "out", target: "stop", targetPort: "in" });
      }),
    );
    expect(endInBranch).toContainEqual(expect.objectContaining({ code: "not_allowed_in_branch", nodeId: "stop" }));

    const loneJoin = problems(
      edit("linear", (g) => {
        g.nodes.push({ id: "j", type: "flow.join", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} });
        g.edges[1] = { id: "e2", source: "shape", sourcePort: "out", target: "j", targetPort: "in" };
        g.edges.push({ id: "e3", source: "j", sourcePort: "out", target: "done", targetPort: "in" });
      }),
    );
    expect(loneJoin).toContainEqual(expect.objectContaining({ code: "join_without_fork", nodeId: "j" }));
  });

  it("returns every problem at once", () => {
    const found = problems(
      edit("linear", (g) => {
        g.nodes[1]!.config = { expression: "(" };
        g.edges.push({ id: "x", source: "nowhere", sourcePort: "out", target: "done", targetPort: "in" });
      }),
    );
    expect(found.map((p) => p.code).sort()).toEqual(["dangling_edge", "invalid_expression"]);
  });
});
