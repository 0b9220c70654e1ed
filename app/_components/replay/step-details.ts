import type { TimelineEvent } from "./timeline";

// What the replay's side panel says about one node at one point of a run: its latest visit's
// input, output, error, attempts (each with its delay and reason), duration, cost, effects and
// provenance, read from the events up to that point and the run's effect ledger.

export interface EffectRow {
  key: string;
  nodeId: string;
  visit: number;
  nodeType: string;
  status: string;
  request: unknown;
  result: unknown;
  error: unknown;
  attempts: number;
  costTokens: number;
  costUnits: number;
  startedAt: string;
  completedAt: string | null;
}

export interface Attempt {
  attempt: number;
  outcome: "succeeded" | "failed" | "throttled" | "running";
  /** Why it failed, or what held it back. */
  reason: string | null;
  /** How long the engine waited before the next attempt. */
  delayMs: number | null;
  at: string;
}

export interface StepDetails {
  nodeId: string;
  visits: number;
  visit: number | null;
  /** What the step read: the run's input for a trigger, else its upstream nodes' outputs. */
  input: unknown;
  /** What the ledger recorded as the effect's request (redacted), for steps with effects. */
  request: unknown;
  output: unknown;
  hasOutput: boolean;
  error: unknown;
  attempts: Attempt[];
  durationMs: number | null;
  effects: EffectRow[];
  costTokens: number;
  costUnits: number;
  /** The child run a sub-workflow step started. */
  childRunId: string | null;
}

const payloadOf = (event: TimelineEvent) => (event.payload ?? {}) as Record<string, unknown>;
const errorMessage = (error: unknown): string | null => {
  if (error === null || error === undefined) return null;
  const message = (error as { message?: unknown }).message;
  return typeof message === "string" ? message : JSON.stringify(error);
};

/**
 * `upstream`: the nodes with an edge into this one. A step without a ledger row (a pure step,
 * an approval) shows as its input what those nodes had output when it was entered.
 */
export function stepDetails(
  events: readonly TimelineEvent[],
  /** Indexes of each node's events in `events` (Timeline.indexesOf); scanning them is enough. */
  indexesOf: (nodeId: string) => readonly number[],
  index: number,
  nodeId: string,
  effects: readonly EffectRow[],
  runInput: unknown,
  isTrigger: boolean,
  upstream: readonly string[] = [],
): StepDetails {
  // The latest visit of the node at or before this point.
  let enteredAt = -1;
  let visits = 0;
  const own = indexesOf(nodeId);
  for (const i of own) {
    if (i > index) break;
    if (events[i]!.type === "node.entered") {
      enteredAt = i;
      visits++;
    }
  }
  const nodeEffects = effects.filter((e) => e.nodeId === nodeId);
  if (enteredAt < 0) {
    return { nodeId, visits: 0, visit: null, input: undefined, request: undefined, output: undefined, hasOutput: false, error: null, attempts: [], durationMs: null, effects: [], costTokens: 0, costUnits: 0, childRunId: null };
  }
  const entered = events[enteredAt]!;
  const visit = typeof payloadOf(entered).visit === "number" ? (payloadOf(entered).visit as number) : visits;
  const effect = nodeEffects.find((e) => e.visit === visit);

  const attempts: Attempt[] = [];
  let output: unknown;
  let hasOutput = false;
  let error: unknown = null;
  let endedAt: string | null = null;
  let childRunId: string | null = null;
  for (const i of own) {
    if (i <= enteredAt) continue;
    if (i > index) break;
    const event = events[i]!;
    const p = payloadOf(event);
    const attempt = typeof p.attempt === "number" ? p.attempt : attempts.length + 1;
    switch (event.type) {
      case "node.completed":
      case "approval.approved":
      case "approval.rejected":
      case "node.skipped":
      case "delay.finished": {
        const machineEvent = p.machineEvent as { output?: unknown } | undefined;
        output = machineEvent && "output" in machineEvent ? machineEvent.output : undefined;
        hasOutput = output !== undefined;
        if (event.type === "node.completed" && typeof p.child === "string") childRunId = p.child;
        if (event.type === "node.completed") attempts.push({ attempt, outcome: "succeeded", reason: null, delayMs: null, at: event.at });
        endedAt = event.at;
        break;
      }
      case "node.failed":
        error = p.error ?? null;
        attempts.push({ attempt, outcome: "failed", reason: errorMessage(p.error), delayMs: null, at: event.at });
        endedAt = event.at;
        break;
      case "node.retry_scheduled": {
        const last = attempts.at(-1);
        if (last) last.delayMs = typeof p.delayMs === "number" ? p.delayMs : null;
        endedAt = null;
        break;
      }
      case "node.throttled":
        attempts.push({ attempt, outcome: "throttled", reason: typeof p.message === "string" ? p.message : null, delayMs: typeof p.until === "string" ? Math.max(0, Date.parse(p.until) - Date.parse(event.at)) : null, at: event.at });
        break;
      case "subworkflow.started":
        if (typeof p.child === "string") childRunId = p.child;
        break;
    }
  }
  const current = events[Math.min(index, events.length - 1)];
  const end = endedAt ?? current?.at ?? entered.at;
  let input: unknown = isTrigger ? runInput : undefined;
  if (!isTrigger && upstream.length > 0) {
    const outputs: Record<string, unknown> = {};
    for (const source of upstream) {
      const list = indexesOf(source);
      // The source's last event before this visit that carried an output.
      for (let k = list.length - 1; k >= 0; k--) {
        const i = list[k]!;
        if (i >= enteredAt) continue;
        const machineEvent = payloadOf(events[i]!).machineEvent as { output?: unknown } | undefined;
        if (machineEvent && "output" in machineEvent) {
          outputs[source] = machineEvent.output;
          break;
        }
      }
    }
    input = outputs;
  }
  return {
    nodeId,
    visits,
    visit,
    input,
    request: effect?.request,
    output,
    hasOutput,
    error,
    attempts,
    durationMs: Math.max(0, Date.parse(end) - Date.parse(entered.at)),
    effects: nodeEffects,
    costTokens: nodeEffects.reduce((sum, e) => sum + e.costTokens, 0),
    costUnits: nodeEffects.reduce((sum, e) => sum + e.costUnits, 0),
    childRunId,
  };
}
