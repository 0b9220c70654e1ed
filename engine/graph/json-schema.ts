import { z } from "zod";
import type { NodeRegistry } from "../registry";
import { GraphSchema } from "./schema";

/**
 * The published JSON Schema of the graph format (`keel schema`): the document itself, and in
 * $defs the configuration of every registered node type and version, from the same zod schemas
 * validation uses.
 */
export function graphJsonSchema(registry: NodeRegistry): Record<string, unknown> {
  const schema = z.toJSONSchema(GraphSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  const defs: Record<string, unknown> = {};
  for (const meta of registry.all()) {
    const config = z.toJSONSchema(meta.config, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
    delete config.$schema;
    defs[`${meta.type}@${meta.version}`] = { title: meta.title, description: meta.description, ...config };
  }
  return {
    ...schema,
    $id: "https://keel.local/schemas/graph.json",
    title: "Keel workflow graph",
    description: "A workflow graph. A node's config must match $defs['<type>@<typeVersion>'].",
    $defs: defs,
  };
}
