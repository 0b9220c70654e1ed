import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ZodError } from "zod";
import { isKeelError, type ErrorKind, type FieldIssue } from "../../engine/errors";
import { zodIssues } from "../services/zod-issues";

// The one place where Keel's typed errors become tRPC (and so HTTP) errors.
const CODES: Record<ErrorKind, TRPC_ERROR_CODE_KEY> = {
  validation: "BAD_REQUEST",
  not_found: "NOT_FOUND",
  conflict: "CONFLICT",
  permanent: "UNPROCESSABLE_CONTENT",
  retryable: "SERVICE_UNAVAILABLE",
  configuration: "PRECONDITION_FAILED",
  unauthenticated: "UNAUTHORIZED",
  rate_limited: "TOO_MANY_REQUESTS",
  too_large: "PAYLOAD_TOO_LARGE",
};

export function toTRPCError(error: unknown): TRPCError | undefined {
  if (isKeelError(error)) return new TRPCError({ code: CODES[error.kind], message: error.message, cause: error });
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
