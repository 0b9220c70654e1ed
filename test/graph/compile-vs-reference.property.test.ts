import fc from "fast-check";
import { initialTransition, transition } from "xstate";
import { describe, expect, it } from "vitest";
import { compileGraph } from "../../engine/graph/compile";
import { activeNodes, createWorkflowMachine, runStatus, visits, type WorkflowEvent as MachineEvent } from "../../engine/graph/machine";
import type { Graph } from "../../engine/graph/schema";
import { validateGraph } from "../../engine/graph/validate";
import { registry } from "../../nodes/catalog";
import { graphArbitrary } from "./arbitrary-graphs";
import { moveAndRelabel } from "./graph-mutations";
import * as reference from "./reference-interpreter";
import { invalidEvents, triggerIds, validEvents } from "./run-events";

// The compiled XState machine against the reference interpreter of SEMANTICS.md, on random
// valid graphs and random runs through them.

const MAX_EVENTS = 60;
/** Out of 100: how often a step sends an event that must change nothing. */
const INVALID_PERCENT = 12;

const nonZero = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0).sort());

type Snapshot = ReturnType<typeof initialTransition<ReturnType<typeof createWorkflowMachine>>>[0];

function observeMachine(snapshot: Snapshot) {
  return { active: activeNodes(snapshot), visits: nonZero(visits(snapshot)), status: runStatus(snapshot) };
}

function observeReference(state: reference.RefState) {
  return { active: reference.activeNodes(state), visits: nonZero({ ...state.visits }), status: state.status };
}

function validCompiled(graph: Graph) {
  const result = validateGraph(structuredClone(graph), registry);
  expect(result.problems).toEqual([]);
  if (!result.ok) throw new Error("unreachable");
  return compileGraph(result.graph, registry);
}

const runArbitrary = fc.record({
  graph: graphArbitrary,
  trigger: fc.nat(),
  steps: fc.array(fc.tuple(fc.nat(99), fc.nat()), { maxLength: MAX_EVENTS, size: "max" }),
});

describe("compiled machine vs the reference interpreter", () => {
  it("agree on random graphs and runs", () => {
    fc.assert(
      fc.property(runArbitrary, ({ graph, trigger, steps }) => {
        const compiled = validCompiled(graph);
        const json = JSON.stringify(compiled);
        expect(JSON.parse(json)).toStrictEqual(compiled);
        const again = validCompiled(graph);
        expect(JSON.stringify(again)).toBe(json);
        expect(again.hash).toBe(compiled.hash);
        // Positions, labels and the order nodes and edges are listed in do not change the machine.
        const moved = validCompiled(moveAndRelabel(graph, trigger + 1));
        const reordered = validCompiled({ ...graph, nodes: [...graph.nodes].reverse(), edges: [...graph.edges].reverse() });
        for (const other of [moved, reordered]) {
          expect(other.hash).toBe(compiled.hash);
          expect(JSON.stringify(other.machine)).toBe(JSON.stringify(compiled.machine));
        }

        const machine = createWorkflowMachine(JSON.parse(json));
        let [snapshot] = initialTransition(machine);
        let state = reference.initial(graph, registry);
        const log: reference.WorkflowEvent[] = [];
        const check = () => expect(observeMachine(snapshot), `after ${JSON.stringify(log)}`).toEqual(observeReference(state));
        check();

        const triggers = triggerIds(state);
        const send = (event: reference.WorkflowEvent) => {
          log.push(event);
          state = reference.send(state, event);
          [snapshot] = transition(machine, snapshot, event as MachineEvent);
          check();
        };
        const sendInvalid = (n: number) => {
          const invalid = invalidEvents(state);
          const event = invalid[n % invalid.length]!;
          const [before, value, context] = [state, JSON.stringify(snapshot.value), JSON.stringify(snapshot.context)];
          send(event);
          expect(state, `reference moved on ${JSON.stringify(event)}`).toBe(before);
          expect([JSON.stringify(snapshot.value), JSON.stringify(snapshot.context)], `machine moved on ${JSON.stringify(log)}`).toEqual([value, context]);
        };

        if (trigger % 4 === 0) sendInvalid(trigger);
        send({ type: "START", node: triggers[trigger % triggers.length]!, input: { n: trigger } });
        for (const [roll, n] of steps) {
          const valid = validEvents(state);
          if (roll < INVALID_PERCENT || valid.length === 0) sendInvalid(n);
          else send(valid[n % valid.length]!);
          if (valid.length === 0) break; // the run is over; one event after the end was enough
        }
      }),
      { numRuns: 200, seed: 20_240_611 },
    );
  });
});
