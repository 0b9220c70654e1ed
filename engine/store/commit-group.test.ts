import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { WalSync } from "./commit-group";

describe("WalSync", () => {
  const file = join(mkdtempSync(join(tmpdir(), "keel-walsync-")), "x.db-wal");
  writeFileSync(file, "frames");

  it("serves every caller that came while a sync ran with one next sync, never with the one already running", async () => {
    const stats = { writes: 0, transactions: 0, syncs: 0 };
    const sync = new WalSync([file], stats);
    const first = sync.request();
    // These commits came after the first sync began: it may not cover them.
    const later = [sync.request(), sync.request(), sync.request()];
    expect(stats.syncs).toBe(1);
    await first;
    await Promise.all(later);
    expect(stats.syncs).toBe(2);
  });
});
