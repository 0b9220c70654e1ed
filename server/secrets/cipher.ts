import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from "node:crypto";
import { ConfigurationError } from "../../engine/errors";

// Secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the master secret
// (KEEL_SECRET or the generated key file). keyId names the key so a wrong or rotated master
// secret is reported as such instead of as corrupt data.

export interface SealedSecret {
  ciphertext: string;
  iv: string;
  authTag: string;
  keyId: string;
}

export interface Cipher {
  keyId: string;
  seal(plaintext: string): SealedSecret;
  open(sealed: SealedSecret): string;
}

export function createCipher(masterSecret: string): Cipher {
  const key = Buffer.from(hkdfSync("sha256", masterSecret, "keel", "credentials v1", 32));
  const keyId = createHash("sha256").update(key).digest("hex").slice(0, 16);
  return {
    keyId,
    seal(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return { ciphertext: ciphertext.toString("base64"), iv: iv.toString("base64"), authTag: cipher.getAuthTag().toString("base64"), keyId };
    },
    open(sealed) {
      if (sealed.keyId !== keyId) {
        throw new ConfigurationError(
          "KEEL_SECRET: this secret was sealed under another key; restore the key file that belongs to this database",
          "KEEL_SECRET",
        );
      }
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
      decipher.setAuthTag(Buffer.from(sealed.authTag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, "base64")), decipher.final()]).toString("utf8");
    },
  };
}
