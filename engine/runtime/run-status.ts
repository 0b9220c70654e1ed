// A run's lifecycle, as one list: the database enum, the store and every service read it here,
// so "finished" means the same thing to the CLI, webhooks, retries and sub-workflows.

export const RUN_STATUSES = ["queued", "running", "waiting", "sleeping", "paused", "succeeded", "failed", "dead", "cancelled"] as const;

export type RunStatus = (typeof RUN_STATUSES)[number];

/** No worker will move these again by itself (a dead run waits for the operator). */
export const FINISHED_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>(["succeeded", "failed", "dead", "cancelled"]);

export function isFinished(status: RunStatus | string): boolean {
  return FINISHED_STATUSES.has(status as RunStatus);
}

/** Child statuses a parent acts on; a dead child waits for the operator, and so does its parent. */
export const CHILD_SETTLED: ReadonlySet<RunStatus> = new Set<RunStatus>(["succeeded", "failed", "cancelled"]);

/** Operator controls and the statuses each may start from. */
export const CONTROL_TRANSITIONS = {
  cancel: { from: ["queued", "running", "waiting", "sleeping", "paused", "dead"], to: "cancelled", event: "run.cancelled" },
  pause: { from: ["queued", "running", "waiting", "sleeping"], to: "paused", event: "run.paused" },
  resume: { from: ["paused"], to: "queued", event: "run.resumed" },
} as const satisfies Record<string, { from: readonly RunStatus[]; to: RunStatus; event: string }>;

export type ControlAction = keyof typeof CONTROL_TRANSITIONS;
