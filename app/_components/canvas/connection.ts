import { validateGraph, type Problem } from "../../../engine/graph";
import type { Graph } from "../../../engine/graph/schema";
import type { NodeRegistry } from "../../../engine/registry";

// Whether a connection being dragged may be made, and if not, why. The engine's validator
// decides (no second set of rules here): the candidate edge is added and the problems it
// brings, that the graph did not have before, are the reasons. Only problems that can never
// be fixed by editing something else refuse the drag; the rest show up as live problems.

const REFUSING = new Set<Problem["code"]>(["loop_without_guard", "duplicate_edge", "port_has_many_edges", "unknown_port", "edge_into_trigger"]);

export interface Candidate {
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

const key = (p: Problem) => `${p.code}\u0000${p.nodeId ?? ""}\u0000${p.edgeId ?? ""}`;

export function connectionRefusal(graph: Graph, baseProblems: readonly Problem[], candidate: Candidate, registry: NodeRegistry): string | null {
  if (candidate.source === candidate.target && registry.get(graph.nodes.find((n) => n.id === candidate.source)?.type ?? "", graph.nodes.find((n) => n.id === candidate.source)?.typeVersion ?? 0)?.behavior !== "loop") {
    return "A node cannot connect to itself.";
  }
  const taken = new Set(graph.edges.map((e) => e.id));
  let id = "candidate";
  for (let n = 1; taken.has(id); n++) id = `candidate${n}`;
  const result = validateGraph({ ...graph, edges: [...graph.edges, { id, ...candidate }] }, registry);
  if (result.ok) return null;
  const before = new Set(baseProblems.map(key));
  const fresh = result.problems.find((p) => REFUSING.has(p.code) && !before.has(key(p)));
  if (!fresh) return null;
  return fresh.message.replace(`Edge '${id}'`, "This connection").replace(`edge '${id}'`, "this connection").replace(`('${id}')`, "");
}
