import type { Graph } from "../../../engine/graph/schema";

// Node ids are referenced from expressions (`outputs.<id>`) and shown on the canvas, so new
// ones are readable: the type's last word and the first free number (`request_2`). Ids must
// start with a letter, hold letters, digits, _ and -, and never contain "__".

export function idBase(type: string): string {
  const last = type.split(".").pop() ?? "node";
  const base = last
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
  return /^[a-z]/.test(base) ? base.slice(0, 40) : `node_${base}`.slice(0, 40);
}

export function freshId(base: string, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const id = `${base}_${n}`;
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

export function takenIds(graph: Graph): { nodes: Set<string>; edges: Set<string> } {
  return { nodes: new Set(graph.nodes.map((n) => n.id)), edges: new Set(graph.edges.map((e) => e.id)) };
}
