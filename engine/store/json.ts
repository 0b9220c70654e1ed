import type { Prisma } from "./generated/sqlite/client";

export type JsonInput = Prisma.InputJsonValue;

/** Marks a value already validated as JSON-shaped (zod-parsed, or built from JSON) for a Json column. */
export function json(value: unknown): JsonInput {
  return value as JsonInput;
}

// Prisma's markers for a SQL NULL in a Json column (write, filter) and "SQL NULL or JSON null"
// (filter); shared by both generated clients, which use the same runtime.
export { AnyNull, DbNull } from "@prisma/client/runtime/client";
