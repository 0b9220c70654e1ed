"use client";

import {
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type OnConnectEnd,
  type OnConnectStart,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { memo, useCallback, useEffect, useRef, useState, type DragEvent } from "react";
import { useStore } from "zustand";
import type { Problem } from "../../../engine/graph/problems";
import type { ValidationCache } from "../../../engine/graph/validation-cache";
import type { NodeRegistry } from "../../../engine/registry";
import type { NodeRunStates } from "../../../engine/runtime/node-states";
import type { TakenEdges } from "../../../engine/runtime/taken-edges";
import type { EditorStore } from "../editor/store";
import { connectionRefusal } from "./connection";
import { toFlowEdges, toFlowNodes, type DeliveryWarning, type KeelFlowEdge, type KeelFlowNode } from "./flow-model";
import { defaultEdgeOptions, edgeTypes, fitViewOptions, nodeTypes, SNAP_GRID } from "./flow-types";
import { MINIMAP_STYLE, minimapColor } from "./minimap";
import { RefusalAtPointer } from "./RefusalAtPointer";

// The editable canvas. The store holds the graph; React Flow holds only what moves while a
// pointer is down: positions during a drag are React Flow's own state, and the store hears
// of them once, when the drag ends (one undo entry, one validation, one autosave).

export const PALETTE_MIME = "application/x-keel-node-type";

export interface EditorCanvasProps {
  store: EditorStore;
  registry: NodeRegistry;
  problems: readonly Problem[];
  notices?: Record<string, string>;
  runStates?: NodeRunStates;
  /** The edges the test run took, from its events. */
  takenEdges?: TakenEdges;
  /** Live runs waiting per pause point. */
  waiting?: Record<string, number>;
  /** Email steps that will only reach the outbox (or fail). */
  delivery?: Record<string, DeliveryWarning>;
  /** The editor's validation cache, for checking connections while they are dragged. */
  validationCache?: ValidationCache;
}

export const EditorCanvas = memo(function EditorCanvas({ store, registry, problems, notices, runStates, takenEdges, waiting, delivery, validationCache }: EditorCanvasProps) {
  const graph = useStore(store, (s) => s.graph);
  const selectedNodes = useStore(store, (s) => s.selectedNodes);
  const selectedEdges = useStore(store, (s) => s.selectedEdges);
  const flow = useReactFlow<KeelFlowNode, KeelFlowEdge>();
  // Fit the view to what the draft had when opened. On a blank canvas React Flow would fit
  // the first node dropped, moving the view under the operator's hand.
  const [fitOnOpen] = useState(() => graph.nodes.length > 0);

  const build = useCallback(
    (previous: KeelFlowNode[]) => toFlowNodes(graph, registry, { problems, notices, runStates, waiting, delivery, selected: selectedNodes, draggable: true, connectable: true }, previous),
    [graph, registry, problems, notices, runStates, waiting, delivery, selectedNodes],
  );
  const [nodes, setNodes] = useState<KeelFlowNode[]>(() => build([]));
  const [edges, setEdges] = useState<KeelFlowEdge[]>(() => toFlowEdges(graph, { problems, takenEdges, selectedEdges, connectable: true }));
  useEffect(() => setNodes((previous) => build(previous)), [build]);
  useEffect(() => setEdges((previous) => toFlowEdges(graph, { problems, takenEdges, selectedEdges, connectable: true }, previous)), [graph, problems, takenEdges, selectedEdges]);

  const onNodesChange = useCallback(
    (changes: NodeChange<KeelFlowNode>[]) => {
      const local = changes.filter((c) => c.type === "position" || c.type === "dimensions");
      if (local.length) setNodes((current) => applyNodeChanges(local, current));
      // Moves that are not a pointer drag (arrow keys on a focused node) land in the store at once.
      const settled = changes.flatMap((c) => (c.type === "position" && c.dragging === false && c.position ? [[c.id, c.position] as const] : []));
      if (settled.length) store.getState().moveNodes(Object.fromEntries(settled));
      const selects = changes.filter((c) => c.type === "select");
      if (selects.length) {
        const next = new Set(store.getState().selectedNodes);
        for (const c of selects) if (c.selected) next.add(c.id);
        else next.delete(c.id);
        store.getState().select(next, store.getState().selectedEdges);
      }
    },
    [store],
  );
  const onEdgesChange = useCallback(
    (changes: EdgeChange<KeelFlowEdge>[]) => {
      const selects = changes.filter((c) => c.type === "select");
      if (!selects.length) return;
      const next = new Set(store.getState().selectedEdges);
      for (const c of selects) if (c.selected) next.add(c.id);
      else next.delete(c.id);
      store.getState().select(store.getState().selectedNodes, next);
    },
    [store],
  );
  const onNodeDragStop = useCallback(
    (_: unknown, _node: KeelFlowNode, dragged: KeelFlowNode[]) => {
      store.getState().moveNodes(Object.fromEntries(dragged.map((n) => [n.id, n.position])));
    },
    [store],
  );

  // Connections: refused while dragging when the validator says they can never be right.
  const [refusal, setRefusal] = useState<string | null>(null);
  const refusals = useRef(new Map<string, string | null>());
  useEffect(() => refusals.current.clear(), [graph, problems]);
  const isValidConnection = useCallback<IsValidConnection<KeelFlowEdge>>(
    (c) => {
      const candidate = { source: c.source, sourcePort: c.sourceHandle ?? "out", target: c.target, targetPort: c.targetHandle ?? "in" };
      const k = `${candidate.source}\u0000${candidate.sourcePort}\u0000${candidate.target}\u0000${candidate.targetPort}`;
      let reason = refusals.current.get(k);
      if (reason === undefined) {
        reason = connectionRefusal(store.getState().graph, problems, candidate, registry, validationCache);
        refusals.current.set(k, reason);
      }
      setRefusal(reason);
      return reason === null;
    },
    [store, problems, registry, validationCache],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      store.getState().connect({ source: c.source, sourcePort: c.sourceHandle ?? "out", target: c.target, targetPort: c.targetHandle ?? "in" });
    },
    [store],
  );
  // One timer at a time: an earlier drag's timer must not clear the reason of the drag under way.
  const refusalTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(refusalTimer.current), []);
  const onConnectStart = useCallback<OnConnectStart>(() => {
    clearTimeout(refusalTimer.current);
    setRefusal(null);
  }, []);
  const onConnectEnd = useCallback<OnConnectEnd>(() => {
    // Keep the reason readable a moment after the pointer is released.
    clearTimeout(refusalTimer.current);
    refusalTimer.current = setTimeout(() => setRefusal(null), 2_500);
  }, []);

  // Palette drops.
  const onDragOver = useCallback((event: DragEvent) => {
    if (event.dataTransfer.types.includes(PALETTE_MIME)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    }
  }, []);
  const onDrop = useCallback(
    (event: DragEvent) => {
      const type = event.dataTransfer.getData(PALETTE_MIME);
      if (!type) return;
      event.preventDefault();
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      store.getState().addNode(type, { x: Math.round((at.x - 116) / 16) * 16, y: Math.round((at.y - 30) / 16) * 16 });
    },
    [flow, store],
  );

  return (
    <div className="canvas canvas-editor" data-testid="workflow-canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow<KeelFlowNode, KeelFlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        defaultEdgeOptions={defaultEdgeOptions}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={["Meta", "Control"]}
        snapToGrid
        snapGrid={SNAP_GRID}
        fitView={fitOnOpen}
        fitViewOptions={fitViewOptions}
        minZoom={0.05}
        connectionRadius={28}
      >
        <Background gap={16} />
        <Controls />
        <MiniMap pannable zoomable nodeColor={minimapColor} style={MINIMAP_STYLE} />
        <RefusalAtPointer reason={refusal} />
      </ReactFlow>
      {refusal ? (
        <div className="canvas-refusal" data-testid="connection-refusal" aria-hidden="true">
          Cannot connect: {refusal}
        </div>
      ) : null}
      {/* Mounted all along: a live region inserted together with its text is not announced. */}
      <p className="sr-only" role="status" aria-live="assertive" data-testid="connection-refusal-announce">
        {refusal ? `Cannot connect: ${refusal}` : ""}
      </p>
      {graph.nodes.length === 0 ? (
        <p className="canvas-empty">Drag a node here from the palette, or pick one and press Enter. Start with a trigger.</p>
      ) : null}
    </div>
  );
});
