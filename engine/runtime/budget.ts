import type { AnyNodeMeta } from "../registry";

// The engine asks this before a step with effects runs; the server answers from its budgets.
// A held step has not started: no ledger row, no attempt spent. The run sleeps until `until`
// (the next day, when the spending resets) or until the server wakes it sooner (a raised cap).

export interface BudgetHold {
  reason: "budget_exceeded";
  /** The budget that holds it, as the operator knows it ("All of Keel", a workflow's name). */
  budget: string;
  /** For the operator: which cap, how much is spent. */
  detail: string;
  until: Date;
}

export interface BudgetGate {
  /** Null when the step may run now. Asked only for steps with effects whose node type says they spend (`NodeMeta.spends`); `config` is the node's, parsed. */
  check(step: { runId: string; workflowId: string; nodeId: string; meta: AnyNodeMeta; config: unknown; now: Date }): Promise<BudgetHold | null>;
}

/** What a run.paused event's payload says when a budget holds the run; null for any other pause. */
export function budgetHoldOf(event: { type: string; payload: unknown } | null | undefined): { budget: string | null; detail: string; until: string | null } | null {
  if (event?.type !== RUN_PAUSED_EVENT) return null;
  const payload = event.payload as { reason?: unknown; budget?: unknown; detail?: unknown; until?: unknown } | null;
  if (payload?.reason !== "budget_exceeded") return null;
  return { budget: typeof payload.budget === "string" ? payload.budget : null, detail: typeof payload.detail === "string" ? payload.detail : "", until: typeof payload.until === "string" ? payload.until : null };
}

/** The event a run's log gets when a budget holds it; its payload carries the reason. */
export const RUN_PAUSED_EVENT = "run.paused";
