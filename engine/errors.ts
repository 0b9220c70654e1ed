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

// One process can hold Keel's modules twice: the web server loads them, and Next's bundle
// has its own copy (minified: its classes lose their names). An error one copy throws must
// still pass the other's `instanceof`, so each class has a brand, each error carries the brands
// of its class chain under a symbol every copy shares, and `instanceof` compares brands.
const BRANDS = Symbol.for("keel.error.brands");

export abstract class KeelError extends Error {
  static readonly brand: string = "KeelError";
  abstract readonly kind: ErrorKind;
  declare readonly [BRANDS]: readonly string[];

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const brands: string[] = [];
    for (let c: unknown = new.target; typeof c === "function" && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, "brand")) brands.push((c as typeof KeelError).brand);
    }
    Object.defineProperty(this, BRANDS, { value: brands });
    this.name = brands[0] ?? new.target.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value === "object" && value !== null && Object.prototype.isPrototypeOf.call(this.prototype, value)) return true;
    const brands = (value as { [BRANDS]?: unknown } | null | undefined)?.[BRANDS];
    return Array.isArray(brands) && brands.includes((this as unknown as typeof KeelError).brand);
  }
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `nodes.3.config.url` or `DATABASE_URL`. */
  path: string;
  message: string;
}

/** Input that can never succeed as given; names the field(s) at fault. */
export class ValidationError extends KeelError {
  static override readonly brand: string = "ValidationError";
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
  static override readonly brand: string = "PermanentError";
  readonly kind = "permanent" as const;
}

/** A transient failure; `retryAfterMs` is the peer's hint (Retry-After), when it gave one. */
export class RetryableError extends KeelError {
  static override readonly brand: string = "RetryableError";
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
  static override readonly brand: string = "ThrottledError";
  readonly throttled = true;
  constructor(message: string, retryAfterMs: number) {
    super(message, retryAfterMs);
  }
}

/** Keel is set up wrongly (an environment variable, a missing endpoint); the operator must act. */
export class ConfigurationError extends KeelError {
  static override readonly brand: string = "ConfigurationError";
  readonly kind = "configuration" as const;
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

export class NotFoundError extends KeelError {
  static override readonly brand: string = "NotFoundError";
  readonly kind = "not_found" as const;
}

export class ConflictError extends KeelError {
  static override readonly brand: string = "ConflictError";
  readonly kind = "conflict" as const;
}

export function isKeelError(error: unknown): error is KeelError {
  return error instanceof KeelError;
}

/** No valid session, token or signature. The message says what to do, never which part was wrong. */
export class UnauthenticatedError extends KeelError {
  static override readonly brand: string = "UnauthenticatedError";
  readonly kind = "unauthenticated" as const;
}

/** Too many attempts; `retryAfterMs` says when to try again. */
export class RateLimitedError extends KeelError {
  static override readonly brand: string = "RateLimitedError";
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
  static override readonly brand: string = "TooLargeError";
  readonly kind = "too_large" as const;
  constructor(
    message: string,
    readonly field: string,
    readonly limitBytes: number,
  ) {
    super(message);
  }
}
