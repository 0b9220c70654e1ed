import type { Graph } from "../../../engine/graph/schema";
import type { NodeRegistry } from "../../../engine/registry";
import { deriveNodeStates, type NodeRunStates, type NodeStateEvent } from "../../../engine/runtime/node-states";
import { deriveTakenEdges, takenEdgeIndex, type TakenEdgeIndex, type TakenEdges } from "../../../engine/runtime/taken-edges";
import { outputPorts } from "./flow-model";

// What a run lays over the canvas: each node's state and the edges it took, both derived from
// its event log by engine/runtime, the one place that reads a log for the canvas.

export interface RunOverlay {
  states: NodeRunStates;
  takenEdges: TakenEdges;
}

/**
 * The taken-edge index of a graph, with each decision node's [approve, reject] ports read from
 * the registry: logs written before decisions named their port still find the right edge.
 */
export function edgeIndexFor(graph: Graph, registry: NodeRegistry): TakenEdgeIndex {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  return takenEdgeIndex(graph, (nodeId) => {
    const node = nodes.get(nodeId);
    const meta = node ? registry.get(node.type, node.typeVersion) : undefined;
    return meta?.behavior === "approval" ? outputPorts(meta, node!.config).map((p) => p.id) : undefined;
  });
}

export function runOverlay(graph: Graph, registry: NodeRegistry, events: readonly NodeStateEvent[]): RunOverlay {
  return { states: deriveNodeStates(events), takenEdges: deriveTakenEdges(events, edgeIndexFor(graph, registry)) };
}
