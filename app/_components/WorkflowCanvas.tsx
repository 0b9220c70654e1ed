"use client";

import { Background, Controls, MiniMap, ReactFlow, ReactFlowProvider, type NodeMouseHandler } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useCallback, useMemo, useRef } from "react";
import type { Graph } from "../../engine/graph/schema";
import type { NodeRunStates } from "../../engine/runtime/node-states";
import type { TakenEdges } from "../../engine/runtime/taken-edges";
import { registry } from "../../nodes/catalog";
import { toFlowEdges, toFlowNodes, type Highlight, type KeelFlowEdge, type KeelFlowNode } from "./canvas/flow-model";
import { defaultEdgeOptions, edgeTypes, fitViewOptions, nodeTypes } from "./canvas/flow-types";
import { MINIMAP_STYLE, minimapColor } from "./canvas/minimap";

// The read-only canvas: a workflow version drawn with the editor's own node and edge
// components, with run states (test run, replay) or diff highlights laid over it.

export interface WorkflowCanvasProps {
  graph: Graph;
  runStates?: NodeRunStates;
  /** The edges the run took, from its events; none are marked without it. */
  takenEdges?: TakenEdges;
  highlights?: Record<string, Highlight>;
  selectedNodeId?: string | null;
  onNodeClick?: (nodeId: string) => void;
  height?: number;
}

export const WorkflowCanvas = memo(function WorkflowCanvas({ graph, runStates, takenEdges, highlights, selectedNodeId, onNodeClick, height }: WorkflowCanvasProps) {
  const previousNodes = useRef<KeelFlowNode[]>([]);
  const previousEdges = useRef<KeelFlowEdge[]>([]);
  const nodes = useMemo(() => {
    const selected = new Set(selectedNodeId ? [selectedNodeId] : []);
    const next = toFlowNodes(graph, registry, { runStates, highlights, selected }, previousNodes.current);
    previousNodes.current = next;
    return next;
  }, [graph, runStates, highlights, selectedNodeId]);
  const edges = useMemo(() => {
    const next = toFlowEdges(graph, { takenEdges, highlights }, previousEdges.current);
    previousEdges.current = next;
    return next;
  }, [graph, takenEdges, highlights]);
  const clicked = useCallback<NodeMouseHandler<KeelFlowNode>>((_, node) => onNodeClick?.(node.id), [onNodeClick]);

  return (
    <div className="canvas" data-testid="workflow-canvas" style={height ? { height } : undefined}>
      {/* Its own store: inside the editor (the versions tab) a bare ReactFlow would join the
          editor's ReactFlowProvider and draw the editor's nodes instead of these. */}
      <ReactFlowProvider>
        <ReactFlow<KeelFlowNode, KeelFlowEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          defaultEdgeOptions={defaultEdgeOptions}
          onNodeClick={clicked}
          nodesDraggable={false}
          nodesConnectable={false}
          elementsSelectable={onNodeClick !== undefined}
          deleteKeyCode={null}
          fitView
          fitViewOptions={fitViewOptions}
          minZoom={0.1}
        >
          <Background gap={16} />
          <Controls showInteractive={false} />
          {graph.nodes.length > 12 ? <MiniMap pannable zoomable nodeColor={minimapColor} style={MINIMAP_STYLE} /> : null}
        </ReactFlow>
      </ReactFlowProvider>
      {graph.nodes.length === 0 ? <p className="canvas-empty">This graph has no nodes yet.</p> : null}
    </div>
  );
});
