import { describe, expect, it } from "vitest";
import { proposalDiff } from "./proposal-diff";

describe("proposalDiff", () => {
  it("names each changed path, nested ones dotted, and nothing that stayed", () => {
    expect(proposalDiff({ amount: 40, note: "hi", to: { email: "a@b.c", name: "A" } }, { amount: 35, note: "hi", to: { email: "x@b.c", name: "A" } })).toEqual([
      { path: "amount", before: 40, after: 35 },
      { path: "to.email", before: "a@b.c", after: "x@b.c" },
    ]);
  });

  it("treats added and removed keys as changes from and to null", () => {
    expect(proposalDiff({ a: 1 }, { b: 2 })).toEqual([
      { path: "a", before: 1, after: null },
      { path: "b", before: null, after: 2 },
    ]);
  });

  it("compares non-objects whole", () => {
    expect(proposalDiff("draft", "final")).toEqual([{ path: "", before: "draft", after: "final" }]);
    expect(proposalDiff([1, 2], [1, 2])).toEqual([]);
  });
});
