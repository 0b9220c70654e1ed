import { describe, expect, it } from "vitest";
import { PermanentError, RetryableError, ValidationError } from "../errors";
import { backoffMs, classify, shouldRetry } from "./retry";

const policy = { attempts: 4, initialDelayMs: 1_000, maxDelayMs: 8_000, factor: 2, timeoutMs: 5_000 };

describe("retry policy", () => {
  it("classifies typed errors and network failures", () => {
    expect(classify(new RetryableError("503"))).toBe("retryable");
    expect(classify(new PermanentError("404"))).toBe("permanent");
    expect(classify(new ValidationError("bad"))).toBe("permanent");
    expect(classify(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }))).toBe("retryable");
    expect(classify(new DOMException("timed out", "TimeoutError"))).toBe("retryable");
    expect(classify(new Error("TypeError in code"))).toBe("permanent");
  });

  it("backs off exponentially with jitter, capped, honouring Retry-After", () => {
    expect(backoffMs(policy, 1, () => 0)).toBe(500);
    expect(backoffMs(policy, 1, () => 1)).toBe(1_000);
    expect(backoffMs(policy, 3, () => 1)).toBe(4_000);
    expect(backoffMs(policy, 10, () => 1)).toBe(8_000);
    expect(backoffMs(policy, 1, () => 0, 30_000)).toBe(30_000);
  });

  it("retries retryable failures until the attempts are spent", () => {
    expect(shouldRetry(policy, 1, new RetryableError("x"))).toBe(true);
    expect(shouldRetry(policy, 4, new RetryableError("x"))).toBe(false);
    expect(shouldRetry(policy, 1, new PermanentError("x"))).toBe(false);
  });
});
