import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

// Secrets handed to clients (session cookies, API tokens, setup links) are random 256-bit
// values; only their SHA-256 is stored, so a database leak does not leak a working credential.

export function newToken(prefix = ""): string {
  return prefix + randomBytes(32).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const API_TOKEN_PREFIX = "keel_";
