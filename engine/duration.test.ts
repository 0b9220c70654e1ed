import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration";

describe("ISO 8601 durations", () => {
  it.each([
    ["P2D", 2 * 86_400_000],
    ["PT5M", 300_000],
    ["P1DT2H30M", 86_400_000 + 2 * 3_600_000 + 30 * 60_000],
    ["PT0.5S", 500],
    ["P1W", 7 * 86_400_000],
  ])("%s is %d ms", (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(["", "P", "PT", "2D", "P2", "PT5X", "5 minutes", "P-1D"])("refuses %j", (text) => expect(parseDuration(text)).toBeUndefined());
});
