// Generates docs/api.md, the HTTP API reference, from the tRPC router itself: every procedure
// with who may call it, its input as JSON Schema and an example call with curl. A test checks
// the file is what this produces, so the reference cannot fall behind the code.
//   npx tsx scripts/api-reference.ts      (rewrites docs/api.md)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AnyTRPCProcedure, AnyTRPCRouter } from "@trpc/server";
import { z } from "zod";
import { SECRET_SCHEMAS } from "../server/services/credentials";

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  minItems?: number;
  format?: string;
  [key: string]: unknown;
};

const HEADER = `# HTTP API reference

Generated from the tRPC router by \`scripts/api-reference.ts\`; a test fails when it is out of
date. Every procedure the app's pages use is here, with its input and an example call.

## Calling the API

Keel's API is tRPC over HTTP at \`/api/trpc/<procedure>\`, plain JSON (no batching needed):

- **Queries** are \`GET\`, with the input as URL-encoded JSON in \`?input=\`:
  \`curl -s -H "Authorization: Bearer $KEEL_TOKEN" "$KEEL_URL/api/trpc/workflow.list?input=%7B%7D"\`
- **Mutations** are \`POST\`, with the input as the JSON body:
  \`curl -s -X POST -H "Authorization: Bearer $KEEL_TOKEN" -H "Content-Type: application/json" -d '{"id":"…"}' "$KEEL_URL/api/trpc/workflow.publish"\`
- **The answer** is \`{"result":{"data": …}}\`: the value is in \`result.data\` (with jq:
  \`| jq .result.data\`). A failure is \`{"error":{"message", "code", "data":{"code", "httpStatus", "path", "issues"?}}}\`
  with a matching HTTP status; \`issues\` names each bad field of the input.
- **Authentication**: an API token (Settings → API tokens, or \`auth.tokens.create\`) as
  \`Authorization: Bearer keel_…\`. A browser session (the \`keel_session\` cookie) works too,
  but then mutations must also send \`x-keel-csrf: 1\` and come from Keel's own origin.
- Set \`KEEL_URL\` (e.g. \`http://127.0.0.1:3000\`) and \`KEEL_TOKEN\` in your shell for the examples.

## Procedures
`;

function inputSchema(procedure: AnyTRPCProcedure): JsonSchema | undefined {
  const inputs = (procedure._def as { inputs?: unknown[] }).inputs ?? [];
  if (inputs.length === 0) return undefined;
  const schema = inputs.length === 1 ? (inputs[0] as z.ZodType) : z.intersection(inputs[0] as z.ZodType, inputs[1] as z.ZodType);
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** A small input that satisfies the schema's shape: required fields only, placeholders for ids. */
function example(schema: JsonSchema | undefined, name = "value"): unknown {
  if (!schema) return undefined;
  if (schema.const !== undefined) return schema.const;
  if (schema.default !== undefined && schema.type !== "object") return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const union = schema.anyOf ?? schema.oneOf;
  if (union?.length) return example(union.find((s) => s.type !== "null") ?? union[0], name);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map((s) => example(s, name) as object));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const key of schema.required ?? []) out[key] = example(schema.properties?.[key], key);
      return out;
    }
    case "array":
      return schema.minItems ? [example(schema.items, name)] : [];
    case "string":
      return schema.format === "date-time" ? "2026-12-01T09:00:00.000Z" : schema.format === "email" ? "ada@example.com" : `<${name}>`;
    case "integer":
    case "number":
      return schema.minimum ?? 1;
    case "boolean":
      return true;
    default:
      return {};
  }
}

/** One example per branch of a union at the top (credential.create's secret kinds), else one. */
function examples(schema: JsonSchema | undefined): unknown[] {
  if (!schema) return [undefined];
  const union = schema.anyOf ?? schema.oneOf;
  if (union && union.length > 1) return union.map((branch) => example(branch));
  return [example(schema)];
}

function curl(path: string, type: string, input: unknown): string {
  const auth = `-H "Authorization: Bearer $KEEL_TOKEN"`;
  if (type === "mutation") {
    const body = input === undefined ? "" : ` -H "Content-Type: application/json" -d '${JSON.stringify(input).replace(/'/g, "'\\''")}'`;
    return `curl -s -X POST ${auth}${body} "$KEEL_URL/api/trpc/${path}"`;
  }
  const query = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const accept = type === "subscription" ? ` -N -H "Accept: text/event-stream"` : "";
  return `curl -s${accept} ${auth} "$KEEL_URL/api/trpc/${path}${query}"`;
}

/** Inputs the router takes loosely and a service checks more closely, documented from that service's schemas. */
const REFINED: Record<string, { title: string; cases: Record<string, z.ZodType>; input: (name: string, value: unknown) => unknown }> = {
  "credential.create": {
    title: "`secret` by `kind` (checked by the credential service)",
    cases: SECRET_SCHEMAS,
    input: (kind, secret) => ({ name: `my-${kind}`, kind, secret }),
  },
};

function refined(path: string, type: string): string[] {
  const spec = REFINED[path];
  if (!spec) return [];
  const lines = [spec.title + ":", ""];
  for (const [name, schema] of Object.entries(spec.cases)) {
    const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
    delete json.$schema;
    lines.push(`- \`${name}\`:`, "", "  ```json", ...JSON.stringify(json, null, 2).split("\n").map((l) => `  ${l}`), "  ```", "");
    lines.push("  ```sh", `  ${curl(path, type, spec.input(name, example(json)))}`, "  ```", "");
  }
  return lines;
}

export function apiReference(router: AnyTRPCRouter): string {
  const entries = Object.entries(router._def.procedures as Record<string, AnyTRPCProcedure>);
  const sections = entries.map(([path, procedure]) => {
    const type = procedure._def.type as string;
    const access = (procedure._def.meta as { access?: string } | undefined)?.access ?? "operator";
    const schema = inputSchema(procedure);
    const lines = [
      `### \`${path}\``,
      "",
      `${type === "query" ? "Query (GET)" : type === "mutation" ? "Mutation (POST)" : "Subscription (GET, server-sent events)"} · ${access === "public" ? "public: no credentials needed" : "needs an API token or a session"}`,
      "",
    ];
    if (schema) lines.push("Input (JSON Schema):", "", "```json", JSON.stringify(schema, null, 2), "```", "");
    else lines.push("No input.", "");
    lines.push("Example:", "", "```sh", ...examples(schema).map((input) => curl(path, type, input)), "```", "", ...refined(path, type));
    return lines.join("\n");
  });
  return `${HEADER}\n${sections.join("\n")}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { appRouter } = await import("../server/trpc/router");
  const target = fileURLToPath(new URL("../docs/api.md", import.meta.url));
  writeFileSync(target, apiReference(appRouter));
  console.log(`wrote ${target}`);
}
