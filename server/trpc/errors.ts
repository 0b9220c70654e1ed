import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { isKeelError, type FieldIssue } from "../../engine/errors";
import { ERROR_TRANSLATION } from "../http/errors";
import { zodIssues } from "../services/zod-issues";

// Keel's typed errors become tRPC errors here and nowhere else.
export function toTRPCError(error: unknown): TRPCError | undefined {
  if (isKeelError(error)) return new TRPCError({ code: ERROR_TRANSLATION[error.kind].trpc, message: error.message, cause: error });
  if (error instanceof ZodError) {
    const issues = zodIssues(error);
    return new TRPCError({ code: "BAD_REQUEST", message: `${issues[0]!.path}: ${issues[0]!.message}`, cause: error });
  }
  return undefined;
}

export function issuesOf(cause: unknown): FieldIssue[] | undefined {
  if (cause instanceof ZodError) return zodIssues(cause);
  if (isKeelError(cause) && "issues" in cause) return cause.issues as FieldIssue[];
  return undefined;
}
