import { TooLargeError } from "./errors";

// Size limits with errors that name the field and the limit. Kept here so every edge (tRPC,
// webhooks, the engine) enforces the same numbers.
export const LIMITS = {
  /** A request body to the API (tRPC, auth). */
  requestBodyBytes: 2 * 1024 * 1024,
  /** A webhook body; it becomes a run's input. */
  webhookBodyBytes: 256 * 1024,
  /** A workflow graph, serialized. */
  graphBytes: 1024 * 1024,
  graphNodes: 2_000,
  graphEdges: 10_000,
  /** A run's input. */
  runInputBytes: 256 * 1024,
  /** What one step may output (stored in the ledger, the event log and the checkpoint). */
  stepPayloadBytes: 1024 * 1024,
} as const;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

export function assertWithinLimit(field: string, bytes: number, limit: number): void {
  if (bytes > limit) {
    throw new TooLargeError(`${field}: is ${formatBytes(bytes)}; the limit is ${formatBytes(limit)}`, field, limit);
  }
}
