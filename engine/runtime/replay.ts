import { initialTransition, transition } from "xstate";
import type { CompiledWorkflow } from "../graph/compile";
import { createWorkflowMachine, type WorkflowEvent } from "../graph/machine";

export interface LoggedEvent {
  seq: number;
  type?: string;
  payload: unknown;
}

/** The event a dead-letter retry logs; with edited input its payload carries `input`. */
export const RUN_RETRIED_EVENT = "run.retried";

/**
 * The run input an operator's retry put in place, when this event is one: the store wrote it
 * into the run's context (a new checkpoint at this event) without a machine event, so a replay
 * must put it there too.
 */
export function editedInputOf(event: { type?: string; payload: unknown }): { input: unknown } | null {
  if (event.type !== RUN_RETRIED_EVENT) return null;
  const payload = event.payload as { input?: unknown } | null;
  return payload && typeof payload === "object" && "input" in payload ? { input: payload.input } : null;
}

/** A snapshot with the run's input replaced, as the store persists it for an edited retry. */
export function withInput<S extends { context?: unknown }>(persisted: S, input: unknown): S {
  return { ...persisted, context: { ...((persisted.context as object | undefined) ?? {}), input } };
}

/**
 * Replays a run's event log against its compiled machine: every event that moved the machine
 * carries it (`payload.machineEvent`). Returns the persisted snapshot after each event, by seq,
 * for the replay view and for checking that history and checkpoints agree.
 */
export function replayRun(compiled: CompiledWorkflow, events: LoggedEvent[]): Map<number, unknown> {
  const machine = createWorkflowMachine(compiled);
  let [snapshot] = initialTransition(machine);
  const after = new Map<number, unknown>();
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    const machineEvent = (event.payload as { machineEvent?: WorkflowEvent } | null)?.machineEvent;
    if (machineEvent) [snapshot] = transition(machine, snapshot, machineEvent);
    const edited = editedInputOf(event);
    if (edited) snapshot = machine.resolveState(withInput(machine.getPersistedSnapshot(snapshot) as { context?: unknown }, edited.input) as never);
    after.set(event.seq, machine.getPersistedSnapshot(snapshot));
  }
  return after;
}
