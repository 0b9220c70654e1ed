import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../engine/store";
import { loadConfig } from "../../server/config";
import { servicesFor } from "../../server/services";
import { runKeel } from "../support/keel-process";

const dir = mkdtempSync(join(tmpdir(), "keel-rotate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withServices<T>(use: (services: ReturnType<typeof servicesFor>) => Promise<T>): Promise<T> {
  const config = loadConfig({ KEEL_DATA_DIR: dir });
  const database = await openDatabase(config.database);
  try {
    return await use(servicesFor(config, database));
  } finally {
    await database.close();
  }
}

describe("keel rotate-key", () => {
  it("re-seals every secret under a new key file and keeps the old key aside", async () => {
    expect(await runKeel(["migrate"], { KEEL_DATA_DIR: dir }).exited).toBe(0);
    const oldKey = readFileSync(join(dir, "keel.key"), "utf8");
    const webhookSecret = await withServices(async (s) => {
      await s.credentials.create({ name: "mail", kind: "smtp", secret: { host: "smtp.example.test", user: "keel", password: "pw-rotates-with-the-key", from: "ops@example.test" } });
      const wf = await s.workflows.create({ name: "Hooked" });
      return (await s.webhooks.rotateSigningSecret(wf.id)).secret;
    });
    const before = await withServices((s) => s.database.db.credential.findMany({ orderBy: { name: "asc" } }));

    const rotate = runKeel(["rotate-key"], { KEEL_DATA_DIR: dir });
    expect(await rotate.exited).toBe(0);
    expect(rotate.output()).toMatch(/2 secret\(s\) sealed under the new key/);
    const newKey = readFileSync(join(dir, "keel.key"), "utf8");
    expect(newKey).not.toBe(oldKey);
    const aside = readdirSync(dir).filter((f) => f.startsWith("keel.key.before-rotate-"));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(dir, aside[0]!), "utf8")).toBe(oldKey);
    expect(readdirSync(dir)).not.toContain("keel.key.next");

    await withServices(async (s) => {
      const after = await s.database.db.credential.findMany({ orderBy: { name: "asc" } });
      expect(after.map((r) => r.ciphertext)).not.toEqual(before.map((r) => r.ciphertext));
      expect(after.every((r, i) => r.keyId !== before[i]!.keyId)).toBe(true);
      expect(await s.credentials.resolve("mail", "smtp")).toMatchObject({ password: "pw-rotates-with-the-key" });
      const wf = (await s.workflows.list()).find((w) => w.name === "Hooked")!;
      const body = "{}";
      const ts = Math.floor(Date.now() / 1000);
      const { signWebhook } = await import("../../server/services/webhooks");
      await expect(
        s.webhooks.receive({ workflow: wf.id, headers: new Headers({ "x-keel-timestamp": String(ts), "x-keel-signature": signWebhook(webhookSecret, ts, body) }), body: Buffer.from(body) }),
      ).resolves.toHaveProperty("deliveryId");
    });
  });

  it("refuses when the key comes from KEEL_SECRET, saying what to do", async () => {
    const result = runKeel(["rotate-key"], { KEEL_DATA_DIR: dir, KEEL_SECRET: "x".repeat(40) });
    expect(await result.exited).toBe(1);
    expect(result.output().trim()).toMatch(/^keel: KEEL_SECRET: the key comes from the environment; rotating it means changing KEEL_SECRET/);
  });
});
