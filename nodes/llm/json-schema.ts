import { Validator, type OutputUnit } from "@cfworker/json-schema";

// Operator-written JSON Schemas (llm.extract) are checked when a graph is saved or published,
// and model answers are validated against them at run time, both by @cfworker/json-schema,
// which interprets a schema instead of generating code from it (never new Function on
// operator input). The check covers the keywords structured-output servers understand, so a
// typo (`propertes`) is caught at publish time instead of silently allowing anything.

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);
const SCHEMA_MAPS = new Set(["properties", "$defs", "definitions", "patternProperties"]);
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);
const SCHEMA_VALUES = new Set(["items", "not", "additionalProperties", "contains", "propertyNames"]);
const NUMBERS = new Set(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"]);
const STRINGS = new Set(["title", "description", "format", "pattern", "$ref", "$schema", "$id", "$comment"]);
const ANY = new Set(["enum", "const", "default", "examples", "required", "uniqueItems", "type", "nullable"]);

export interface SchemaIssue {
  /** Dotted path inside the schema, e.g. `properties.email.type`. */
  path: string;
  message: string;
}

function at(path: string, key: string | number) {
  return path ? `${path}.${key}` : String(key);
}

function checkNode(schema: unknown, path: string, issues: SchemaIssue[]): void {
  if (typeof schema === "boolean") return;
  if (!schema || typeof schema !== "object" || Array.isArray(schema)) {
    issues.push({ path, message: "must be a JSON Schema object" });
    return;
  }
  for (const [key, value] of Object.entries(schema)) {
    const here = at(path, key);
    if (SCHEMA_MAPS.has(key)) {
      if (!value || typeof value !== "object" || Array.isArray(value)) issues.push({ path: here, message: "must be an object of schemas" });
      else for (const [name, sub] of Object.entries(value)) checkNode(sub, at(here, name), issues);
    } else if (SCHEMA_LISTS.has(key)) {
      if (!Array.isArray(value) || value.length === 0) issues.push({ path: here, message: "must be a non-empty array of schemas" });
      else value.forEach((sub, i) => checkNode(sub, at(here, i), issues));
    } else if (SCHEMA_VALUES.has(key)) {
      checkNode(value, here, issues);
    } else if (NUMBERS.has(key)) {
      if (typeof value !== "number" || !Number.isFinite(value)) issues.push({ path: here, message: "must be a number" });
    } else if (STRINGS.has(key)) {
      if (typeof value !== "string") issues.push({ path: here, message: "must be a string" });
      else if (key === "pattern") {
        try {
          new RegExp(value, "u");
        } catch {
          issues.push({ path: here, message: "is not a valid regular expression" });
        }
      }
    } else if (key === "type") {
      const types = Array.isArray(value) ? value : [value];
      if (types.length === 0 || !types.every((t) => typeof t === "string" && TYPES.has(t))) issues.push({ path: here, message: `must be one of ${[...TYPES].join(", ")} (or an array of them)` });
    } else if (key === "required") {
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) issues.push({ path: here, message: "must be an array of property names" });
    } else if (key === "enum") {
      if (!Array.isArray(value) || value.length === 0) issues.push({ path: here, message: "must be a non-empty array" });
    } else if (!ANY.has(key)) {
      issues.push({ path: here, message: `is not a JSON Schema keyword Keel understands (a typo?)` });
    }
  }
}

/**
 * Problems with an operator's JSON Schema for structured output: its keywords, and that the
 * root describes an object (what OpenAI-compatible servers require for json_schema output).
 */
export function jsonSchemaIssues(schema: unknown): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  checkNode(schema, "", issues);
  if (issues.length) return issues;
  const root = schema as { type?: unknown };
  if (root.type !== "object") return [{ path: "type", message: 'the top level must be `"type": "object"`' }];
  for (const ref of refsIn(schema, "")) {
    if (!ref.value.startsWith("#")) return [{ path: ref.path, message: "only references inside the schema (#/$defs/…) are allowed" }];
    if (resolvePointer(schema, ref.value) === undefined) return [{ path: ref.path, message: `'${ref.value}' does not point into the schema` }];
  }
  try {
    new Validator(schema as object, "2020-12").validate({});
  } catch (error) {
    // Unresolvable $refs surface only when the validator walks the schema.
    return [{ path: "", message: (error as Error).message.split("\n")[0] ?? "cannot be used" }];
  }
  return [];
}

function refsIn(value: unknown, path: string): { path: string; value: string }[] {
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => (key === "$ref" && typeof v === "string" ? [{ path: at(path, key), value: v }] : refsIn(v, at(path, key))));
}

function resolvePointer(schema: unknown, ref: string): unknown {
  let node: unknown = schema;
  for (const raw of ref.replace(/^#\/?/, "").split("/").filter(Boolean)) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!node || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** "#/customer/email" → "customer.email"; the root is "(root)". */
function dotted(pointer: string, extra?: string): string {
  const parts = pointer.replace(/^#\/?/, "").split("/").filter(Boolean).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (extra) parts.push(extra);
  return parts.length ? parts.join(".") : "(root)";
}

export interface ValueIssue {
  path: string;
  message: string;
}

// Keywords that only report that a child failed; the child's own error says what is wrong.
const WRAPPERS = new Set(["properties", "items", "prefixItems", "additionalProperties", "patternProperties", "allOf", "$ref", "unevaluatedProperties", "unevaluatedItems", "contains", "dependentSchemas"]);

/** Validates a value against an (already checked) schema; the issues name the failing paths. */
export function validateAgainst(schema: object, value: unknown): ValueIssue[] {
  const result = new Validator(schema, "2020-12", false).validate(value);
  if (result.valid) return [];
  const leaves = result.errors.filter((e: OutputUnit) => !WRAPPERS.has(e.keyword));
  const issues = (leaves.length ? leaves : result.errors).map((e: OutputUnit) => {
    if (e.keyword === "required") {
      const missing = /required property "([^"]+)"/.exec(e.error)?.[1];
      return { path: dotted(e.instanceLocation, missing), message: "is required" };
    }
    return { path: dotted(e.instanceLocation), message: e.error.replace(/^Instance /, "") };
  });
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
