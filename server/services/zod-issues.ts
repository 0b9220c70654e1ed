import type { z } from "zod";
import type { FieldIssue } from "../../engine/errors";

/** Flattens a ZodError into field issues with dotted paths under `prefix`. */
export function zodIssues(error: z.ZodError, prefix?: string): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((part) => part !== undefined && part !== "").join(".") || "(root)",
    message: issue.message,
  }));
}
