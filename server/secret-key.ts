import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigurationError } from "../engine/errors";

export const KEY_FILE_NAME = "keel.key";

export type SecretSource = { kind: "env"; secret: string } | { kind: "file"; secret: string; path: string; created: boolean };

/**
 * The master secret that encrypts credentials: KEEL_SECRET when set, else a key file in the data
 * directory, generated on first start (0600). Backups need the database and this file.
 */
export function ensureSecret(dataDir: string, fromEnv: string | undefined): SecretSource {
  if (fromEnv) return { kind: "env", secret: fromEnv };
  const path = join(dataDir, KEY_FILE_NAME);
  if (existsSync(path)) {
    const secret = readFileSync(path, "utf8").trim();
    if (secret.length < 32) {
      throw new ConfigurationError(`KEEL_SECRET: the key file ${path} is damaged (shorter than 32 characters)`, "KEEL_SECRET");
    }
    return { kind: "file", secret, path, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString("hex");
  // "wx": never overwrite a key another process wrote a moment ago.
  try {
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as { code?: string }).code === "EEXIST") return ensureSecret(dataDir, fromEnv);
    throw error;
  }
  chmodSync(path, 0o600);
  return { kind: "file", secret, path, created: true };
}
