import { z } from "zod";

export const PasswordSchema = z
  .string()
  .min(10, "must be at least 10 characters")
  .max(1024, "must be at most 1024 characters");

// argon2id with the library's defaults (19 MiB, t=2: OWASP's minimum recommendation).
// The hasher is loaded on first use: only signing in and setting a password use it.
export async function hashPassword(password: string): Promise<string> {
  const { hash } = await import("@node-rs/argon2");
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  const { verify } = await import("@node-rs/argon2");
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
