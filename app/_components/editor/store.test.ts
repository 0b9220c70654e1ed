import { describe, expect, it } from "vitest";
import { emptyGraph, type Graph } from "../../../engine/graph/schema";
import { registry } from "../../../nodes/catalog";
import { parseClipboard } from "./clipboard";
import { BURST_MS, createEditorStore } from "./store";

function setup(graph: Graph = emptyGraph()) {
  let t = 1_000;
  const clock = { now: () => t, advance: (ms: number) => (t += ms) };
  const store = createEditorStore(registry, graph, clock.now);
  return { store, s: () => store.getState(), clock };
}

describe("editor store", () => {
  it("adds nodes with readable fresh ids, and connects one inserted after the selection", () => {
    const { s } = setup();
    const start = s().addNode("trigger.webhook", { x: 0, y: 0 })!;
    const request = s().addNode("http.request", { x: 300, y: 0 }, { nodeId: start })!;
    const second = s().addNode("http.request", { x: 600, y: 0 })!;
    expect([start, request, second]).toEqual(["webhook_1", "request_1", "request_2"]);
    expect(s().graph.edges).toEqual([{ id: "e_1", source: "webhook_1", sourcePort: "out", target: "request_1", targetPort: "in" }]);
    expect(s().graph.nodes[0]).toMatchObject({ type: "trigger.webhook", typeVersion: 1, config: { respond: "accepted", timeoutSeconds: 30 } });
    expect([...s().selectedNodes]).toEqual(["request_2"]);
    expect(s().addNode("no.such.type", { x: 0, y: 0 })).toBeNull();
  });

  it("undoes and redoes add, move, connect, delete and layout, one step each", () => {
    const { s } = setup();
    const a = s().addNode("trigger.manual", { x: 0, y: 0 })!;
    const b = s().addNode("flow.end", { x: 200, y: 0 })!;
    const afterAdds = s().graph;
    s().moveNodes({ [b]: { x: 240.4, y: 32 } });
    expect(s().graph.nodes[1]!.position).toEqual({ x: 240, y: 32 });
    s().connect({ source: a, sourcePort: "out", target: b, targetPort: "in" });
    const connected = s().graph;
    s().select([b]);
    s().deleteSelection();
    expect(s().graph.nodes.map((n) => n.id)).toEqual([a]);
    expect(s().graph.edges).toEqual([]); // the node's edges go with it

    s().undo();
    expect(s().graph).toBe(connected);
    s().undo();
    s().undo();
    expect(s().graph).toBe(afterAdds);
    s().redo();
    s().redo();
    expect(s().graph).toBe(connected);
    s().applyLayout({ [a]: { x: 5, y: 5 } });
    s().undo();
    expect(s().graph).toBe(connected);
    expect(s().future.length).toBe(1); // the layout replaced what could be redone
    // A new change after undo drops what could have been redone.
    s().moveNodes({ [a]: { x: 9, y: 9 } });
    expect(s().future).toEqual([]);
  });

  it("folds a burst of typing in one field into one undo entry, and starts a new one after a pause, blur or another field", () => {
    const { s, clock } = setup();
    const id = s().addNode("notify.operator", { x: 0, y: 0 })!;
    const added = s().graph;
    for (const text of ["H", "He", "Hel", "Hello"]) {
      clock.advance(200);
      s().setConfigField(id, "title", text);
    }
    expect(s().past.length).toBe(2);
    s().undo();
    expect(s().graph).toBe(added);
    s().redo();
    expect(s().graph.nodes[0]!.config.title).toBe("Hello");

    clock.advance(BURST_MS + 1);
    s().setConfigField(id, "title", "Hello!");
    s().setConfigField(id, "body", "x"); // another field: its own entry
    s().endBurst();
    s().setConfigField(id, "body", "xy"); // after leaving the field: its own entry
    expect(s().past.length).toBe(5);
    s().undo();
    expect(s().graph.nodes[0]!.config).toMatchObject({ title: "Hello!", body: "x" });
  });

  it("keeps config keys the form does not know when a field changes", () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [{ id: "n", type: "notify.operator", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: { title: "a", futureKey: { keep: true } } }],
      edges: [],
    };
    const { s } = setup(graph);
    s().setConfigField("n", "title", "b");
    s().setConfigField("n", "link", undefined);
    expect(s().graph.nodes[0]!.config).toEqual({ title: "b", futureKey: { keep: true } });
  });

  it("copies a selection with its inner edges and pastes it with fresh ids, as one undo entry", () => {
    const { s } = setup();
    const a = s().addNode("trigger.manual", { x: 0, y: 0 })!;
    const b = s().addNode("logic.if", { x: 200, y: 0 }, { nodeId: a })!;
    const c = s().addNode("flow.end", { x: 400, y: 0 }, { nodeId: b, port: "true" })!;
    s().select([b, c]);
    const payload = parseClipboard(JSON.stringify(s().copy()))!;
    expect(payload.nodes.map((n) => n.id)).toEqual([b, c]);
    expect(payload.edges).toHaveLength(1); // a → b leaves the selection and is not copied

    const before = s().graph;
    const pasted = s().paste(payload, { at: { x: 1000, y: 500 } });
    expect(pasted).toEqual(["if_2", "end_2"]);
    const edges = s().graph.edges.filter((e) => pasted.includes(e.source));
    expect(edges).toEqual([{ id: "e_3", source: "if_2", sourcePort: "true", target: "end_2", targetPort: "in" }]);
    expect(s().graph.nodes.find((n) => n.id === "if_2")!.position).toEqual({ x: 1000, y: 500 });
    expect(s().graph.nodes.find((n) => n.id === "end_2")!.position).toEqual({ x: 1200, y: 500 });
    expect([...s().selectedNodes]).toEqual(pasted);
    s().undo();
    expect(s().graph).toBe(before);
    expect(s().selectedNodes.size).toBe(0); // what was undone is no longer selected

    s().select([b, c]);
    const dup = s().duplicate();
    expect(dup).toHaveLength(2);
    expect(new Set([...before.nodes.map((n) => n.id), ...dup]).size).toBe(5);
  });

  it("ignores clipboard text that is not copied nodes", () => {
    expect(parseClipboard("hello")).toBeNull();
    expect(parseClipboard(JSON.stringify({ format: "keel.nodes", nodes: [], edges: [] }))).toBeNull();
  });

  it("keeps selection out of history, and load starts a fresh history", () => {
    const { s } = setup();
    const a = s().addNode("trigger.manual", { x: 0, y: 0 })!;
    s().select([a]);
    s().select([]);
    expect(s().past.length).toBe(1);
    const count = s().changeCount;
    s().load(emptyGraph());
    expect(s().past).toEqual([]);
    expect(s().changeCount).toBe(count + 1);
  });
});
