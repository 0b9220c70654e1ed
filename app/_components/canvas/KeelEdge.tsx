"use client";

import { BaseEdge, EdgeLabelRenderer, getBezierPath, getSmoothStepPath, type EdgeProps } from "@xyflow/react";
import { memo } from "react";
import type { KeelFlowEdge } from "./flow-model";

// Port labels ride on the edge when the port is not the plain `out` (true/false, cases, error),
// so a branch reads without opening the node. Problems turn the edge red, with the reason.
function KeelEdgeView({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data, selected, markerEnd }: EdgeProps<KeelFlowEdge>) {
  // An edge that runs back against the flow (a loop's back edge) is routed around the nodes in
  // steps, and its label sits just past its source port: drawn as a bezier it doubled back
  // behind the nodes, and its label landed on the loop body's own label.
  const backward = targetX < sourceX;
  const [path, midX, midY] = backward
    ? getSmoothStepPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, borderRadius: 8, offset: 36 })
    : getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const [labelX, labelY] = backward ? [sourceX + 22, sourceY - 12] : [midX, midY];
  const problems = data?.problems ?? [];
  const classes = [
    "ke",
    selected ? "ke-selected" : "",
    problems.length ? "ke-problem" : "",
    data?.port === "error" ? "ke-error-port" : "",
    data?.highlight ? `ke-highlight-${data.highlight}` : "",
    data?.taken ? "ke-taken" : "",
  ]
    .filter(Boolean)
    .join(" ");
  // A loop's edges say how many passes took them.
  const times = data && data.taken > 1 ? `×${data.taken}` : null;
  const portLabel = data && data.port !== "out" ? data.port : null;
  const label = problems.length ? `⚠ ${problems[0]!.message}` : portLabel && times ? `${portLabel} ${times}` : (portLabel ?? times);
  return (
    <>
      <BaseEdge id={id} path={path} className={classes} {...(markerEnd ? { markerEnd } : {})} interactionWidth={16} />
      {label ? (
        <EdgeLabelRenderer>
          <div
            className={problems.length ? "ke-label ke-label-problem" : "ke-label"}
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            data-testid={problems.length ? "edge-problem" : "edge-label"}
            data-taken={data?.taken || undefined}
            title={problems.map((p) => p.message).join("\n") || undefined}
          >
            {problems.length ? "⚠" : label}
          </div>
        </EdgeLabelRenderer>
      ) : null}
    </>
  );
}

export const KeelEdge = memo(KeelEdgeView);
