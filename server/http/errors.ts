import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { isKeelError, RateLimitedError, type ErrorKind } from "../../engine/errors";
import { errorLine } from "../../engine/log";
import { webLogger } from "../log";

// The one table from Keel's error kinds to what the edges answer: tRPC codes for the API,
// HTTP statuses for plain route handlers (webhooks).
export const ERROR_TRANSLATION: Record<ErrorKind, { trpc: TRPC_ERROR_CODE_KEY; status: number }> = {
  validation: { trpc: "BAD_REQUEST", status: 400 },
  not_found: { trpc: "NOT_FOUND", status: 404 },
  conflict: { trpc: "CONFLICT", status: 409 },
  permanent: { trpc: "UNPROCESSABLE_CONTENT", status: 422 },
  retryable: { trpc: "SERVICE_UNAVAILABLE", status: 503 },
  configuration: { trpc: "PRECONDITION_FAILED", status: 412 },
  unauthenticated: { trpc: "UNAUTHORIZED", status: 401 },
  rate_limited: { trpc: "TOO_MANY_REQUESTS", status: 429 },
  too_large: { trpc: "PAYLOAD_TOO_LARGE", status: 413 },
};

/** A JSON error response for a route handler; unknown errors say nothing about internals. */
export function errorResponse(error: unknown): Response {
  if (!isKeelError(error)) {
    // The first line and the error's name: enough to find it, and a driver's multi-line message
    // may quote a statement's parameters.
    webLogger().error({ error: errorLine(error), name: error instanceof Error ? error.name : typeof error }, "request failed");
    return Response.json({ error: { kind: "internal", message: "Something went wrong on the server." } }, { status: 500 });
  }
  const headers: Record<string, string> = {};
  if (error instanceof RateLimitedError) headers["retry-after"] = String(Math.ceil(error.retryAfterMs / 1000));
  if (error.kind === "unauthenticated") headers["www-authenticate"] = 'Bearer realm="keel"';
  return Response.json({ error: { kind: error.kind, message: error.message } }, { status: ERROR_TRANSLATION[error.kind].status, headers });
}
