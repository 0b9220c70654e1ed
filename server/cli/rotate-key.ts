import { randomBytes } from "node:crypto";
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigurationError } from "../../engine/errors";
import { openDatabase } from "../../engine/store";
import { loadConfig } from "../config";
import { createCipher } from "../secrets/cipher";
import { ensureSecret, KEY_FILE_NAME } from "../secret-key";
import { audit } from "../services/audit";
import { prepareDatabase } from "./prepare";

/**
 * `keel rotate-key`: seals every stored secret (credentials, webhook signing secrets) under a
 * new key in one transaction, then puts the new key file in place and keeps the old one aside.
 * With KEEL_SECRET set, the key lives in the environment: rotate it there instead.
 */
export async function rotateKeyCommand(): Promise<number> {
  const config = loadConfig();
  if (config.secret) {
    throw new ConfigurationError("KEEL_SECRET: the key comes from the environment; rotating it means changing KEEL_SECRET, which this command cannot do", "KEEL_SECRET");
  }
  await prepareDatabase(config);
  const old = createCipher(ensureSecret(config.dataDir, undefined).secret);
  const secret = randomBytes(32).toString("hex");
  const next = createCipher(secret);
  const database = await openDatabase(config.database);
  const path = join(config.dataDir, KEY_FILE_NAME);
  const staged = `${path}.next`;
  try {
    // The new key is on disk before any secret depends on it.
    writeFileSync(staged, `${secret}\n`, { mode: 0o600 });
    const count = await database.db
      .$transaction(async (tx) => {
        const rows = await tx.credential.findMany();
        for (const row of rows) {
          await tx.credential.update({ where: { id: row.id }, data: next.seal(old.open(row)) });
        }
        await audit(tx, { actor: "cli", action: "key.rotate", detail: { secrets: rows.length } });
        return rows.length;
      })
      .catch((error: unknown) => {
        // Nothing was re-sealed: the staged key must not linger.
        rmSync(staged, { force: true });
        throw error;
      });
    const aside = `${path}.before-rotate-${new Date().toISOString().replace(/[-:.]/g, "")}`;
    if (existsSync(path)) renameSync(path, aside);
    renameSync(staged, path);
    console.log(`keel: ${count} secret(s) sealed under the new key in ${path}; the old key is kept as ${aside} until you delete it`);
    console.log("keel: restart Keel so every process uses the new key; back up the new key file with the database");
    return 0;
  } finally {
    await database.close();
  }
}
