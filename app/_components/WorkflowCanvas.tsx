"use client";

import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
  type NodeTypes,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useCallback, useMemo } from "react";
import type { Graph } from "../../engine/graph/schema";
import type { NodeRunState, NodeRunStates } from "../../engine/runtime/node-states";

// Everything drawn here is operator- or outside-world-supplied text: it is rendered as React
// text children only (escaped), never as HTML.

export type CanvasHighlight = "added" | "removed" | "changed";
type KeelNodeData = { label: string; type: string; runState?: NodeRunState; highlight?: CanvasHighlight };
type KeelFlowNode = Node<KeelNodeData, "keel">;
type KeelFlowEdge = Edge;

const KeelNode = memo(function KeelNode({ id, data, selected }: NodeProps<KeelFlowNode>) {
  const title = data.label.trim() === "" ? data.type : data.label;
  return (
    <div
      className={selected ? "keel-node keel-node-selected" : "keel-node"}
      data-testid="canvas-node"
      data-node-id={id}
      data-run-state={data.runState}
      data-highlight={data.highlight}
      title={data.runState ? `${title}: ${data.runState}` : undefined}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="keel-node-label">{title}</div>
      <div className="keel-node-type">{data.type}</div>
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes: NodeTypes = { keel: KeelNode };

const fitViewOptions = { padding: 0.2, maxZoom: 1.25 };

function toFlowNodes(graph: Graph, runStates: NodeRunStates | undefined, highlights: Record<string, CanvasHighlight> | undefined, selectedNodeId: string | null | undefined): KeelFlowNode[] {
  return graph.nodes.map((n) => {
    const runState = runStates?.[n.id]?.state;
    const highlight = highlights?.[n.id];
    return {
      id: n.id,
      type: "keel",
      position: { x: n.position.x, y: n.position.y },
      data: { label: n.label, type: n.type, ...(runState ? { runState } : {}), ...(highlight ? { highlight } : {}) },
      selected: selectedNodeId === n.id,
      deletable: false,
    };
  });
}

function toFlowEdges(graph: Graph): KeelFlowEdge[] {
  return graph.edges.map((e) => ({
    id: e.id,
    source: e.source,
    target: e.target,
    deletable: false,
    ...(e.sourcePort !== "out" ? { label: e.sourcePort } : {}),
  }));
}

export interface WorkflowCanvasProps {
  graph: Graph;
  /** Node states of a run drawn on the graph (absent = pending), as deriveNodeStates gives them. */
  runStates?: NodeRunStates;
  /** A version diff's marks. */
  highlights?: Record<string, CanvasHighlight>;
  selectedNodeId?: string | null;
  onNodeClick?: (nodeId: string) => void;
  height?: number;
}

// Read-only: nodes are derived from the props on every change (run states arrive live), so
// nothing here holds a second copy of the graph.
export const WorkflowCanvas = memo(function WorkflowCanvas({ graph, runStates, highlights, selectedNodeId, onNodeClick, height }: WorkflowCanvasProps) {
  const nodes = useMemo(() => toFlowNodes(graph, runStates, highlights, selectedNodeId), [graph, runStates, highlights, selectedNodeId]);
  const edges = useMemo(() => toFlowEdges(graph), [graph]);
  const clicked = useCallback((_: unknown, node: KeelFlowNode) => onNodeClick?.(node.id), [onNodeClick]);

  return (
    <div className="canvas" data-testid="workflow-canvas" style={height ? { height, minHeight: 0 } : undefined}>
      <ReactFlow<KeelFlowNode, KeelFlowEdge>
        nodes={nodes}
        edges={edges}
        onNodeClick={clicked}
        nodeTypes={nodeTypes}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={true}
        deleteKeyCode={null}
        fitView
        fitViewOptions={fitViewOptions}
        minZoom={0.1}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
      {graph.nodes.length === 0 ? <p className="canvas-empty">This draft has no nodes yet.</p> : null}
    </div>
  );
});
