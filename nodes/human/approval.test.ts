import { describe, expect, it } from "vitest";
import { approvalCanvasBadge, approvalNodeV2, autonomyBadge, riskAtMost } from "./approval";

describe("human.approval@2", () => {
  it("defaults to always asking, and refuses a proposal schema that names a field twice", () => {
    expect(approvalNodeV2.config.parse({ title: "Send?" })).toMatchObject({ autonomy: { mode: "ask" }, proposalSchema: [], risk: "medium" });
    const twice = approvalNodeV2.config.safeParse({ title: "Send?", proposalSchema: [{ name: "a", label: "A", type: "text" }, { name: "a", label: "B", type: "text" }] });
    expect(twice.success ? [] : twice.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([["proposalSchema", "names the field 'a' twice"]]);
  });

  it("names the autonomy field that is wrong, and gives the condition to validation as JSONata", () => {
    const bad = approvalNodeV2.config.safeParse({ title: "Send?", autonomy: { mode: "trust", after: 0 } });
    expect(bad.success ? [] : bad.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([["autonomy.after", "must be at least 1"]]);
    const config = approvalNodeV2.config.parse({ title: "Send?", autonomy: { mode: "condition", condition: "proposal.amount < 50" } });
    expect(approvalNodeV2.expressions(config)).toContainEqual({ path: "autonomy.condition", source: "proposal.amount < 50", kind: "jsonata" });
  });

  it("shows autonomy as a badge on the canvas, nothing for asking or version 1", () => {
    const trust = { type: "human.approval", typeVersion: 2, config: { title: "x", autonomy: { mode: "trust", after: 3 } } };
    expect(approvalCanvasBadge(trust)).toBe("Auto-approves after 3 clean approvals (risk ≤ low)");
    expect(approvalCanvasBadge({ ...trust, config: { title: "x" } })).toBeNull();
    expect(approvalCanvasBadge({ ...trust, typeVersion: 1 })).toBeNull();
    expect(autonomyBadge({ autonomy: { mode: "condition", condition: "true", maxRisk: "high" } })).toBe("Auto-approves when its condition holds (risk ≤ high)");
  });

  it("caps by risk in order low < medium < high", () => {
    expect(riskAtMost("low", "medium")).toBe(true);
    expect(riskAtMost("high", "medium")).toBe(false);
    expect(riskAtMost("bogus", "high")).toBe(false);
  });
});
