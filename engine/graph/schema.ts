import { z } from "zod";
import { LIMITS } from "../limits";

// The graph format: the contract between the editor, validation, the compiler and the engine.
// Old schemaVersions are upgraded on load (see upgrade.ts), never rejected silently.
export const GRAPH_SCHEMA_VERSION = 1;

const MAX_ID = 64;
// Ids are referenced from expressions and used as state names: keep them plain.
export const NodeIdSchema = z
  .string()
  .min(1)
  .max(MAX_ID)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must start with a letter and hold only letters, digits, _ and -")
  // The compiler names its own states with "__" (e.g. `fork__branches`); node ids must not.
  .refine((id) => !id.includes("__"), "must not contain two underscores in a row (reserved)");

export const PositionSchema = z.object({ x: z.number().finite(), y: z.number().finite() });

export const GraphNodeSchema = z.object({
  id: NodeIdSchema,
  type: z.string().min(1).max(100),
  typeVersion: z.number().int().positive(),
  label: z.string().max(200).default(""),
  position: PositionSchema,
  config: z.record(z.string(), z.unknown()).default({}),
  /** Overrides the node type's default retry policy for this node. */
  retry: z
    .object({
      attempts: z.number().int().min(1).max(100),
      initialDelayMs: z.number().int().min(0).max(86_400_000),
      maxDelayMs: z.number().int().min(0).max(86_400_000),
      factor: z.number().min(1).max(10),
      timeoutMs: z.number().int().min(1).max(3_600_000),
    })
    .partial()
    .strict()
    .optional(),
});

export const PortIdSchema = z.string().min(1).max(MAX_ID);

export const GraphEdgeSchema = z.object({
  id: NodeIdSchema,
  source: NodeIdSchema,
  sourcePort: PortIdSchema.default("out"),
  target: NodeIdSchema,
  targetPort: PortIdSchema.default("in"),
});

export const GraphSchema = z.object({
  schemaVersion: z.literal(GRAPH_SCHEMA_VERSION),
  nodes: z.array(GraphNodeSchema).max(LIMITS.graphNodes, `must have at most ${LIMITS.graphNodes} nodes`),
  edges: z.array(GraphEdgeSchema).max(LIMITS.graphEdges, `must have at most ${LIMITS.graphEdges} edges`),
});

export type GraphNode = z.infer<typeof GraphNodeSchema>;
export type GraphEdge = z.infer<typeof GraphEdgeSchema>;
export type Graph = z.infer<typeof GraphSchema>;

export function emptyGraph(): Graph {
  return { schemaVersion: GRAPH_SCHEMA_VERSION, nodes: [], edges: [] };
}
