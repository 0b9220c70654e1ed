import { describe, expect, it } from "vitest";
import { jsonSchemaIssues, validateAgainst } from "./json-schema";

describe("operator JSON Schemas for llm.extract", () => {
  it("accepts the schemas structured output uses", () => {
    expect(
      jsonSchemaIssues({
        type: "object",
        properties: {
          name: { type: "string", minLength: 1, description: "full name" },
          tags: { type: "array", items: { type: "string", enum: ["a", "b"] }, maxItems: 5 },
          total: { type: ["number", "null"], minimum: 0 },
          address: { $ref: "#/$defs/address" },
        },
        required: ["name"],
        additionalProperties: false,
        $defs: { address: { type: "object", properties: { city: { type: "string", pattern: "^[A-Z]" } } } },
      }),
    ).toEqual([]);
  });

  it("names the path of a typo, a bad type, a bad pattern, a non-object root and an unresolvable $ref", () => {
    expect(jsonSchemaIssues({ type: "object", propertes: {} })).toEqual([{ path: "propertes", message: "is not a JSON Schema keyword Keel understands (a typo?)" }]);
    expect(jsonSchemaIssues({ type: "object", properties: { a: { type: "text" } } })[0]?.path).toBe("properties.a.type");
    expect(jsonSchemaIssues({ type: "object", properties: { a: { type: "string", pattern: "(" } } })).toEqual([{ path: "properties.a.pattern", message: "is not a valid regular expression" }]);
    expect(jsonSchemaIssues({ type: "object", anyOf: [] })).toEqual([{ path: "anyOf", message: "must be a non-empty array of schemas" }]);
    expect(jsonSchemaIssues({ type: "array", items: { type: "string" } })).toEqual([{ path: "type", message: 'the top level must be `"type": "object"`' }]);
    expect(jsonSchemaIssues({ type: "object", properties: { a: { $ref: "#/$defs/missing" } } })).toEqual([{ path: "properties.a.$ref", message: "'#/$defs/missing' does not point into the schema" }]);
    expect(jsonSchemaIssues({ type: "object", properties: { a: { $ref: "https://example.test/s.json" } } })).toEqual([{ path: "properties.a.$ref", message: "only references inside the schema (#/$defs/…) are allowed" }]);
  });

  it("reports the failing paths of a value, leaves only, missing properties by name", () => {
    const schema = { type: "object", properties: { customer: { type: "object", properties: { email: { type: "string" } }, required: ["email"] }, items: { type: "array", items: { type: "number" } } }, required: ["customer"] };
    expect(validateAgainst(schema, { customer: { email: "a@b.c" }, items: [1, 2] })).toEqual([]);
    expect(validateAgainst(schema, { customer: {}, items: [1, "two"] })).toEqual([
      { path: "customer.email", message: "is required" },
      { path: "items.1", message: 'type "string" is invalid. Expected "number".' },
    ]);
    expect(validateAgainst(schema, [])).toEqual([{ path: "(root)", message: 'type "array" is invalid. Expected "object".' }]);
  });
});
