"use client";

import { useMutation } from "@tanstack/react-query";
import type { Graph, GraphNode } from "../../../engine/graph/schema";
import type { NodeRunStatus } from "../../../engine/runtime/node-states";
import type { AppRouter } from "../../../server/trpc/router";
import type { inferRouterOutputs } from "@trpc/server";
import { useTRPC } from "../../_trpc/client";

type Detail = inferRouterOutputs<AppRouter>["testRun"]["detail"];

function Json({ value, testId }: { value: unknown; testId: string }) {
  return (
    <pre className="test-run-json" data-testid={testId}>
      {value === undefined ? "—" : JSON.stringify(value, null, 2)}
    </pre>
  );
}

/** One node of a test run: its state, attempts, input (upstream outputs), output and error; an approval decided inline; a wait skipped. */
export function NodeRunDetail({
  workflowId,
  node,
  graph,
  run,
  state,
  onChanged,
  onStepStarted,
}: {
  workflowId: string;
  node: GraphNode;
  graph: Graph;
  run: Detail | undefined;
  state: NodeRunStatus | undefined;
  onChanged: () => void;
  onStepStarted: (runId: string) => void;
}) {
  const trpc = useTRPC();
  const step = useMutation(trpc.testRun.runStep.mutationOptions({ onSuccess: (r) => onStepStarted(r.id) }));
  const decide = useMutation(trpc.approval.decide.mutationOptions({ onSuccess: onChanged }));
  const skip = useMutation(trpc.testRun.skipWait.mutationOptions({ onSuccess: onChanged }));
  const upstream = graph.edges.filter((e) => e.target === node.id).map((e) => e.source);
  const input = run ? (upstream.length === 0 ? run.input : Object.fromEntries(upstream.map((id) => [id, run.outputs[id]]))) : undefined;
  const approval = run?.approvals.find((a) => a.nodeId === node.id);
  const sleepingHere = run?.sleeping && state?.state === "sleeping";

  return (
    <div data-testid="node-run-detail" data-node-id={node.id}>
      <h3 className="test-run-node-title">
        {node.label || node.id} <span className="muted">{node.type}</span>
      </h3>
      <dl className="test-run-facts">
        <div>
          <dt>State</dt>
          <dd data-testid="node-run-state">{state?.state ?? "pending"}</dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd data-testid="node-run-attempts">{run?.attempts[node.id] ?? state?.attempts ?? 0}</dd>
        </div>
      </dl>
      {!node.type.startsWith("trigger.") ? (
        <div className="test-run-step">
          <button type="button" className="button-quiet" disabled={step.isPending} onClick={() => step.mutate({ id: workflowId, nodeId: node.id })}>
            {step.isPending ? "Starting…" : "Run this step"}
          </button>{" "}
          <span className="muted">with the last test run&apos;s data</span>
          {step.isError ? <p className="form-error" role="alert">{step.error.message}</p> : null}
        </div>
      ) : null}
      {approval ? (
        <div className="test-run-approval" data-testid="inline-approval">
          <p>This approval waits for you.</p>
          <button type="button" className="button-primary" disabled={decide.isPending} onClick={() => decide.mutate({ approvalId: approval.id, decision: "approve" })}>
            Approve
          </button>{" "}
          <button type="button" className="button-quiet" disabled={decide.isPending} onClick={() => decide.mutate({ approvalId: approval.id, decision: "reject" })}>
            Reject
          </button>
          {decide.isError ? <p className="form-error" role="alert">{decide.error.message}</p> : null}
        </div>
      ) : null}
      {sleepingHere && run ? (
        <div className="test-run-approval">
          <button type="button" className="button-quiet" disabled={skip.isPending} onClick={() => skip.mutate({ runId: run.id })}>
            Skip the wait
          </button>
          {skip.isError ? <p className="form-error" role="alert">{skip.error.message}</p> : null}
        </div>
      ) : null}
      <h4>Input</h4>
      <Json value={input} testId="node-run-input" />
      <h4>Output</h4>
      <Json value={run?.outputs[node.id]} testId="node-run-output" />
      {run?.errors[node.id] !== undefined ? (
        <>
          <h4>Error</h4>
          <Json value={run.errors[node.id]} testId="node-run-error" />
        </>
      ) : null}
    </div>
  );
}
