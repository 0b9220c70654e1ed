import { describe, expect, it } from "vitest";
import { KeelError, NotFoundError, PermanentError, RetryableError, ThrottledError, ValidationError } from "./errors";

// Next's bundle holds a second copy of Keel's modules in the web process: an error of one copy
// must pass the other's instanceof. Another copy is imitated by a class of the same brand.
describe("Keel's errors across two copies of the module", () => {
  it("are recognised by their brand, not their class object", () => {
    const foreign: unknown = Object.defineProperty(new Error("slow down"), Symbol.for("keel.error.brands"), { value: ["ThrottledError", "RetryableError", "KeelError"] });
    expect(foreign instanceof ThrottledError).toBe(true);
    expect(foreign instanceof RetryableError).toBe(true);
    expect(foreign instanceof KeelError).toBe(true);
    expect(foreign instanceof PermanentError).toBe(false);
    expect(new Error("plain") instanceof KeelError).toBe(false);
  });

  it("keep their class chain and their name", () => {
    const error = new ValidationError("name: is required");
    expect(error.name).toBe("ValidationError");
    expect(error instanceof ValidationError && error instanceof KeelError).toBe(true);
    expect(error instanceof NotFoundError).toBe(false);
    class Refused extends PermanentError {}
    expect(new Refused("no") instanceof PermanentError).toBe(true);
  });
});
