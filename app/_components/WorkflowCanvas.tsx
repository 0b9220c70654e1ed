"use client";

import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  useEdgesState,
  useNodesState,
  type Edge,
  type Node,
  type NodeProps,
  type NodeTypes,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useState } from "react";
import type { Graph } from "../../engine/graph/schema";
import { approvalCanvasBadge } from "../../nodes/human/approval";

// Everything drawn here is operator- or outside-world-supplied text: it is rendered as React
// text children only (escaped), never as HTML.

type KeelNodeData = { label: string; type: string; badge: string | null };
type KeelFlowNode = Node<KeelNodeData, "keel">;
type KeelFlowEdge = Edge;

const KeelNode = memo(function KeelNode({ data, selected }: NodeProps<KeelFlowNode>) {
  const title = data.label.trim() === "" ? data.type : data.label;
  return (
    <div className={selected ? "keel-node keel-node-selected" : "keel-node"} data-testid="canvas-node">
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="keel-node-label">{title}</div>
      <div className="keel-node-type">{data.type}</div>
      {data.badge ? (
        <div className="keel-node-type" data-testid="node-badge">
          {data.badge}
        </div>
      ) : null}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes: NodeTypes = { keel: KeelNode };

const fitViewOptions = { padding: 0.2, maxZoom: 1.25 };

function toFlowNodes(graph: Graph): KeelFlowNode[] {
  return graph.nodes.map((n) => ({
    id: n.id,
    type: "keel",
    position: { x: n.position.x, y: n.position.y },
    data: { label: n.label, type: n.type, badge: approvalCanvasBadge(n) },
    deletable: false,
  }));
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

export const WorkflowCanvas = memo(function WorkflowCanvas({ graph }: { graph: Graph }) {
  const [nodes, setNodes, onNodesChange] = useNodesState<KeelFlowNode>(toFlowNodes(graph));
  const [edges, setEdges, onEdgesChange] = useEdgesState<KeelFlowEdge>(toFlowEdges(graph));

  // A new graph (e.g. after a refetch) replaces what is drawn; selection is local view state.
  const [shownGraph, setShownGraph] = useState(graph);
  if (shownGraph !== graph) {
    setShownGraph(graph);
    setNodes(toFlowNodes(graph));
    setEdges(toFlowEdges(graph));
  }

  return (
    <div className="canvas" data-testid="workflow-canvas">
      <ReactFlow<KeelFlowNode, KeelFlowEdge>
        nodes={nodes}
        edges={edges}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
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
