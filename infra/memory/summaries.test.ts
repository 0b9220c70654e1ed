import { describe, expect, it } from "vitest";
import { useLiteEmbedder } from "./embedders";
import { extractiveSummarizer, fromListSummarizer, splitSentences } from "./summaries";

const day = (n: number) => new Date(Date.UTC(2026, 10, n));

describe("extractive summaries", () => {
  it("splits sentences on end punctuation and new lines", () => {
    expect(splitSentences("One. Two!  Three?\nFour\n\nFive.")).toEqual(["One.", "Two!", "Three?", "Four", "Five."]);
  });

  it("picks the sentences the items keep coming back to, in the order they were written, the same every time", async () => {
    const summarizer = extractiveSummarizer(useLiteEmbedder(), { sentences: 2 });
    // Newest first, as the cadence pass reads them.
    const items = [
      { text: "Asked again about the late invoice payment.", createdAt: day(5) },
      { text: "The weather in Zurich was nice.", createdAt: day(4) },
      { text: "The invoice payment is two weeks late. She likes cats.", createdAt: day(3) },
      { text: "Promised to pay the overdue invoice on Friday.", createdAt: day(2) },
      { text: "Sent a first reminder about the invoice payment.", createdAt: day(1) },
    ];
    const summary = await summarizer.summarize({ subject: "contact:ada@example.test", items });
    const picked = splitSentences(summary);
    expect(picked).toHaveLength(2);
    for (const sentence of picked) expect(sentence).toMatch(/invoice/);
    // Chronological: the oldest picked sentence comes first.
    const order = picked.map((s) => items.findIndex((item) => item.text.includes(s)));
    expect(order[0]).toBeGreaterThan(order[1]!);
    expect(await summarizer.summarize({ subject: "contact:ada@example.test", items })).toBe(summary);
    expect(summarizer.method).toBe("extractive");
  });

  it("returns short histories whole, without embedding", async () => {
    const summarizer = extractiveSummarizer({ id: "none", dimension: 1, embed: () => Promise.reject(new Error("must not embed")) }, { sentences: 3 });
    expect(await summarizer.summarize({ subject: "project:blog", items: [{ text: "Second.", createdAt: day(2) }, { text: "First.", createdAt: day(1) }] })).toBe("First. Second.");
  });
});

describe("an LLM summarizer behind memory's interface", () => {
  it("gets the items oldest first with their times, and names its method", async () => {
    const seen: unknown[] = [];
    const summarizer = fromListSummarizer("llm:keel-chat", {
      async summarize(subject, items) {
        seen.push(subject, items);
        return "a summary";
      },
    });
    expect(summarizer.method).toBe("llm:keel-chat");
    expect(await summarizer.summarize({ subject: "contact:x", items: [{ text: "new", createdAt: day(2) }, { text: "old", createdAt: day(1) }] })).toBe("a summary");
    expect(seen).toEqual(["contact:x", [{ text: "old", at: day(1) }, { text: "new", at: day(2) }]]);
  });
});
