import { describe, expect, it } from "vitest";
import { validateGraph } from "../../../engine/graph";
import { registry } from "../../../nodes/catalog";
import { problemText } from "./problem-text";

describe("problem text on the canvas", () => {
  it("drops the node prefix and says 'is required' for a missing field, from a real validation problem", () => {
    const result = validateGraph(
      { schemaVersion: 1, nodes: [{ id: "check", type: "logic.if", typeVersion: 1, position: { x: 0, y: 0 }, config: {} }], edges: [] },
      registry,
    );
    const problem = result.ok ? undefined : result.problems.find((p) => p.code === "invalid_config");
    expect(problem?.message).toMatch(/^Node 'check' \(If \/ else\): condition /);
    expect(problemText(problem!)).toBe("Condition is required");
    expect(problemText(problem!, "field")).toBe("Is required");
  });
});
