import { describe, expect, it } from "vitest";
import { createCipher } from "./cipher";

describe("the secret cipher", () => {
  const cipher = createCipher("a".repeat(64));

  it("opens what it sealed, with a fresh IV each time", () => {
    const a = cipher.seal("s3cret value");
    const b = cipher.seal("s3cret value");
    expect(cipher.open(a)).toBe("s3cret value");
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toContain("s3cret");
  });

  it("refuses tampered ciphertext", () => {
    const sealed = cipher.seal("pay 100");
    const bytes = Buffer.from(sealed.ciphertext, "base64");
    bytes[0] = bytes[0]! ^ 1;
    expect(() => cipher.open({ ...sealed, ciphertext: bytes.toString("base64") })).toThrow();
  });

  it("names the key problem when the master secret differs", () => {
    const sealed = cipher.seal("x");
    expect(() => createCipher("b".repeat(64)).open(sealed)).toThrow(/sealed under another key/);
  });
});
