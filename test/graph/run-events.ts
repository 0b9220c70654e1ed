import { ERROR_PORT } from "../../engine/registry";
import { activeNodes, type RefState, type WorkflowEvent } from "./reference-interpreter";

// The events a test may send to a run, from the reference state: those SEMANTICS.md gives a
// meaning, and those it says must change nothing.

/** Events that complete `node` if it is active, by its behavior (SEMANTICS.md, "Events"). */
function eventsFor(state: RefState, id: string): WorkflowEvent[] {
  const node = state.program.nodes.get(id)!;
  const events: WorkflowEvent[] = [];
  switch (node.meta.behavior) {
    case "approval":
      events.push({ type: "APPROVE", node: id, output: { ok: true } }, { type: "EDIT", node: id, output: { edited: true } }, { type: "REJECT", node: id });
      break;
    case "delay":
      events.push({ type: "WAKE", node: id });
      break;
    case "end":
      break;
    default:
      for (const port of node.outputs) events.push({ type: "NODE.DONE", node: id, port, output: { from: id, port } });
  }
  if (state.program.targets(id, ERROR_PORT.id).length > 0) events.push({ type: "NODE.FAILED", node: id, error: { message: "boom" } });
  return events;
}

export function validEvents(state: RefState): WorkflowEvent[] {
  if (state.status.status === "done") return [];
  return activeNodes(state).flatMap((id) => eventsFor(state, id));
}

/** Events SEMANTICS.md says change nothing in this state. */
export function invalidEvents(state: RefState): WorkflowEvent[] {
  const triggers = triggerIds(state);
  const active = new Set(activeNodes(state));
  const events: WorkflowEvent[] = [{ type: "NODE.DONE", node: "ghost", port: "out", output: null }, { type: "WAKE", node: "ghost" }];
  for (const id of [...state.program.nodes.keys()].sort()) {
    if (!active.has(id) || state.status.status === "done") {
      // Right for its behavior, but the node is not active.
      events.push(...eventsFor(state, id).slice(0, 2));
      continue;
    }
    const node = state.program.nodes.get(id)!;
    const behavior = node.meta.behavior;
    events.push({ type: "NODE.DONE", node: id, port: "no-such-port", output: null });
    if (node.ports.includes(ERROR_PORT.id)) events.push({ type: "NODE.DONE", node: id, port: ERROR_PORT.id, output: null });
    if (state.program.targets(id, ERROR_PORT.id).length === 0) events.push({ type: "NODE.FAILED", node: id, error: { message: "no edge" } });
    // Events for another behavior.
    if (behavior === "approval") events.push({ type: "NODE.DONE", node: id, port: node.outputs[0]!, output: null }, { type: "WAKE", node: id });
    else if (behavior === "delay") events.push({ type: "NODE.DONE", node: id, port: "out", output: null }, { type: "APPROVE", node: id, output: null });
    else events.push({ type: "APPROVE", node: id, output: null }, { type: "REJECT", node: id }, { type: "WAKE", node: id });
  }
  if (state.started) for (const trigger of triggers) events.push({ type: "START", node: trigger, input: { again: true } });
  else {
    const other = [...state.program.nodes.keys()].sort().find((id) => !triggers.includes(id));
    if (other !== undefined) events.push({ type: "START", node: other, input: {} }); // not a trigger
  }
  return events;
}

export function triggerIds(state: RefState): string[] {
  return [...state.program.nodes.values()].filter((n) => n.meta.behavior === "trigger").map((n) => n.id).sort();
}
