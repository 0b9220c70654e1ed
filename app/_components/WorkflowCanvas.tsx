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
import { memo, useCallback, useMemo, useState, type CSSProperties } from "react";
import type { Graph } from "../../engine/graph/schema";
import type { NodeRunStates, NodeRunStatus } from "../../engine/runtime/node-states";

// Everything drawn here is operator- or outside-world-supplied text: it is rendered as React
// text children only (escaped), never as HTML.

type Highlight = "added" | "removed" | "changed";
type KeelNodeData = { label: string; type: string; run?: NodeRunStatus | undefined; highlight?: Highlight | undefined };
type KeelFlowNode = Node<KeelNodeData, "keel">;
type KeelFlowEdge = Edge;

const KeelNode = memo(function KeelNode({ id, data, selected }: NodeProps<KeelFlowNode>) {
  const title = data.label.trim() === "" ? data.type : data.label;
  const run = data.run;
  return (
    <div
      className={`keel-node${selected ? " keel-node-selected" : ""}${run ? ` keel-node-run-${run.state}` : ""}`}
      data-testid="canvas-node"
      data-node-id={id}
      data-run-state={run?.state}
      data-highlight={data.highlight}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="keel-node-label">{title}</div>
      <div className="keel-node-type">{data.type}</div>
      {run ? (
        <div className="keel-node-run">
          <span>{run.state}</span>
          {run.visits > 1 ? <span data-testid="node-visits" title={`Entered ${run.visits} times`}>×{run.visits}</span> : null}
          {run.attempts > 1 ? <span title={`Attempt ${run.attempts}`}>attempt {run.attempts}</span> : null}
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
    data: { label: n.label, type: n.type },
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

const takenEdgeStyle: CSSProperties = { stroke: "var(--accent)", strokeWidth: 2.5 };

export interface WorkflowCanvasProps {
  graph: Graph;
  runStates?: NodeRunStates | undefined;
  highlights?: Record<string, Highlight> | undefined;
  selectedNodeId?: string | null | undefined;
  onNodeClick?: ((nodeId: string) => void) | undefined;
  height?: number | undefined;
  /** Edges a run travelled (the replay); drawn emphasised and marked `data-taken`. */
  takenEdges?: readonly string[] | undefined;
}

export const WorkflowCanvas = memo(function WorkflowCanvas({ graph, runStates, highlights, selectedNodeId, onNodeClick, height, takenEdges }: WorkflowCanvasProps) {
  const [nodes, setNodes, onNodesChange] = useNodesState<KeelFlowNode>(toFlowNodes(graph));
  const [edges, setEdges, onEdgesChange] = useEdgesState<KeelFlowEdge>(toFlowEdges(graph));

  // A new graph (e.g. after a refetch) replaces what is drawn; selection is local view state.
  const [shownGraph, setShownGraph] = useState(graph);
  if (shownGraph !== graph) {
    setShownGraph(graph);
    setNodes(toFlowNodes(graph));
    setEdges(toFlowEdges(graph));
  }

  // Run states, highlights and the selection are overlaid on the drawn nodes, so a replay that
  // moves every frame changes node data only, never the layout.
  const shownNodes = useMemo(
    () =>
      runStates === undefined && highlights === undefined && selectedNodeId === undefined
        ? nodes
        : nodes.map((n) => ({
            ...n,
            ...(selectedNodeId !== undefined ? { selected: n.id === selectedNodeId } : {}),
            data: { ...n.data, run: runStates?.[n.id], highlight: highlights?.[n.id] },
          })),
    [nodes, runStates, highlights, selectedNodeId],
  );
  const shownEdges = useMemo(() => {
    if (!takenEdges) return edges;
    const taken = new Set(takenEdges);
    return edges.map((e) => (taken.has(e.id) ? { ...e, animated: false, style: takenEdgeStyle, className: "keel-edge-taken", domAttributes: { "data-taken": "true" } as KeelFlowEdge["domAttributes"] } : e));
  }, [edges, takenEdges]);
  const handleNodeClick = useCallback((_: unknown, node: KeelFlowNode) => onNodeClick?.(node.id), [onNodeClick]);

  return (
    <div className="canvas" data-testid="workflow-canvas" style={height ? { height, minHeight: 0 } : undefined}>
      <ReactFlow<KeelFlowNode, KeelFlowEdge>
        nodes={shownNodes}
        edges={shownEdges}
        onNodeClick={onNodeClick ? handleNodeClick : undefined}
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
