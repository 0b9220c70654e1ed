import { describe, expect, it } from "vitest";
import { sameOriginPath } from "./same-origin";

const ORIGIN = "https://keel.example";
// What a query parameter decodes to: `/login?next=/%09/evil.example/x` gives "/\t/evil.example/x".
const decoded = (raw: string) => new URLSearchParams(`next=${raw}`).get("next")!;

describe("sameOriginPath", () => {
  it("keeps paths in the app, normalised, with query and fragment", () => {
    expect(sameOriginPath("/workflows/abc?tab=runs#r1", ORIGIN)).toBe("/workflows/abc?tab=runs#r1");
    expect(sameOriginPath("https://keel.example/audit", ORIGIN)).toBe("/audit");
    expect(sameOriginPath("/a/../b", ORIGIN)).toBe("/b");
  });

  it.each([
    ["a tab after the slash", decoded("/%09/evil.example/x")],
    ["a newline after the slash", decoded("/%0a/evil.example/x")],
    ["a carriage return", decoded("/%0d/evil.example/x")],
    ["a backslash", "/\\evil.example/x"],
    ["two slashes", "//evil.example/x"],
    ["slash backslash tab", "/\\\t/evil.example"],
    ["another origin", "https://evil.example/x"],
    ["another port", "https://keel.example:8443/x"],
    ["another scheme", "http://keel.example/x"],
    ["javascript:", "javascript:alert(1)"],
    ["data:", "data:text/html,hi"],
  ])("refuses %s", (_name, target) => {
    expect(sameOriginPath(target, ORIGIN)).toBeUndefined();
  });
});
