import type { Graph } from "../../engine/graph/schema";

// The workflow the editor's must-show tests draw: webhook → HTTP request → if → approval →
// notify. The request asks a local peer for an order; orders above `threshold` need a yes.
export function approvalFlow(peerUrl: string, threshold = 100): Graph {
  const node = (id: string, type: string, label: string, x: number, y: number, config: Record<string, unknown>) => ({ id, type, typeVersion: 1, label, position: { x, y }, config });
  return {
    schemaVersion: 1,
    nodes: [
      node("hook", "trigger.webhook", "Order received", 0, 0, {}),
      node("fetch", "http.request", "Look up order", 240, 0, { method: "GET", url: `${peerUrl}/orders/{{ input.order }}` }),
      node("big", "logic.if", "Large order?", 480, 0, { condition: `fetch.body.amount > ${threshold}` }),
      node("ask", "human.approval", "Approve order", 720, -80, { title: "Approve order {{ input.order }}?" }),
      node("tell", "notify.operator", "Tell me", 960, -80, { title: "Order {{ input.order }} approved" }),
      node("small", "notify.operator", "Small order", 720, 100, { title: "Small order {{ input.order }}" }),
    ],
    edges: [
      { id: "e1", source: "hook", sourcePort: "out", target: "fetch", targetPort: "in" },
      { id: "e2", source: "fetch", sourcePort: "out", target: "big", targetPort: "in" },
      { id: "e3", source: "big", sourcePort: "true", target: "ask", targetPort: "in" },
      { id: "e4", source: "ask", sourcePort: "approved", target: "tell", targetPort: "in" },
      { id: "e5", source: "big", sourcePort: "false", target: "small", targetPort: "in" },
    ],
  } as Graph;
}
