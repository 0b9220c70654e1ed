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

/** One logged run event, as the store keeps it. */
export interface NodeStateEvent {
  type: string;
  nodeId?: string | null;
  payload?: unknown;
}

const visitOf = (payload: unknown): number | undefined => {
  const visit = (payload as { visit?: unknown } | null | undefined)?.visit;
  return typeof visit === "number" ? visit : undefined;
};

/**
 * The state nodes still active take when the run ends: an end node finishes with the run (it
 * logs no completion of its own); a failed or cancelled run leaves its active steps unfinished.
 */
const RUN_END: Record<string, NodeRunState | undefined> = {
  "run.succeeded": "succeeded",
  "run.failed": "failed",
  "run.timed_out": "failed",
  "run.cancelled": "skipped",
};

function settleActive(states: NodeRunStates, to: NodeRunState): NodeRunStates {
  let next: NodeRunStates | undefined;
  for (const [id, status] of Object.entries(states)) {
    if (status.state !== "active") continue;
    next ??= { ...states };
    next[id] = { ...status, state: to };
  }
  return next ?? states;
}

/**
 * Folds one event into the node states. Pure and incremental, so the replay can step through a
 * long log from a keyframe and the live canvas can apply events as they arrive.
 */
export function applyNodeStateEvent(states: NodeRunStates, event: NodeStateEvent): NodeRunStates {
  // The run's end is logged with the end node it stopped at (or none): either way it settles
  // every node still active, that end node included.
  const ending = RUN_END[event.type];
  if (ending) return settleActive(states, ending);
  const nodeId = event.nodeId;
  if (!nodeId) return states;
  const current = states[nodeId];
  const set = (patch: Partial<NodeRunStatus>): NodeRunStates => ({
    ...states,
    [nodeId]: { state: "pending", visits: 0, attempts: 0, ...current, ...patch },
  });
  switch (event.type) {
    case "node.entered":
      return set({ state: "active", visits: visitOf(event.payload) ?? (current?.visits ?? 0) + 1, attempts: 1 });
    case "node.completed":
    case "delay.finished":
    case "approval.approved":
    case "approval.rejected":
      return set({ state: "succeeded" });
    case "node.failed":
      return set({ state: "failed" });
    case "node.retry_scheduled":
      return set({ state: "retrying", attempts: (current?.attempts ?? 1) + 1 });
    case "node.throttled":
      return set({ state: "retrying" });
    case "approval.requested":
    case "approval.escalated":
    case "subworkflow.started":
      return set({ state: "waiting" });
    // A budget holds a step (run.paused) before it starts: it sleeps until the budget allows it.
    case "delay.started":
    case "run.paused":
      return set({ state: "sleeping" });
    case "node.skipped":
      return set({ state: "skipped" });
    case "run.dead":
      return set({ state: "failed" });
    default:
      return states;
  }
}

/** The node states after a run's events, in log order. */
export function deriveNodeStates(events: readonly NodeStateEvent[], from: NodeRunStates = {}): NodeRunStates {
  let states = from;
  for (const event of events) states = applyNodeStateEvent(states, event);
  return states;
}
