import { describe, expect, it } from "vitest";
import type { Graph } from "../../../engine/graph/schema";
import { deriveNodeStates } from "../../../engine/runtime/node-states";
import { KEYFRAME_EVERY, Timeline, type TimelineEvent } from "./timeline";

// The keyframes must never change an answer: every point of a long loop, loaded in uneven
// pages, gives the same states as folding the whole log from the start.

const graph: Graph = {
  schemaVersion: 1,
  nodes: ["start", "each", "bill", "done"].map((id) => ({ id, type: "x", typeVersion: 1, label: id, position: { x: 0, y: 0 }, config: {} })),
  edges: [
    { id: "e1", source: "start", sourcePort: "out", target: "each", targetPort: "in" },
    { id: "e2", source: "each", sourcePort: "item", target: "bill", targetPort: "in" },
    { id: "e3", source: "bill", sourcePort: "out", target: "each", targetPort: "in" },
    { id: "e4", source: "each", sourcePort: "done", target: "done", targetPort: "in" },
  ],
};

function loopLog(passes: number): TimelineEvent[] {
  const events: Omit<TimelineEvent, "seq" | "at">[] = [
    { type: "run.started", nodeId: null },
    { type: "node.entered", nodeId: "start", payload: { visit: 1 } },
    { type: "node.completed", nodeId: "start", payload: { port: "out" } },
    { type: "node.entered", nodeId: "each", payload: { visit: 1 } },
  ];
  for (let i = 1; i <= passes; i++) {
    events.push({ type: "node.completed", nodeId: "each", payload: { port: "item" } });
    events.push({ type: "node.entered", nodeId: "bill", payload: { visit: i } });
    if (i === 3) events.push({ type: "node.failed", nodeId: "bill", payload: { attempt: 1 } }, { type: "node.retry_scheduled", nodeId: "bill", payload: { attempt: 2, delayMs: 1000 } });
    events.push({ type: "node.completed", nodeId: "bill", payload: { port: "out" } });
    events.push({ type: "node.entered", nodeId: "each", payload: { visit: i + 1 } });
  }
  events.push({ type: "node.completed", nodeId: "each", payload: { port: "done" } }, { type: "node.entered", nodeId: "done", payload: { visit: 1 } });
  return events.map((e, i) => ({ ...e, seq: i + 1, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }));
}

describe("Timeline", () => {
  const log = loopLog(100);

  it("answers every point as a fold from the start would, across keyframes and uneven pages", () => {
    expect(log.length).toBeGreaterThan(3 * KEYFRAME_EVERY);
    const timeline = new Timeline(graph);
    for (let i = 0; i < log.length; i += 97) timeline.append(log.slice(i, i + 97));
    expect(timeline.length).toBe(log.length);
    for (let i = -1; i < log.length; i++) expect(timeline.at(i).states, `after event ${i}`).toEqual(deriveNodeStates(log.slice(0, i + 1)));
  });

  it("answers the same in any order of asking: back, forward, across keyframes, between pages", () => {
    const timeline = new Timeline(graph);
    const fromStart = (i: number) => deriveNodeStates(log.slice(0, i + 1));
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648), seed % n);
    for (let loaded = 0; loaded < log.length; ) {
      timeline.append(log.slice(loaded, (loaded += 61)));
      for (let k = 0; k < 40; k++) {
        // Runs of single steps forward (the cached fold) mixed with jumps anywhere.
        const i = k % 4 === 0 ? next(timeline.length + 1) - 1 : Math.min(timeline.length - 1, next(timeline.length));
        expect(timeline.at(i).states, `after event ${i}`).toEqual(fromStart(i));
        for (let step = i + 1; step < Math.min(timeline.length, i + 5); step++) expect(timeline.at(step).states, `stepping to ${step}`).toEqual(fromStart(step));
      }
    }
  });

  it("counts loop visits and marks the edges taken, not the branch left", () => {
    const timeline = new Timeline(graph);
    timeline.append(log);
    // Just before the loop leaves on done: every pass took the body's edge and the back-edge.
    const before = timeline.at(log.findIndex((e) => e.type === "node.completed" && (e.payload as { port: string }).port === "done") - 1);
    expect(before.states.bill).toEqual({ state: "succeeded", visits: 100, attempts: 1 });
    expect(before.takenEdges).toEqual({ e1: 1, e2: 100, e3: 100 });
    expect(timeline.at(log.length - 1).takenEdges).toEqual({ e1: 1, e2: 100, e3: 100, e4: 1 });
    const retrying = timeline.at(log.findIndex((e) => e.type === "node.retry_scheduled"));
    expect(retrying.states.bill).toEqual({ state: "retrying", visits: 3, attempts: 2 });
  });

  it("ignores a page that repeats events it already holds, and finds positions by seq", () => {
    const timeline = new Timeline(graph);
    timeline.append(log.slice(0, 50));
    timeline.append(log.slice(40, 60));
    expect(timeline.all().map((e) => e.seq)).toEqual(log.slice(0, 60).map((e) => e.seq));
    expect(timeline.indexOfSeq(30)).toBe(29);
    expect(timeline.indexOfSeq(1_000)).toBe(59);
    expect(timeline.indexOfSeq(0)).toBe(-1);
  });
});
