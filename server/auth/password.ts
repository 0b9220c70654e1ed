import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";

export const PasswordSchema = z
  .string()
  .min(10, "must be at least 10 characters")
  .max(1024, "must be at most 1024 characters");

// argon2id with the library's defaults (19 MiB, t=2: OWASP's minimum recommendation).
export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}
