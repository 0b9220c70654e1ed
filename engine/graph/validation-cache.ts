import type { ParseProblem } from "../expressions";
import type { AnyNodeMeta, NodeRegistry } from "../registry";
import type { GraphEdge, GraphNode } from "./schema";

// What validation can remember about one node between runs over documents that share it. An
// editor changes one node per edit and keeps every other node object as it was (its store is
// immutable), so re-checking only the new objects makes validate-on-change proportional to the
// edit, not to the graph. Keyed by object identity: a caller that mutates a document in place
// must not pass a cache (the server never does; it validates fresh JSON).

export type ConfigCheck =
  | { ok: false; issues: { path: PropertyKey[]; message: string }[] }
  | {
      ok: true;
      data: unknown;
      /** Expression fields that do not parse: their config path and why. */
      expressions: { path: string; problem: ParseProblem }[];
      outputs: ReadonlySet<string>;
      inputs: ReadonlySet<string>;
    };

export interface ValidationCache {
  readonly registry: NodeRegistry;
  /** A raw node or edge object that passed the document screen, and its JSON length. */
  readonly screened: WeakMap<object, number>;
  /** A raw node object that passed the graph format, and what it parsed to. */
  readonly nodes: WeakMap<object, GraphNode>;
  /** A raw edge object that passed the graph format, and what it parsed to. */
  readonly edges: WeakMap<object, GraphEdge>;
  /** A raw config object, checked against one node type. */
  readonly configs: WeakMap<object, { meta: AnyNodeMeta; check: ConfigCheck }>;
}

/** One cache per sequence of documents that share unchanged node objects (one per open editor). */
export function createValidationCache(registry: NodeRegistry): ValidationCache {
  return { registry, screened: new WeakMap(), nodes: new WeakMap(), edges: new WeakMap(), configs: new WeakMap() };
}
