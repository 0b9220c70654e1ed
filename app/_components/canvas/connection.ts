import type { Problem } from "../../../engine/graph/problems";
import { validateGraph } from "../../../engine/graph/validate";
import type { ValidationCache } from "../../../engine/graph/validation-cache";
import type { Graph } from "../../../engine/graph/schema";
import { analyzeStructure } from "../../../engine/graph/structure";
import type { AnyNodeMeta, NodeRegistry } from "../../../engine/registry";

// Whether a connection being dragged may be made, and if not, why. The engine decides (no
// second set of rules here): the candidate edge is added and the problems it brings, that the
// graph did not have before, are the reasons. Only problems that editing something else can
// never fix refuse the drag; the rest show up as live problems.
//
// The validator leaves out edges of nodes whose configuration is still invalid (a half-filled
// node), so a loop through such a node is looked for again with the engine's structure
// analysis over every node of a known type.

const REFUSING = new Set<Problem["code"]>(["loop_without_guard", "duplicate_edge", "port_has_many_edges", "unknown_port", "edge_into_trigger"]);

export interface Candidate {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

const key = (p: Problem) => `${p.code}\u0000${p.nodeId ?? ""}\u0000${p.edgeId ?? ""}`;

/** `cache`: the editor's validation cache (the candidate graph shares every node with the open one). */
export function connectionRefusal(graph: Graph, baseProblems: readonly Problem[], candidate: Candidate, registry: NodeRegistry, cache?: ValidationCache): string | null {
  const metas = new Map<string, AnyNodeMeta>();
  for (const n of graph.nodes) {
    const meta = registry.get(n.type, n.typeVersion);
    if (meta) metas.set(n.id, meta);
  }
  if (candidate.source === candidate.target && metas.get(candidate.source)?.behavior !== "loop") return "A node cannot connect to itself.";
  const taken = new Set(graph.edges.map((e) => e.id));
  let id = "candidate";
  for (let n = 1; taken.has(id); n++) id = `candidate${n}`;
  const edge = { id, ...candidate };
  const withEdge: Graph = { ...graph, edges: [...graph.edges, edge] };
  const message = (p: Problem) => p.message.replace(`Edge '${id}'`, "This connection").replace(`edge '${id}'`, "this connection").replace(` ('${id}')`, "");

  const result = validateGraph(withEdge, registry, cache);
  if (!result.ok) {
    const before = new Set(baseProblems.map(key));
    const fresh = result.problems.find((p) => REFUSING.has(p.code) && !before.has(key(p)));
    if (fresh) return message(fresh);
  }
  // Same rule as the validator's port_has_many_edges, for an output whose edge it left out.
  const used = graph.edges.find((e) => e.source === candidate.source && e.sourcePort === candidate.sourcePort);
  if (used && metas.get(candidate.source)?.behavior !== "fork") {
    return `Output '${candidate.sourcePort}' of '${candidate.source}' already has an edge ('${used.id}'); only a Parallel may start several.`;
  }
  const known = (edges: Graph["edges"]) => edges.filter((e) => metas.has(e.source) && metas.has(e.target));
  const loops = (g: Graph) => analyzeStructure(g, metas, known(g.edges)).problems.filter((p) => p.code === "loop_without_guard");
  const before = new Set(loops(graph).map(key));
  const loop = loops(withEdge).find((p) => !before.has(key(p)));
  return loop ? message(loop) : null;
}
