import { isKeelError, RetryableError } from "../errors";
import { isDatabaseBusy } from "../store/errors";
import type { RetryPolicy } from "../registry";

// Retry policy is data (per node type, overridable per node); the decision is a pure function.

export type FailureClass = "retryable" | "permanent";

export function classify(error: unknown): FailureClass {
  if (error instanceof RetryableError) return "retryable";
  if (isKeelError(error)) return "permanent";
  // A busy or briefly unreachable database (another process's write lock, a deadlock, a
  // restart) is transient for every step that writes through it.
  if (isDatabaseBusy(error)) return "retryable";
  // Timeouts and network failures surface as plain errors from fetch and friends.
  const e = error as { code?: unknown; name?: unknown } | null;
  const transient = /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|EPIPE|UND_ERR_.*|TimeoutError)$/;
  return [e?.code, e?.name].some((v) => typeof v === "string" && transient.test(v)) ? "retryable" : "permanent";
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1): exponential with full jitter,
 * capped, and never earlier than the peer's Retry-After.
 */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number, retryAfterMs?: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (attempt - 1));
  const jittered = Math.round(exponential / 2 + (random() * exponential) / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

export function shouldRetry(policy: RetryPolicy, attempt: number, error: unknown): boolean {
  return classify(error) === "retryable" && attempt < policy.attempts;
}

export function describeError(error: unknown): { message: string; kind: FailureClass; name: string } {
  const e = error as { message?: unknown; name?: unknown };
  return {
    message: typeof e?.message === "string" ? e.message : String(error),
    kind: classify(error),
    name: typeof e?.name === "string" ? e.name : "Error",
  };
}
