import type { AnyNodeMeta } from "../registry";

// The engine asks this before a step with effects runs; the server answers from its budgets.
// A held step has not started: no ledger row, no attempt spent. The run sleeps until `until`
// (the next day, when the spending resets) or until the server wakes it sooner (a raised cap).

export interface BudgetHold {
  reason: "budget_exceeded";
  /** For the operator: which cap, how much is spent. */
  detail: string;
  until: Date;
}

export interface BudgetGate {
  /** Null when the step may run now. Called only for steps with effects. */
  check(step: { runId: string; workflowId: string; nodeId: string; meta: AnyNodeMeta; now: Date }): Promise<BudgetHold | null>;
}

/** The event a run's log gets when a budget holds it; its payload carries the reason. */
export const RUN_PAUSED_EVENT = "run.paused";
