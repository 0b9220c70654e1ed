import { describe, expect, it } from "vitest";
import { runData } from "../../engine/expressions";
import { memoryBehind } from "./memory-behind";

const item = (id: string) => ({ id, text: `fact ${id}`, kind: "note", subject: "contact:ada", score: 0.9, provenance: { runId: "r0", nodeId: "remember", approvalId: null } });

describe("memoryBehind: the memory items a prompt's templates read", () => {
  const data = runData(
    { email: "ada@example.com", context: { summary: "A loyal customer", memory: [{ id: "c1", text: "prefers email", kind: "preference", score: null, runId: "r9" }] } },
    {
      recall: { items: [item("m1"), item("m2")], summary: { text: "sum", method: "llm", itemCount: 2, refreshedAt: "" }, text: "- fact m1\n- fact m2", query: "q" },
      other: { items: [item("m3")], text: "- fact m3" },
      classify: { label: "billing" },
    },
  );

  it("names the items of the recall a prompt prints, by its text or its items, and no other recall's", () => {
    expect(memoryBehind(["Known facts:\n{{ recall.text }}\nAnswer {{ input.email }}"], data)).toEqual(["m1", "m2"]);
    expect(memoryBehind(["{{ $join(outputs.recall.items.text, ', ') }}"], data)).toEqual(["m1", "m2"]);
  });

  it("names a routed run's context items, and none for its summary, a query or plain fields", () => {
    expect(memoryBehind(["{{ input.context.memory }}"], data)).toEqual(["c1"]);
    expect(memoryBehind(["{{ input.context }}"], data)).toEqual(["c1"]);
    expect(memoryBehind(["{{ input.context.summary }} {{ recall.summary.text }} {{ recall.query }} {{ classify.label }} {{ input.email }}"], data)).toEqual([]);
    expect(memoryBehind([undefined, "no templates here: recall.text"], data)).toEqual([]);
  });

  it("names each item once across the step's templates, in the order read", () => {
    expect(memoryBehind(["{{ other.text }}", "{{ recall.items }} {{ other }}"], data)).toEqual(["m3", "m1", "m2"]);
  });
});
