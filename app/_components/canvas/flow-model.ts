import type { Edge, Node } from "@xyflow/react";
import type { Problem } from "../../../engine/graph/problems";
import type { Graph, GraphEdge, GraphNode } from "../../../engine/graph/schema";
import { ERROR_PORT, type AnyNodeMeta, type NodeRegistry, type PortSpec } from "../../../engine/registry";
import type { NodeRunStatus, NodeRunStates } from "../../../engine/runtime/node-states";
import type { TakenEdges } from "../../../engine/runtime/taken-edges";

// Graph → React Flow nodes and edges. Pure, and careful about identity: a node whose inputs did
// not change keeps its previous object, so React Flow (and the memoized node components) skip it.
// That is what keeps dragging one node in a 500-node graph from re-rendering the other 499.

export type Highlight = "added" | "removed" | "changed";

export interface KeelNodeData extends Record<string, unknown> {
  node: GraphNode;
  meta: AnyNodeMeta | undefined;
  /** Output ports in drawing order, the error port last when the type has one. */
  outputs: PortSpec[];
  problems: Problem[];
  status: NodeRunStatus | undefined;
  highlight: Highlight | undefined;
  /** e.g. "Needs an LLM endpoint (Settings)". */
  notice: string | undefined;
  /** Live runs waiting at this pause point (approval or form), when known. */
  waiting: number | undefined;
  /** An email step whose mail will not reach anyone as things stand (outbox.undeliverable). */
  delivery: DeliveryWarning | undefined;
}

/** Why an email step's mail stays in the outbox ("outbox") or makes the step fail ("fail"). */
export interface DeliveryWarning {
  outcome: "outbox" | "fail";
  reason: string;
}

export interface KeelEdgeData extends Record<string, unknown> {
  port: string;
  problems: Problem[];
  highlight: Highlight | undefined;
  /** How many times the run drawn travelled the edge (0: not taken); from its event log. */
  taken: number;
}

export type KeelFlowNode = Node<KeelNodeData, "keel">;
export type KeelFlowEdge = Edge<KeelEdgeData, "keel">;

export const NODE_WIDTH = 232;

/** The node type's output ports for this configuration; a config that does not parse shows the type's defaults. */
export function outputPorts(meta: AnyNodeMeta | undefined, config: Record<string, unknown>): PortSpec[] {
  if (!meta) return [{ id: "out", label: "out" }];
  let ports: PortSpec[];
  const parsed = meta.config.safeParse(config);
  try {
    ports = meta.outputs(parsed.success ? parsed.data : config);
  } catch {
    ports = [];
  }
  return meta.errorPort ? [...ports, ERROR_PORT] : ports;
}

/** Estimated height, for layout before React Flow has measured the node. */
export function estimatedHeight(outputs: number): number {
  return 58 + Math.max(1, outputs) * 22;
}

export interface FlowOptions {
  problems?: readonly Problem[];
  runStates?: NodeRunStates;
  /** The edges the run drawn took, with how often (engine/runtime/taken-edges.ts). */
  takenEdges?: TakenEdges;
  highlights?: Record<string, Highlight>;
  selected?: ReadonlySet<string>;
  notices?: Record<string, string>;
  /** Live runs waiting per node (the editor's pause points). */
  waiting?: Record<string, number>;
  /** Email steps that will only reach the outbox (or fail), by node. */
  delivery?: Record<string, DeliveryWarning>;
  draggable?: boolean;
  connectable?: boolean;
}

const NO_PROBLEMS: Problem[] = [];

function groupProblems(problems: readonly Problem[] | undefined) {
  const byNode = new Map<string, Problem[]>();
  const byEdge = new Map<string, Problem[]>();
  for (const p of problems ?? []) {
    if (p.edgeId) byEdge.set(p.edgeId, [...(byEdge.get(p.edgeId) ?? []), p]);
    else if (p.nodeId) byNode.set(p.nodeId, [...(byNode.get(p.nodeId) ?? []), p]);
  }
  return { byNode, byEdge };
}

const sameList = <T>(a: readonly T[], b: readonly T[]) => a.length === b.length && a.every((x, i) => x === b[i] || JSON.stringify(x) === JSON.stringify(b[i]));
const sameStatus = (a: NodeRunStatus | undefined, b: NodeRunStatus | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.state === b.state && a.visits === b.visits && a.attempts === b.attempts);

/**
 * Builds the flow nodes, reusing `previous` entries whose graph node, problems, status,
 * highlight, notice, waiting count, delivery warning and selection are unchanged.
 */
export function toFlowNodes(graph: Graph, registry: NodeRegistry, options: FlowOptions, previous: readonly KeelFlowNode[] = []): KeelFlowNode[] {
  const { byNode } = groupProblems(options.problems);
  const before = new Map(previous.map((n) => [n.id, n]));
  return graph.nodes.map((node) => {
    const problems = byNode.get(node.id) ?? NO_PROBLEMS;
    const status = options.runStates?.[node.id];
    const highlight = options.highlights?.[node.id];
    const notice = options.notices?.[node.id];
    const waiting = options.waiting?.[node.id];
    const delivery = options.delivery?.[node.id];
    const selected = options.selected?.has(node.id) ?? false;
    const old = before.get(node.id);
    if (
      old &&
      old.data.node === node &&
      old.selected === selected &&
      sameList(old.data.problems, problems) &&
      sameStatus(old.data.status, status) &&
      old.data.highlight === highlight &&
      old.data.notice === notice &&
      old.data.waiting === waiting &&
      old.data.delivery?.reason === delivery?.reason
    ) {
      return old;
    }
    const meta = registry.get(node.type, node.typeVersion);
    const outputs = old && old.data.node.config === node.config && old.data.node.type === node.type ? old.data.outputs : outputPorts(meta, node.config);
    return {
      id: node.id,
      type: "keel",
      position: old && old.data.node.position === node.position ? old.position : { x: node.position.x, y: node.position.y },
      data: { node, meta, outputs, problems, status, highlight, notice, waiting, delivery },
      selected,
      draggable: options.draggable ?? false,
      connectable: options.connectable ?? false,
      deletable: options.draggable ?? false,
      ...(old?.measured ? { measured: old.measured } : {}),
      width: NODE_WIDTH,
    };
  });
}

export function toFlowEdges(
  graph: Graph,
  options: FlowOptions & { selectedEdges?: ReadonlySet<string> },
  previous: readonly KeelFlowEdge[] = [],
): KeelFlowEdge[] {
  const { byEdge } = groupProblems(options.problems);
  const before = new Map(previous.map((e) => [e.id, e]));
  return graph.edges.map((edge: GraphEdge) => {
    const problems = byEdge.get(edge.id) ?? NO_PROBLEMS;
    const highlight = options.highlights?.[edge.id];
    const selected = options.selectedEdges?.has(edge.id) ?? false;
    const taken = options.takenEdges?.[edge.id] ?? 0;
    const old = before.get(edge.id);
    if (
      old &&
      old.source === edge.source &&
      old.target === edge.target &&
      old.sourceHandle === edge.sourcePort &&
      old.targetHandle === edge.targetPort &&
      old.selected === selected &&
      old.data?.highlight === highlight &&
      old.data?.taken === taken &&
      sameList(old.data?.problems ?? [], problems)
    ) {
      return old;
    }
    return {
      id: edge.id,
      type: "keel",
      source: edge.source,
      sourceHandle: edge.sourcePort,
      target: edge.target,
      targetHandle: edge.targetPort,
      selected,
      deletable: options.connectable ?? false,
      data: { port: edge.sourcePort, problems, highlight, taken },
    };
  });
}
