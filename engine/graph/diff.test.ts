import { describe, expect, it } from "vitest";
import { diffCanvasGraph, diffGraphs } from "./diff";
import type { Graph } from "./schema";

const node = (id: string, config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ id, type: "http.request", typeVersion: 1, label: id, position: { x: 0, y: 0 }, config, ...extra });
const edge = (id: string, source: string, target: string, sourcePort = "out") => ({ id, source, sourcePort, target, targetPort: "in" });
const graph = (nodes: ReturnType<typeof node>[], edges: ReturnType<typeof edge>[] = []) => ({ schemaVersion: 1, nodes, edges }) as Graph;

describe("diffGraphs", () => {
  it("finds nothing between a graph and itself, nor after moving nodes", () => {
    const a = graph([node("a", { url: "http://x" }), node("b")], [edge("e1", "a", "b")]);
    const moved = structuredClone(a);
    moved.nodes[0]!.position = { x: 400, y: 90 };
    expect(diffGraphs(a, moved)).toEqual({ nodes: {}, fields: {}, edges: { added: [], removed: [] } });
  });

  it("marks added, removed and changed nodes and lists each changed field by path", () => {
    const before = graph([node("keep"), node("gone"), node("edit", { url: "http://old", method: "GET", headers: { a: "1" } })]);
    const after = graph([node("keep"), node("edit", { url: "http://new", method: "GET", headers: { a: "1", b: "2" } }, { label: "Edited" }), node("fresh")]);
    const diff = diffGraphs(before, after);
    expect(diff.nodes).toEqual({ gone: "removed", edit: "changed", fresh: "added" });
    expect(diff.fields).toEqual({
      edit: [
        { path: "config.headers.b", before: undefined, after: "2" },
        { path: "config.url", before: "http://old", after: "http://new" },
        { path: "label", before: "edit", after: "Edited" },
      ],
    });
  });

  it("lists a retry policy and a type version change as fields", () => {
    const before = graph([node("a", {}, { retry: { attempts: 3 } })]);
    const after = graph([node("a", {}, { retry: { attempts: 5 }, typeVersion: 2 })]);
    expect(diffGraphs(before, after).fields.a).toEqual([
      { path: "retry.attempts", before: 3, after: 5 },
      { path: "typeVersion", before: 1, after: 2 },
    ]);
  });

  it("compares edges by what they connect, not by id", () => {
    const before = graph([node("a"), node("b"), node("c")], [edge("e1", "a", "b"), edge("e2", "b", "c", "true")]);
    const after = graph([node("a"), node("b"), node("c")], [edge("renamed", "a", "b"), edge("e2", "b", "c", "false")]);
    const diff = diffGraphs(before, after);
    expect(diff.nodes).toEqual({});
    expect(diff.edges.added.map((e) => e.sourcePort)).toEqual(["false"]);
    expect(diff.edges.removed.map((e) => e.sourcePort)).toEqual(["true"]);
  });

  it("draws removed nodes and edges beside the newer graph, with edge ids kept unique", () => {
    const before = graph([node("a"), node("b")], [edge("e1", "a", "b")]);
    const after = graph([node("a"), node("c")], [edge("e1", "a", "c")]);
    const drawn = diffCanvasGraph(before, after);
    expect(drawn.nodes.map((n) => n.id)).toEqual(["a", "c", "b"]);
    expect(drawn.edges.map((e) => e.id)).toEqual(["e1", "e1~removed"]);
  });
});
