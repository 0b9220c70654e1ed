import type { EdgeTypes, NodeTypes } from "@xyflow/react";
import { KeelEdge } from "./KeelEdge";
import { KeelNode } from "./KeelNode";

// At module scope, as React Flow's performance guide asks: a new object per render would
// re-mount every node.
export const nodeTypes: NodeTypes = { keel: KeelNode };
export const edgeTypes: EdgeTypes = { keel: KeelEdge };
export const defaultEdgeOptions = { type: "keel" } as const;
export const fitViewOptions = { padding: 0.2, maxZoom: 1 } as const;
export const SNAP_GRID: [number, number] = [16, 16];
