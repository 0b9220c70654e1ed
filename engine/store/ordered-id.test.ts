import { describe, expect, it } from "vitest";
import { orderedId } from "./ordered-id";

describe("orderedId", () => {
  it("is a version 7 UUID", () => {
    expect(orderedId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("sorts in the order the ids were made, within one millisecond too", () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => orderedId(1_700_000_000_000 + Math.floor(i / 1_000)));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("keeps its order when the clock steps back", () => {
    const later = orderedId(1_800_000_000_000);
    expect(orderedId(1_799_999_999_000) > later).toBe(true);
  });
});
