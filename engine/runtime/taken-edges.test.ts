import { describe, expect, it } from "vitest";
import { deriveNodeStates, type NodeStateEvent } from "./node-states";
import { deriveTakenEdges, takenEdgeIndex } from "./taken-edges";

// Logs shaped as process-run.ts writes them: the event that moves the machine carries the
// machine event; a retried or dead-lettered failure does not.

const edge = (id: string, source: string, sourcePort: string, target: string) => ({ id, source, sourcePort, target, targetPort: "in" });

describe("taken edges on a loop", () => {
  // start → each ─item→ bill → each (back-edge) ; each ─done→ end
  const index = takenEdgeIndex({ edges: [edge("e1", "start", "out", "each"), edge("e2", "each", "item", "bill"), edge("e3", "bill", "out", "each"), edge("e4", "each", "done", "end")] });
  const log: NodeStateEvent[] = [
    { type: "run.started", payload: {} },
    { type: "node.entered", nodeId: "start", payload: { visit: 1 } },
    { type: "node.completed", nodeId: "start", payload: { port: "out" } },
    { type: "node.entered", nodeId: "each", payload: { visit: 1 } },
  ];
  for (let pass = 1; pass <= 3; pass++) {
    log.push({ type: "node.completed", nodeId: "each", payload: { port: "item" } }, { type: "node.entered", nodeId: "bill", payload: { visit: pass } });
    // The second pass fails once and is retried: that failure takes no edge.
    if (pass === 2) log.push({ type: "node.failed", nodeId: "bill", payload: { attempt: 1, error: { kind: "retryable" } } }, { type: "node.retry_scheduled", nodeId: "bill", payload: { attempt: 2 } });
    log.push({ type: "node.completed", nodeId: "bill", payload: { port: "out" } }, { type: "node.entered", nodeId: "each", payload: { visit: pass + 1 } });
  }

  it("counts the back-edge and the body's edge once per pass, and not the exit before the loop leaves", () => {
    expect(deriveTakenEdges(log, index)).toEqual({ e1: 1, e2: 3, e3: 3 });
  });

  it("takes the exit when the loop completes on done, and agrees with the node states' visit counts", () => {
    const done = [...log, { type: "node.completed", nodeId: "each", payload: { port: "done" } }, { type: "node.entered", nodeId: "end", payload: { visit: 1 } }];
    const taken = deriveTakenEdges(done, index);
    expect(taken).toEqual({ e1: 1, e2: 3, e3: 3, e4: 1 });
    expect(deriveNodeStates(done).bill?.visits).toBe(taken.e2);
  });

  it("folds incrementally from an earlier result without changing it", () => {
    const half = deriveTakenEdges(log.slice(0, 8), index);
    const frozen = { ...half };
    expect(deriveTakenEdges(log.slice(8), index, half)).toEqual(deriveTakenEdges(log, index));
    expect(half).toEqual(frozen);
  });
});

describe("taken edges on an error route", () => {
  // start → call ─out→ ok ; call ─error→ recover
  const index = takenEdgeIndex({ edges: [edge("e1", "start", "out", "call"), edge("e2", "call", "out", "ok"), edge("e3", "call", "error", "recover")] });
  const upToCall: NodeStateEvent[] = [
    { type: "node.completed", nodeId: "start", payload: { port: "out" } },
    { type: "node.entered", nodeId: "call", payload: { visit: 1 } },
    { type: "node.failed", nodeId: "call", payload: { attempt: 1, error: { kind: "retryable" } } },
    { type: "node.retry_scheduled", nodeId: "call", payload: { attempt: 2 } },
  ];

  it("takes the error edge when the machine routed the failure, never the out edge", () => {
    const routed = [
      ...upToCall,
      { type: "node.failed", nodeId: "call", payload: { attempt: 2, error: { kind: "permanent" }, machineEvent: { type: "NODE.FAILED", node: "call" } } },
      { type: "node.entered", nodeId: "recover", payload: { visit: 1 } },
    ];
    expect(deriveTakenEdges(routed, index)).toEqual({ e1: 1, e3: 1 });
    // The node states call the failed node failed: the old rule (source succeeded) would have
    // marked no edge out of it at all, and the out edge is not taken either way.
    expect(deriveNodeStates(routed).call?.state).toBe("failed");
  });

  it("takes no edge for a retried failure or a dead letter", () => {
    const dead = [...upToCall, { type: "node.failed", nodeId: "call", payload: { attempt: 2, error: { kind: "permanent" } } }, { type: "run.dead", nodeId: "call", payload: { visit: 1 } }];
    expect(deriveTakenEdges(dead, index)).toEqual({ e1: 1 });
  });
});

describe("decisions, forks and operator skips", () => {
  const index = takenEdgeIndex(
    {
      edges: [edge("a1", "ask", "approved", "send"), edge("a2", "ask", "rejected", "drop"), edge("f1", "fork", "out", "left"), edge("f2", "fork", "out", "right"), edge("s1", "form", "declined", "x")],
    },
    (node) => (node === "form" ? ["submitted", "declined"] : undefined),
  );

  it("follows the port a decision names, and a form's own ports when an older log names none", () => {
    expect(deriveTakenEdges([{ type: "approval.rejected", nodeId: "ask", payload: { port: "rejected" } }], index)).toEqual({ a2: 1 });
    expect(deriveTakenEdges([{ type: "approval.approved", nodeId: "ask", payload: { by: "operator" } }], index)).toEqual({ a1: 1 });
    expect(deriveTakenEdges([{ type: "approval.rejected", nodeId: "form", payload: {} }], index)).toEqual({ s1: 1 });
  });

  it("takes every branch of a fork, and the port an operator skipped a step with", () => {
    expect(deriveTakenEdges([{ type: "node.completed", nodeId: "fork", payload: { port: "out" } }], index)).toEqual({ f1: 1, f2: 1 });
    expect(deriveTakenEdges([{ type: "node.skipped", nodeId: "ask", payload: { port: "rejected" } }], index)).toEqual({ a2: 1 });
  });
});
