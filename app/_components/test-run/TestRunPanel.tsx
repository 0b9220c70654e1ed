"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { Graph } from "../../../engine/graph/schema";
import { useTRPC } from "../../_trpc/client";
import { NodeRunDetail } from "./NodeRunDetail";
import type { TestRunController } from "./use-test-run";
import "./test-run.css";

function parseInput(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `input: not valid JSON (${(error as Error).message})` };
  }
}

/**
 * Test run of the draft: sample input (saved per workflow), what would go out for real, the run
 * button, the run's status live, and the selected node's input, output, error and attempts.
 */
export function TestRunPanel({
  workflowId,
  draftGraph,
  testRun,
  beforeStart,
}: {
  workflowId: string;
  draftGraph: Graph;
  testRun: TestRunController;
  /** Saves the editor's pending edits, so the run is of the draft as shown. */
  beforeStart?: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const [emailToOutbox, setEmailToOutbox] = useState(true);
  const preflight = useQuery(trpc.testRun.preflight.queryOptions({ id: workflowId, emailToOutbox }, { enabled: workflowId.length > 0 }));
  const [text, setText] = useState<string | null>(null);
  const shown = text ?? (preflight.data ? JSON.stringify(preflight.data.input, null, 2) : "");
  const parsed = parseInput(shown);
  const start = useMutation(trpc.testRun.start.mutationOptions({ onSuccess: (r) => testRun.started(r.id) }));
  const run = testRun.detail.data;
  const problems = preflight.data?.problems ?? [];
  const warnings = preflight.data?.warnings ?? [];
  const selected = testRun.selectedNodeId ? draftGraph.nodes.find((n) => n.id === testRun.selectedNodeId) : undefined;

  return (
    <section className="panel test-run" data-testid="test-run-panel" aria-labelledby="test-run-title">
      <div className="test-run-head">
        <h2 id="test-run-title">Test run</h2>
        {run ? (
          <span className="run-status" data-status={run.status} data-testid="test-run-status">
            {run.status}
          </span>
        ) : (
          <span className="muted" data-testid="test-run-status">
            not run yet
          </span>
        )}
        {testRun.runId && testRun.live === "pending" ? <span className="muted">live</span> : null}
      </div>
      <div className="test-run-body">
        <div className="test-run-form">
          <label className="test-run-field">
            Sample input (JSON)
            <textarea
              value={shown}
              onChange={(e) => setText(e.target.value)}
              rows={6}
              spellCheck={false}
              aria-invalid={!parsed.ok}
              data-testid="test-run-input"
            />
          </label>
          {!parsed.ok ? (
            <p className="form-error" role="alert">
              {parsed.message}
            </p>
          ) : null}
          <label className="test-run-check">
            <input type="checkbox" checked={emailToOutbox} onChange={(e) => setEmailToOutbox(e.target.checked)} />
            Keep email in the outbox (nothing is sent)
          </label>
          {warnings.length > 0 ? (
            <div className="test-run-warnings" role="note" data-testid="test-run-warnings">
              <strong>This test run acts for real:</strong>
              <ul>
                {warnings.map((w) => (
                  <li key={`${w.nodeId}-${w.kind}`}>{w.message}</li>
                ))}
              </ul>
            </div>
          ) : null}
          {problems.length > 0 ? (
            <p className="form-error" role="alert">
              Fix {problems.length === 1 ? "the problem" : `${problems.length} problems`} first: {problems[0]!.message}
            </p>
          ) : null}
          {start.isError ? (
            <p className="form-error" role="alert">
              {start.error.message}
            </p>
          ) : null}
          <button
            type="button"
            className="button-primary"
            disabled={!parsed.ok || start.isPending || problems.length > 0}
            onClick={async () => {
              if (!parsed.ok) return;
              await beforeStart?.();
              start.mutate({ id: workflowId, input: parsed.value, emailToOutbox });
            }}
          >
            {start.isPending ? "Starting…" : warnings.length > 0 ? "Run test anyway" : "Run test"}
          </button>
        </div>
        <div className="test-run-node" aria-live="polite">
          {selected ? (
            <NodeRunDetail
              workflowId={workflowId}
              node={selected}
              graph={draftGraph}
              run={run}
              state={testRun.runStates?.[selected.id]}
              onChanged={testRun.refresh}
              onStepStarted={testRun.started}
            />
          ) : (
            <p className="muted">Select a node on the canvas to see its input, output, error and attempts.</p>
          )}
        </div>
      </div>
    </section>
  );
}
