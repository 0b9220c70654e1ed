import { Gauge, Registry } from "prom-client";
import type { Dashboard } from "./dashboard";

// /metrics: the dashboard's figures in Prometheus' text format. A fresh registry per scrape,
// filled from one dashboard read, so every scrape is consistent and no state lives in between.
// Everything is a gauge of the current UTC day or the last 24 hours; Prometheus keeps the history.

export async function prometheusText(figures: Dashboard): Promise<{ contentType: string; body: string }> {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) => new Gauge({ name, help, labelNames, registers: [registry] });
  const today = figures.daily[figures.daily.length - 1]!;

  const runs = gauge("keel_runs_today", "Runs today (UTC), by what happened to them.", ["status"]);
  runs.set({ status: "started" }, today.runsStarted);
  runs.set({ status: "succeeded" }, today.runsSucceeded);
  runs.set({ status: "failed" }, today.runsFailed);
  const steps = gauge("keel_steps_today", "Steps with effects today (UTC): completed, and failed ones.", ["status"]);
  steps.set({ status: "completed" }, today.steps);
  steps.set({ status: "failed" }, today.stepsFailed);

  const latency = gauge("keel_step_latency_seconds", "Step duration over the last 24 hours, by node type.", ["node_type", "quantile"]);
  for (const l of figures.latency) {
    latency.set({ node_type: l.nodeType, quantile: "0.5" }, l.p50Ms / 1000);
    latency.set({ node_type: l.nodeType, quantile: "0.95" }, l.p95Ms / 1000);
  }
  gauge("keel_retry_rate", "Share of step attempts over the last 24 hours that were retries.").set(figures.retry.rate);
  gauge("keel_backlog_runs", "Runs queued and not yet claimed.").set(figures.backlog.queued);
  gauge("keel_backlog_oldest_seconds", "Age of the oldest queued run (0 when none).").set(figures.backlog.oldestAgeSeconds ?? 0);
  gauge("keel_approvals_waiting", "Approvals and forms waiting for the operator.").set(figures.approvals.waiting);
  gauge("keel_approvals_oldest_seconds", "Age of the oldest waiting approval (0 when none).").set(figures.approvals.oldestAgeSeconds ?? 0);
  gauge("keel_dead_letters_open", "Dead letters waiting for review.").set(figures.deadLetters.open);
  gauge("keel_dead_letters_last_24h", "Dead letters opened in the last 24 hours and still open.").set(figures.deadLetters.last24h);
  gauge("keel_cost_units_today", "Cost units spent today (UTC).").set(today.costUnits);
  gauge("keel_cost_tokens_today", "LLM tokens spent today (UTC).").set(today.costTokens);
  gauge("keel_own_cost_units_today", "Cost units Keel spent today (UTC) outside runs: memory summaries, embeddings.").set(today.keelCostUnits);
  const perWorkflow = gauge("keel_workflow_cost_units", "Cost units per workflow today (UTC).", ["workflow"]);
  for (const w of figures.workflows) perWorkflow.set({ workflow: w.name }, w.costUnits);
  const perWorkflowRuns = gauge("keel_workflow_runs", "Runs started per workflow today (UTC).", ["workflow"]);
  for (const w of figures.workflows) perWorkflowRuns.set({ workflow: w.name }, w.runs);

  return { contentType: registry.contentType, body: await registry.metrics() };
}
