import fc from "fast-check";
import type { Graph } from "../../engine/graph/schema";
import { registry } from "../../nodes/catalog";

// Edits of a valid graph: harmless ones (what the editor does when the operator drags a node
// or renames its label), and single mutations that may or may not break it.

type Doc = Record<string, unknown> & { nodes: Record<string, unknown>[]; edges: Record<string, unknown>[] };

/** Moves every node and changes every label; the meaning of the graph stays the same. */
export function moveAndRelabel(graph: Graph, seed: number): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((node, i) => ({
      ...node,
      label: `${node.label} ${(seed + i) % 97}`.slice(0, 200).trim(),
      position: { x: node.position.x + ((seed * (i + 3)) % 1000) - 500.5, y: -node.position.y + (seed % 333) * 0.25 },
    })),
  };
}

const pick = <T>(items: T[], n: number): T | undefined => (items.length === 0 ? undefined : items[n % items.length]);

/** One mutation of a (cloned) valid graph; `n` and `m` choose what and how. */
export type Mutation = (doc: Doc, n: number, m: number) => void;

const STRANGE_VALUES: unknown[] = [null, "", "x".repeat(5_000), -1, 0, 1.5, 2 ** 53, true, [], {}, [1, 2], { a: { b: {} } }, "{{ unclosed", "$$$(", "in", "out", "error"];
const strange = (m: number) => structuredClone(STRANGE_VALUES[m % STRANGE_VALUES.length]);

export const MUTATIONS: Record<string, Mutation> = {
  deleteNode: (d, n) => void d.nodes.splice(n % Math.max(1, d.nodes.length), 1),
  duplicateNode: (d, n) => {
    const node = pick(d.nodes, n);
    if (node) d.nodes.push(structuredClone(node));
  },
  renameNode: (d, n, m) => {
    const node = pick(d.nodes, n);
    if (node) node.id = pick(["renamed", "1bad", "", "a b", "x".repeat(65), String(d.nodes[m % d.nodes.length]?.id)], m);
  },
  deleteEdge: (d, n) => void d.edges.splice(n % Math.max(1, d.edges.length), 1),
  duplicateEdge: (d, n, m) => {
    const edge = pick(d.edges, n);
    if (edge) d.edges.push({ ...structuredClone(edge), id: m % 2 ? edge.id : `dup${m}` });
  },
  retargetEdge: (d, n, m) => {
    const edge = pick(d.edges, n);
    if (edge) edge[m % 3 === 0 ? "source" : "target"] = m % 5 === 0 ? "nowhere" : pick(d.nodes, m)?.id;
  },
  changePort: (d, n, m) => {
    const edge = pick(d.edges, n);
    if (edge) edge[m % 2 ? "sourcePort" : "targetPort"] = pick(["out", "in", "error", "true", "done", "item", "approved", "nope", ""], m);
  },
  changeType: (d, n, m) => {
    const node = pick(d.nodes, n);
    const types = registry.all().map((meta) => meta.type);
    if (node) node.type = m % 7 === 0 ? "no.such.type" : pick(types, m);
  },
  changeVersion: (d, n, m) => {
    const node = pick(d.nodes, n);
    if (node) node.typeVersion = pick([0, 2, 99, -1, 1.5, "1", null], m);
  },
  changeConfigValue: (d, n, m) => {
    const node = pick(d.nodes, n);
    if (!node) return;
    const config = (node.config ?? {}) as Record<string, unknown>;
    const keys = Object.keys(config);
    const key = keys.length === 0 || m % 4 === 0 ? "extra" : pick(keys, m)!;
    config[key] = strange(m);
    node.config = config;
  },
  replaceConfig: (d, n, m) => {
    const node = pick(d.nodes, n);
    if (node) node.config = strange(m);
  },
  dropField: (d, n, m) => {
    const node = pick(d.nodes, n);
    if (node) delete node[pick(["id", "type", "typeVersion", "position", "config", "label"], m)!];
  },
  dropEdgeField: (d, n, m) => {
    const edge = pick(d.edges, n);
    if (edge) delete edge[pick(["id", "source", "target", "sourcePort", "targetPort"], m)!];
  },
  changeSchemaVersion: (d, _n, m) => {
    d.schemaVersion = pick([0, 2, "1", null, undefined], m);
  },
  changeRetry: (d, n, m) => {
    const node = pick(d.nodes, n);
    if (node) node.retry = pick([{ attempts: 0 }, { factor: 100 }, { timeoutMs: -1 }, { jitter: true }, { attempts: 3 }, "fast", null], m);
  },
  swapEdgeEnds: (d, n) => {
    const edge = pick(d.edges, n);
    if (edge) [edge.source, edge.target] = [edge.target, edge.source];
  },
};

export const mutationArbitrary = fc.tuple(fc.constantFrom(...Object.keys(MUTATIONS)), fc.nat(), fc.nat());

export function mutate(graph: Graph, [name, n, m]: [string, number, number]): unknown {
  const doc = structuredClone(graph) as unknown as Doc;
  MUTATIONS[name]!(doc, n, m);
  return doc;
}
