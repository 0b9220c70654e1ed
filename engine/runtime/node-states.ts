// The one set of node states a run can show on the canvas: the editor's test run and the run
// replay both draw these, so both derive them here, from the run's event log.

export const NODE_RUN_STATES = [
  "pending",
  "active",
  "succeeded",
  "failed",
  "retrying",
  "waiting",
  "sleeping",
  "skipped",
] as const;

export type NodeRunState = (typeof NODE_RUN_STATES)[number];

export interface NodeRunStatus {
  state: NodeRunState;
  /** How many times the run entered this node (loops visit a node more than once). */
  visits: number;
  /** Attempts of the latest visit (1 when it succeeded first time). */
  attempts: number;
}

/** Node id → its state; nodes absent from the map are pending. */
export type NodeRunStates = Record<string, NodeRunStatus>;
