import type { Graph, GraphEdge, GraphNode } from "./schema";

// What changed between two versions of a graph, for the version diff on the canvas: nodes
// added, removed or changed (moving a node is layout, not a change), with each changed field
// by its path (config.url, label, retry.attempts), and edges added or removed.

export type NodeChange = "added" | "removed" | "changed";

export interface FieldChange {
  /** Dotted path inside the node: `config.url`, `label`, `retry.attempts`. */
  path: string;
  before: unknown;
  after: unknown;
}

export interface GraphDiff {
  nodes: Record<string, NodeChange>;
  /** The fields of each changed node that differ. */
  fields: Record<string, FieldChange[]>;
  edges: { added: GraphEdge[]; removed: GraphEdge[] };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) if (!equal(a[key], b[key])) return false;
    return true;
  }
  return false;
}

/** Leaf differences between two values; objects are walked, anything else compared whole. */
function fieldChanges(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (isPlainObject(before) && isPlainObject(after)) {
    for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
      fieldChanges(before[key], after[key], path ? `${path}.${key}` : key, out);
    }
    return;
  }
  if (!equal(before, after)) out.push({ path, before, after });
}

function nodeFields(before: GraphNode, after: GraphNode): FieldChange[] {
  const { position: _a, ...b } = before;
  const { position: _b, ...a } = after;
  const out: FieldChange[] = [];
  fieldChanges(b, a, "", out);
  return out;
}

const edgeKey = (e: GraphEdge) => `${e.source}\u0000${e.sourcePort}\u0000${e.target}\u0000${e.targetPort}`;

export function diffGraphs(before: Graph, after: Graph): GraphDiff {
  const beforeNodes = new Map(before.nodes.map((n) => [n.id, n]));
  const afterNodes = new Map(after.nodes.map((n) => [n.id, n]));
  const nodes: Record<string, NodeChange> = {};
  const fields: Record<string, FieldChange[]> = {};
  for (const [id, node] of afterNodes) {
    const old = beforeNodes.get(id);
    if (!old) {
      nodes[id] = "added";
      continue;
    }
    const changed = nodeFields(old, node);
    if (changed.length > 0) {
      nodes[id] = "changed";
      fields[id] = changed;
    }
  }
  for (const id of beforeNodes.keys()) if (!afterNodes.has(id)) nodes[id] = "removed";
  // Edges are compared by what they connect: an edge re-created under a new id is the same edge.
  const beforeEdges = new Set(before.edges.map(edgeKey));
  const afterEdges = new Set(after.edges.map(edgeKey));
  return {
    nodes,
    fields,
    edges: {
      added: after.edges.filter((e) => !beforeEdges.has(edgeKey(e))),
      removed: before.edges.filter((e) => !afterEdges.has(edgeKey(e))),
    },
  };
}

/** The graph to draw a diff on: the newer graph plus the removed nodes and edges, where they were. */
export function diffCanvasGraph(before: Graph, after: Graph, diff: GraphDiff = diffGraphs(before, after)): Graph {
  const removedNodes = before.nodes.filter((n) => diff.nodes[n.id] === "removed");
  const ids = new Set(after.edges.map((e) => e.id));
  const removedEdges = diff.edges.removed.map((e) => (ids.has(e.id) ? { ...e, id: `${e.id}~removed` } : e));
  return { ...after, nodes: [...after.nodes, ...removedNodes], edges: [...after.edges, ...removedEdges] };
}
