"use client";

import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../_trpc/client";
import "./backtest.css";

/** Backtest before publishing: the draft over the last N real runs, effects answered from their records. */
export function BacktestPanel({ workflowId, beforeRun }: { workflowId: string; /** Saves the editor's pending edits, so the draft backtested is the one shown. */ beforeRun?: () => Promise<void> }) {
  const trpc = useTRPC();
  const [count, setCount] = useState("20");
  const backtest = useMutation(trpc.backtest.run.mutationOptions());
  const runs = Number(count);
  const valid = Number.isInteger(runs) && runs >= 1 && runs <= 200;
  const result = backtest.data;

  return (
    <section className="panel" data-testid="backtest-panel" aria-labelledby="backtest-title">
      <h2 id="backtest-title">Backtest the draft</h2>
      <p className="muted">
        Replays the draft over the inputs of recent runs. Every HTTP call, email and other effect is answered from what those runs recorded: nothing is sent.
      </p>
      <div className="backtest-form">
        <label>
          Last
          <input type="number" min={1} max={200} value={count} onChange={(e) => setCount(e.target.value)} aria-label="Number of runs" aria-invalid={!valid} />
          runs
        </label>
        <button type="button" className="button-primary" disabled={!valid || backtest.isPending} onClick={async () => {
            await beforeRun?.();
            backtest.mutate({ id: workflowId, runs });
          }}>
          {backtest.isPending ? "Backtesting…" : "Run backtest"}
        </button>
      </div>
      {!valid ? <p className="form-error" role="alert">runs: must be a whole number from 1 to 200</p> : null}
      {backtest.isError ? <p className="form-error" role="alert">{backtest.error.message}</p> : null}
      {result ? (
        <div data-testid="backtest-result">
          <p data-testid="backtest-summary">
            {result.total === 0
              ? "No recorded runs to backtest yet."
              : `${result.total} run${result.total === 1 ? "" : "s"} replayed: ${result.same} unchanged, ${result.flagged.length} flagged.`}
          </p>
          {result.flagged.length > 0 ? (
            <ul className="backtest-list">
              {result.flagged.map((o) => (
                <li key={o.runId} data-testid="backtest-flagged" data-run-id={o.runId} data-result={o.result}>
                  Run <code title={o.runId}>{o.runId.slice(-8)}</code>{" "}
                  <span className="muted">{new Date(o.createdAt).toLocaleString()}</span>
                  {o.result === "changed" ? (
                    <>
                      <span className="diff-badge diff-changed">{o.pathChanged ? "path changes" : "output changes"}</span>
                      <div className="backtest-paths">
                        <div>
                          before: <code>{o.before.path.join(" → ")}</code>
                        </div>
                        <div>
                          after: <code>{o.after.path.join(" → ")}</code>
                        </div>
                        {o.stopped ? <div className="muted">then stops: {o.stopped.reason}</div> : null}
                      </div>
                    </>
                  ) : o.result === "stopped" ? (
                    <>
                      <span className="diff-badge diff-removed">stopped</span>
                      <div className="backtest-paths">{o.reason}</div>
                    </>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
