import { describe, expect, it } from "vitest";
import { deriveNodeStates, NODE_RUN_STATES } from "./node-states";

describe("deriveNodeStates", () => {
  it("follows a node through entry, a failed attempt, a retry and success", () => {
    const states = deriveNodeStates([
      { type: "run.started", payload: {} },
      { type: "node.entered", nodeId: "http", payload: { visit: 1 } },
      { type: "node.failed", nodeId: "http", payload: { attempt: 1 } },
      { type: "node.retry_scheduled", nodeId: "http", payload: { attempt: 2 } },
    ]);
    expect(states.http).toEqual({ state: "retrying", visits: 1, attempts: 2 });
    const done = deriveNodeStates([{ type: "node.completed", nodeId: "http" }], states);
    expect(done.http).toEqual({ state: "succeeded", visits: 1, attempts: 2 });
  });

  it("marks approvals waiting, delays sleeping, operator skips skipped, dead steps failed", () => {
    const states = deriveNodeStates([
      { type: "node.entered", nodeId: "ok", payload: { visit: 1 } },
      { type: "approval.requested", nodeId: "ok" },
      { type: "node.entered", nodeId: "wait", payload: { visit: 1 } },
      { type: "delay.started", nodeId: "wait" },
      { type: "node.skipped", nodeId: "skip" },
      { type: "run.dead", nodeId: "bad" },
      { type: "node.entered", nodeId: "paid", payload: { visit: 1 } },
      { type: "run.paused", nodeId: "paid", payload: { reason: "budget_exceeded", budget: "All of Keel" } },
    ]);
    expect(states.paid?.state).toBe("sleeping");
    expect(states.ok?.state).toBe("waiting");
    expect(states.wait?.state).toBe("sleeping");
    expect(states.skip?.state).toBe("skipped");
    expect(states.bad?.state).toBe("failed");
    expect(states.never).toBeUndefined();
    for (const s of Object.values(states)) expect(NODE_RUN_STATES).toContain(s.state);
  });

  it("counts loop visits and resets attempts on a new visit", () => {
    const states = deriveNodeStates([
      { type: "node.entered", nodeId: "body", payload: { visit: 1 } },
      { type: "node.failed", nodeId: "body" },
      { type: "node.retry_scheduled", nodeId: "body" },
      { type: "node.completed", nodeId: "body" },
      { type: "node.entered", nodeId: "body", payload: { visit: 2 } },
    ]);
    expect(states.body).toEqual({ state: "active", visits: 2, attempts: 1 });
  });

  it("does not change the states it was given", () => {
    const from = deriveNodeStates([{ type: "node.entered", nodeId: "a", payload: { visit: 1 } }]);
    deriveNodeStates([{ type: "node.completed", nodeId: "a" }], from);
    expect(from.a?.state).toBe("active");
  });
});

describe("the end of a run", () => {
  it("finishes the nodes still active with the run: succeeded, failed, or skipped when cancelled", () => {
    const entered = deriveNodeStates([
      { type: "node.entered", nodeId: "done", payload: { visit: 1 } },
      { type: "node.entered", nodeId: "wait", payload: { visit: 1 } },
      { type: "delay.started", nodeId: "wait" },
    ]);
    expect(deriveNodeStates([{ type: "run.succeeded" }], entered).done?.state).toBe("succeeded");
    expect(deriveNodeStates([{ type: "run.failed" }], entered).done?.state).toBe("failed");
    const cancelled = deriveNodeStates([{ type: "run.cancelled" }], entered);
    expect(cancelled.done?.state).toBe("skipped");
    // Only active nodes change: the sleeping one keeps its state.
    expect(cancelled.wait?.state).toBe("sleeping");
  });

  it("finishes the end node the run ended at, as the engine logs it (run.succeeded names that node)", () => {
    const entered = deriveNodeStates([
      { type: "node.entered", nodeId: "http", payload: { visit: 1 } },
      { type: "node.completed", nodeId: "http" },
      { type: "node.entered", nodeId: "done", payload: { visit: 1 } },
    ]);
    const succeeded = deriveNodeStates([{ type: "run.succeeded", nodeId: "done", payload: { outcome: "success" } }], entered);
    expect(succeeded.done).toEqual({ state: "succeeded", visits: 1, attempts: 1 });
    expect(succeeded.http?.state).toBe("succeeded");
    const failed = deriveNodeStates([{ type: "run.failed", nodeId: "done", payload: { outcome: "failure" } }], entered);
    expect(failed.done?.state).toBe("failed");
  });
});
