"use client";

import { Handle, Position, type NodeProps } from "@xyflow/react";
import Link from "next/link";
import { memo } from "react";
import { ERROR_PORT } from "../../../engine/registry";
import { approvalCanvasBadge } from "../../../nodes/human/approval";
import type { KeelFlowNode } from "./flow-model";
import { NodeIcon } from "./icons";
import { problemText } from "./problem-text";

// One component for every node type: the category decides the colour, the behaviour the shape
// (approvals and forms are pause points: a run stops there until a person acts). Everything
// drawn is operator-supplied text rendered as React text children (escaped), never as HTML.

const STATUS_LABELS = {
  pending: "pending",
  active: "running",
  succeeded: "done",
  failed: "failed",
  retrying: "retrying",
  waiting: "waiting",
  sleeping: "sleeping",
  skipped: "skipped",
} as const;

function KeelNodeView({ id, data, selected }: NodeProps<KeelFlowNode>) {
  const { node, meta, outputs, problems, status, highlight, notice, waiting, delivery } = data;
  const title = node.label.trim() === "" ? (meta?.title ?? node.type) : node.label;
  const pause = meta?.behavior === "approval";
  const classes = [
    "kn",
    `kn-${meta?.category ?? "unknown"}`,
    pause ? "kn-pause" : "",
    selected ? "kn-selected" : "",
    problems.length ? "kn-has-problems" : "",
    status ? `kn-status-${status.state}` : "",
    highlight ? `kn-highlight-${highlight}` : "",
  ]
    .filter(Boolean)
    .join(" ");
  const allProblems = problems.map((p) => p.message).join("\n");
  // How much an approval decides by itself (progressive autonomy), read from its config.
  const autonomy = approvalCanvasBadge(node);
  const badged = (status && (status.state !== "pending" || status.visits > 1)) || problems.length > 0;
  return (
    <div className={classes} data-testid="canvas-node" data-node-id={id} data-node-type={node.type} data-status={status?.state ?? "pending"} data-run-state={status?.state} data-highlight={highlight}>
      {meta?.inputs.length ? <Handle type="target" position={Position.Left} id={meta.inputs[0]!.id} className="kn-handle-in" /> : null}
      <div className="kn-head">
        <NodeIcon icon={meta?.icon} category={meta?.category} />
        <div className="kn-titles">
          <div className="kn-label">{title}</div>
          <div className="kn-type">
            {pause ? <span className="kn-pause-tag">pause · </span> : null}
            {meta?.title ?? "unknown type"} <span className="kn-id">{id}</span>
          </div>
        </div>
        {/* No empty wrapper: at 500 nodes every element counts in the time to open (bench/editor-canvas.ts). */}
        {badged ? (
          <div className="kn-badges">
            {status && status.state !== "pending" ? (
              <span className={`kn-status kn-status-badge-${status.state}`} data-testid="node-status" title={`${status.visits} visit(s), ${status.attempts} attempt(s)`}>
                {STATUS_LABELS[status.state]}
                {status.attempts > 1 ? ` ×${status.attempts}` : ""}
              </span>
            ) : null}
            {status && status.visits > 1 ? (
              <span className="kn-status" data-testid="node-visits" title={`Entered ${status.visits} times (a loop)`}>
                visit {status.visits}
              </span>
            ) : null}
            {problems.length ? (
              <span className="kn-problem" data-testid="node-problem" role="img" aria-label={`${problems.length} problem(s): ${allProblems}`} title={allProblems}>
                {problems.length}
              </span>
            ) : null}
          </div>
        ) : null}
      </div>
      {autonomy ? (
        <div className="kn-notice" data-testid="node-badge">
          {autonomy}
        </div>
      ) : null}
      {delivery ? (
        // Mail that would pile up unsent in the outbox is the surprise this badge prevents.
        <div className={`kn-delivery kn-delivery-${delivery.outcome}`} data-testid="node-delivery" data-outcome={delivery.outcome} title={delivery.reason}>
          {delivery.outcome === "outbox" ? "Outbox only: not sent" : "Will fail: credential missing"}
        </div>
      ) : null}
      {pause && waiting ? (
        // nodrag/nopan: a click on the link follows it instead of starting a drag or a pan.
        <Link href="/approvals" className="kn-waiting nodrag nopan" data-testid="node-waiting" title="Open the approval queue">
          {waiting} run{waiting === 1 ? "" : "s"} waiting here →
        </Link>
      ) : null}
      {notice ? (
        <div className="kn-notice" data-testid="node-notice">
          {notice}
        </div>
      ) : null}
      {problems.length ? (
        <div className="kn-problem-text" data-testid="node-problem-text">
          {problemText(problems[0]!)}
          {problems.length > 1 ? ` (+${problems.length - 1} more)` : ""}
        </div>
      ) : null}
      <div className="kn-ports">
        {outputs.map((port) => (
          <div key={port.id} className={port.id === ERROR_PORT.id ? "kn-port kn-port-error" : "kn-port"}>
            {port.label}
            <Handle type="source" position={Position.Right} id={port.id} className="kn-handle-out" />
          </div>
        ))}
      </div>
    </div>
  );
}

export const KeelNode = memo(KeelNodeView);
