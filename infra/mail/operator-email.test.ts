import { describe, expect, it } from "vitest";
import { absoluteLink } from "./operator-email";

// The email side of app/_components/links.test.ts: links in operator emails go through the same
// same-origin function as every other place that turns operator- or webhook-supplied text into
// a place to go.

describe("operator email links", () => {
  it("makes email links absolute only for paths that stay in Keel", () => {
    expect(absoluteLink("/forms/f1", "https://keel.example")).toBe("https://keel.example/forms/f1");
    expect(absoluteLink("/\\evil.example/x", "https://keel.example")).toBeNull();
    expect(absoluteLink("//evil.example/x", "https://keel.example")).toBeNull();
  });
});
