import type { Prisma } from "./generated/sqlite/client";

export type JsonInput = Prisma.InputJsonValue;

/** Marks a value already validated as JSON-shaped (zod-parsed, or built from JSON) for a Json column. */
export function json(value: unknown): JsonInput {
  return value as JsonInput;
}
