import { describe, expect, it } from "vitest";
import { Redactor } from "./redact";

describe("Redactor", () => {
  const secret = "s3cr3t/with+odd chars&=";
  const redactor = new Redactor();
  redactor.add("api", [secret]);

  it("replaces the secret raw, URL-encoded, form-encoded, JSON-escaped and base64-encoded, in keys and values", () => {
    const b64 = Buffer.from(secret).toString("base64");
    const out = redactor.apply({ a: `x ${secret} y`, b: [encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, "+")], c: b64, d: Buffer.from(secret).toString("base64url"), [secret]: 1, n: 5 });
    expect(out).toEqual({ a: "x [redacted:api] y", b: ["[redacted:api]", "[redacted:api]"], c: expect.stringContaining("[redacted:api]"), d: expect.stringContaining("[redacted:api]"), "[redacted:api]": 1, n: 5 });
    expect(JSON.stringify(out)).not.toContain(b64.slice(2, -3));
  });

  it.each([0, 1, 2, 5])("finds the secret inside a longer base64 text at offset %i", (pad) => {
    const text = Buffer.from(`${"p".repeat(pad)}Bearer ${secret} and more`).toString("base64");
    expect(redactor.text(text)).toContain("[redacted:api]");
  });

  it("leaves short values and everything else alone", () => {
    const r = new Redactor();
    r.add("tiny", ["abc"]);
    expect(r.apply({ text: "abc abc" })).toEqual({ text: "abc abc" });
    expect(redactor.apply("nothing to see")).toBe("nothing to see");
  });
});
