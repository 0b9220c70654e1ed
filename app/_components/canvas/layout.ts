import type { ElkNode } from "elkjs/lib/elk-api";
import type { Graph } from "../../../engine/graph/schema";
import type { NodeRegistry } from "../../../engine/registry";
import { estimatedHeight, NODE_WIDTH, outputPorts } from "./flow-model";

// Layered auto-layout (elkjs), left to right like the edges' direction. Ports are ordered as
// drawn so a node's `true` branch stays above its `false` branch. The bundled build runs in
// the page; it is loaded on first use so it costs nothing until someone asks for a layout.

export type Positions = Record<string, { x: number; y: number }>;

export async function layoutGraph(graph: Graph, registry: NodeRegistry, sizes: Record<string, { width: number; height: number }> = {}): Promise<Positions> {
  const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
  const elk = new ELK();
  const root: ElkNode = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": "80",
      "elk.spacing.nodeNode": "40",
      "elk.layered.nodePlacement.strategy": "BRANDES_KOEPF",
      "elk.portConstraints": "FIXED_ORDER",
    },
    children: graph.nodes.map((node) => {
      const outputs = outputPorts(registry.get(node.type, node.typeVersion), node.config);
      const size = sizes[node.id] ?? { width: NODE_WIDTH, height: estimatedHeight(outputs.length) };
      return {
        id: node.id,
        width: size.width,
        height: size.height,
        layoutOptions: { "elk.portConstraints": "FIXED_ORDER" },
        ports: [
          { id: `${node.id}::in`, layoutOptions: { "elk.port.side": "WEST" } },
          ...outputs.map((p, i) => ({ id: `${node.id}::out::${p.id}`, layoutOptions: { "elk.port.side": "EAST", "elk.port.index": String(outputs.length - i) } })),
        ],
      };
    }),
    edges: graph.edges
      .filter((e) => graph.nodes.some((n) => n.id === e.source) && graph.nodes.some((n) => n.id === e.target))
      .map((e) => ({ id: e.id, sources: [`${e.source}::out::${e.sourcePort}`], targets: [`${e.target}::in`] })),
  };
  // Edges to ports a node does not have (a problem shown elsewhere) would make ELK throw.
  const ports = new Set(root.children!.flatMap((c) => (c.ports ?? []).map((p) => p.id)));
  root.edges = root.edges!.filter((e) => ports.has(e.sources[0]!) && ports.has(e.targets[0]!));
  const laid = await elk.layout(root);
  const positions: Positions = {};
  for (const child of laid.children ?? []) positions[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
  return positions;
}
