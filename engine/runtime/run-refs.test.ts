import { describe, expect, it } from "vitest";
import { appPath, childRunKey, remindVisit, stepKey, timerKey } from "./run-refs";

describe("run references", () => {
  it("a reminder's key gives back its visit, whatever the node id holds", () => {
    const key = timerKey({ kind: "remind", runId: "r1", nodeId: "ask:boss", visit: 3 });
    expect(key).toBe("r1:ask:boss:3:remind");
    expect(remindVisit(key)).toBe(3);
    expect(remindVisit(timerKey({ kind: "delay", step: stepKey("r1", "wait", 2) }))).toBeNull();
    expect(remindVisit(timerKey({ kind: "mail", notificationId: "n1" }))).toBeNull();
  });

  it("an edited retry runs under its own step key", () => {
    expect(stepKey("r", "n", 1)).toBe("r:n:1");
    expect(stepKey("r", "n", 1, 2)).toBe("r:n:1:e2");
    expect(childRunKey(stepKey("r", "n", 1))).toBe("r:n:1:child");
  });

  it("links stay inside the app, with ids encoded", () => {
    expect(appPath({ to: "approval", id: "a1" })).toBe("/approvals/a1");
    expect(appPath({ to: "form", id: "../x" })).toBe("/forms/..%2Fx");
  });
});
