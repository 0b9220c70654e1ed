import { initialTransition, transition } from "xstate";
import type { CompiledWorkflow } from "../graph/compile";
import { createWorkflowMachine, type WorkflowEvent } from "../graph/machine";

export interface LoggedEvent {
  seq: number;
  payload: unknown;
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
    after.set(event.seq, machine.getPersistedSnapshot(snapshot));
  }
  return after;
}
