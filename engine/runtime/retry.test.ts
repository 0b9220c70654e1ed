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

  it("classifies a busy or briefly unreachable database as retryable, and other database errors as permanent", () => {
    // What Prisma's SQLite adapter makes of SQLITE_BUSY.
    expect(classify(Object.assign(new Error("Invalid `db.memoryItem.create()` invocation: Operation has timed out"), { code: "P1008", name: "PrismaClientKnownRequestError" }))).toBe("retryable");
    expect(classify(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" }))).toBe("retryable");
    expect(classify(Object.assign(new Error("could not serialize access due to concurrent update"), { code: "40001" }))).toBe("retryable");
    expect(classify(Object.assign(new Error("Transaction API error: Unable to start a transaction in the given time."), { code: "P2028" }))).toBe("retryable");
    expect(classify(Object.assign(new Error("Unique constraint failed on the fields: (`key`)"), { code: "P2002" }))).toBe("permanent");
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
