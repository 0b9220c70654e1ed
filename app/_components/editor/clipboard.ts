import { z } from "zod";
import { GraphEdgeSchema, GraphNodeSchema, type Graph, type GraphEdge, type GraphNode } from "../../../engine/graph/schema";
import { freshId, idBase, takenIds } from "./ids";

// What copy puts on the system clipboard: the selected nodes and the edges between them, as
// JSON text, so a paste works in another tab or another workflow (and in a text editor).

export const CLIPBOARD_FORMAT = "keel.nodes";

export const ClipboardSchema = z.object({
  format: z.literal(CLIPBOARD_FORMAT),
  nodes: z.array(GraphNodeSchema).min(1).max(2_000),
  edges: z.array(GraphEdgeSchema).max(10_000),
});
export type ClipboardPayload = z.infer<typeof ClipboardSchema>;

export function copySelection(graph: Graph, nodeIds: ReadonlySet<string>): ClipboardPayload | null {
  const nodes = graph.nodes.filter((n) => nodeIds.has(n.id));
  if (!nodes.length) return null;
  const edges = graph.edges.filter((e) => nodeIds.has(e.source) && nodeIds.has(e.target));
  return { format: CLIPBOARD_FORMAT, nodes, edges };
}

/** Reads clipboard text; anything that is not copied Keel nodes is null (a paste of plain text does nothing). */
export function parseClipboard(text: string): ClipboardPayload | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = ClipboardSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/**
 * The payload's nodes and inner edges with ids that are free in `graph`, shifted by `offset`
 * (or moved so their top-left corner sits at `at`).
 */
export function freshen(payload: ClipboardPayload, graph: Graph, place: { offset: { x: number; y: number } } | { at: { x: number; y: number } }): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const taken = takenIds(graph);
  const ids = new Map<string, string>();
  for (const node of payload.nodes) ids.set(node.id, freshId(idBase(node.type), taken.nodes));
  const minX = Math.min(...payload.nodes.map((n) => n.position.x));
  const minY = Math.min(...payload.nodes.map((n) => n.position.y));
  const shift = "offset" in place ? place.offset : { x: place.at.x - minX, y: place.at.y - minY };
  const nodes = payload.nodes.map((n) => ({ ...structuredClone(n), id: ids.get(n.id)!, position: { x: n.position.x + shift.x, y: n.position.y + shift.y } }));
  const edges = payload.edges
    .filter((e) => ids.has(e.source) && ids.has(e.target))
    .map((e) => ({ ...e, id: freshId("e", taken.edges), source: ids.get(e.source)!, target: ids.get(e.target)! }));
  return { nodes, edges };
}
