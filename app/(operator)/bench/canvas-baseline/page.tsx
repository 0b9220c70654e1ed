"use client";

import { useQuery } from "@tanstack/react-query";
import { ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useSearchParams } from "next/navigation";
import { useMemo } from "react";
import { useTRPC } from "../../../_trpc/client";

// Only for `npm run bench`: the same workflow's nodes and edges drawn by bare React Flow with its
// built-in default node type and nothing else, the baseline the editor's load time and drag
// frame times are compared with (bench/editor-canvas.ts).
export default function CanvasBaseline() {
  const id = useSearchParams().get("workflow") ?? "";
  const trpc = useTRPC();
  const workflow = useQuery(trpc.workflow.get.queryOptions({ id }, { enabled: id !== "" }));
  const nodes = useMemo<Node[]>(() => (workflow.data?.draftGraph.nodes ?? []).map((n) => ({ id: n.id, position: n.position, data: { label: n.label || n.id } })), [workflow.data]);
  const edges = useMemo<Edge[]>(() => (workflow.data?.draftGraph.edges ?? []).map((e) => ({ id: e.id, source: e.source, target: e.target })), [workflow.data]);
  if (!workflow.data) return <p role="status">Loading…</p>;
  return (
    <div style={{ height: "calc(100vh - 120px)" }} data-testid="baseline-canvas">
      <ReactFlow defaultNodes={nodes} defaultEdges={edges} fitView minZoom={0.05} />
    </div>
  );
}
