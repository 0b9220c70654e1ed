// Errors carry their retry semantics in their type; the edges (tRPC, CLI, worker) translate
// them once. Never throw a bare Error for something the operator can act on.

export type ErrorKind =
  | "validation"
  | "permanent"
  | "retryable"
  | "not_found"
  | "conflict"
  | "configuration"
  | "unauthenticated"
  | "rate_limited"
  | "too_large";

export abstract class KeelError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `nodes.3.config.url` or `DATABASE_URL`. */
  path: string;
  message: string;
}

/** Input that can never succeed as given; names the field(s) at fault. */
export class ValidationError extends KeelError {
  readonly kind = "validation" as const;
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** A failure that retrying will not cure (a 4xx, a missing record, a refused request). */
export class PermanentError extends KeelError {
  readonly kind = "permanent" as const;
}

/** A transient failure; `retryAfterMs` is the peer's hint (Retry-After), when it gave one. */
export class RetryableError extends KeelError {
  readonly kind = "retryable" as const;
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Held back by Keel's own limit (a credential's rate limit), not by a failure: the step waits
 * `retryAfterMs` and tries again, and the wait does not use up one of its attempts.
 */
export class ThrottledError extends RetryableError {
  readonly throttled = true;
  constructor(message: string, retryAfterMs: number) {
    super(message, retryAfterMs);
  }
}

/** Keel is set up wrongly (an environment variable, a missing endpoint); the operator must act. */
export class ConfigurationError extends KeelError {
  readonly kind = "configuration" as const;
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends KeelError {
  readonly kind = "not_found" as const;
}

export class ConflictError extends KeelError {
  readonly kind = "conflict" as const;
}

export function isKeelError(error: unknown): error is KeelError {
  return error instanceof KeelError;
}

/** No valid session, token or signature. The message says what to do, never which part was wrong. */
export class UnauthenticatedError extends KeelError {
  readonly kind = "unauthenticated" as const;
}

/** Too many attempts; `retryAfterMs` says when to try again. */
export class RateLimitedError extends KeelError {
  readonly kind = "rate_limited" as const;
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** Input over a size limit; names the field and the limit. */
export class TooLargeError extends KeelError {
  readonly kind = "too_large" as const;
  constructor(
    message: string,
    readonly field: string,
    readonly limitBytes: number,
  ) {
    super(message);
  }
}
