import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, openDatabase, parseDatabaseUrl, readMigrations, type DatabaseTarget } from "../../engine/store";
import { ensureSecret } from "../../server/secret-key";
import { migrationsDir } from "../../server/services";
import { ManifestSchema, verifyBackup, type Manifest } from "../../server/services/backup";
import { FILLED_TABLES, insertBusinessData } from "../support/business-data";
import { databaseKinds, type ScratchDatabase } from "../support/databases";
import { PROJECT_ROOT, runKeel } from "../support/keel-process";
import { snapshotTables } from "../support/table-snapshot";

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function keel(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const process = runKeel(args, env);
  const code = await process.exited;
  return { code, output: process.output() };
}

function sha256(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Every file in the data directory with its checksum: "nothing changed" means this is equal. */
function dirState(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => `${name} ${sha256(join(dir, name))}`);
}

function readManifest(dir: string): Manifest {
  return ManifestSchema.parse(JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")));
}

function auditActions(rows: string[] | undefined): string[] {
  return (rows ?? []).map((row) => (JSON.parse(row) as { action: string }).action);
}

describe.each(databaseKinds())("keel backup and keel restore on $name", (kind) => {
  let dataDir: string;
  let backups: string;
  let target: DatabaseTarget;
  let scratch: ScratchDatabase | undefined;
  let env: Record<string, string>;
  const databaseName = kind.name === "sqlite" ? "keel.db" : "keel.sql";

  beforeAll(async () => {
    dataDir = tempDir("keel-data-");
    backups = tempDir("keel-backups-");
    if (kind.name === "sqlite") {
      env = { KEEL_DATA_DIR: dataDir };
      target = parseDatabaseUrl(`file:${join(dataDir, "keel.db")}`, dataDir);
    } else {
      scratch = await kind.create();
      target = scratch.target;
      env = { KEEL_DATA_DIR: dataDir, DATABASE_URL: target.url };
    }
    const migrated = await keel(["migrate"], env);
    expect(migrated.code, migrated.output).toBe(0);
    const database = await openDatabase(target);
    try {
      await insertBusinessData(database.db);
    } finally {
      await database.close();
    }
  });
  afterAll(async () => {
    await scratch?.dispose();
  });

  async function backup(name: string): Promise<string> {
    const out = join(backups, name);
    const result = await keel(["backup", "--out", out], env);
    expect(result.code, result.output).toBe(0);
    return out;
  }

  it("restores every row of every table and the key file exactly, after destructive changes", async () => {
    const before = await snapshotTables(target);
    for (const table of FILLED_TABLES) expect(before[table]?.length ?? 0, table).toBeGreaterThan(0);
    const keyPath = join(dataDir, "keel.key");
    const keyBefore = readFileSync(keyPath);

    const out = await backup("round-trip");

    // The manifest: format, provider, applied migrations, each file's size and checksum.
    const manifest = readManifest(out);
    expect(manifest).toMatchObject({
      format: "keel-backup",
      version: 1,
      provider: target.provider,
      key: "file",
      migrations: readMigrations(migrationsDir(target.provider)).map((m) => m.name),
    });
    expect(Date.now() - Date.parse(manifest.createdAt)).toBeLessThan(120_000);
    expect(manifest.files.map((f) => [f.name, f.role]).sort()).toEqual([[databaseName, "database"], ["keel.key", "key"]].sort());
    for (const file of manifest.files) {
      expect(file.size).toBe(statSync(join(out, file.name)).size);
      expect(file.sha256).toBe(sha256(join(out, file.name)));
    }
    expect(readFileSync(join(out, "keel.key"))).toEqual(keyBefore);
    // Only the owner may read a backup: it holds every secret Keel has.
    expect(statSync(out).mode & 0o077).toBe(0);
    for (const file of readdirSync(out)) expect(statSync(join(out, file)).mode & 0o077, file).toBe(0);
    expect(auditActions((await snapshotTables(target)).AuditLog)).toContain("backup.create");

    // Destructive changes: runs and workflows deleted, money and contacts rewritten, a
    // credential gone, and the key file overwritten.
    const database = await openDatabase(target);
    try {
      await database.db.run.deleteMany();
      await database.db.workflow.deleteMany();
      await database.db.contact.updateMany({ data: { name: "Ada (renamed)" } });
      await database.db.invoice.updateMany({ data: { status: "paid", totalMinor: 1 } });
      await database.db.credential.deleteMany();
      await database.db.setting.update({ where: { key: "test.flag" }, data: { value: { enabled: false } } });
    } finally {
      await database.close();
    }
    writeFileSync(keyPath, `${"f".repeat(64)}\n`);
    const damaged = await snapshotTables(target);
    expect(damaged.Workflow).toEqual([]);
    expect(damaged.Credential).toEqual([]);

    const restored = await keel(["restore", out, "--yes"], env);
    expect(restored.code, restored.output).toBe(0);
    expect(restored.output).toMatch(/backup verified: 2 file\(s\) match their checksums/);

    // Every table, every row, exactly as before; the audit log has one entry more.
    const after = await snapshotTables(target);
    const { AuditLog: auditAfter, ...restAfter } = after;
    const { AuditLog: auditBefore, ...restBefore } = before;
    expect(restAfter).toEqual(restBefore);
    expect(auditAfter!.filter((row) => !row.includes('"backup.restore"'))).toEqual(auditBefore);
    const restoreEntries = auditAfter!.filter((row) => row.includes('"backup.restore"')).map((row) => JSON.parse(row) as { actor: string; action: string });
    expect(restoreEntries).toHaveLength(1);
    expect(restoreEntries[0]).toMatchObject({ actor: "cli", action: "backup.restore" });
    expect(readFileSync(keyPath)).toEqual(keyBefore);

    // What was replaced is kept, not deleted.
    const aside = readdirSync(dataDir);
    const keyAside = aside.find((name) => /^keel\.key\.before-restore-\d{8}T\d{6}Z$/.test(name));
    expect(keyAside, aside.join(", ")).toBeDefined();
    expect(readFileSync(join(dataDir, keyAside!), "utf8")).toBe(`${"f".repeat(64)}\n`);
    if (target.provider === "sqlite") {
      const dbAside = aside.find((name) => /^keel\.db\.before-restore-\d{8}T\d{6}Z$/.test(name));
      expect(dbAside, aside.join(", ")).toBeDefined();
      const old = new Database(join(dataDir, dbAside!), { readonly: true, fileMustExist: true });
      try {
        expect(old.prepare(`SELECT count(*) FROM "Workflow"`).pluck().get()).toBe(0);
        expect(old.prepare(`SELECT name FROM "Contact"`).pluck().all()).toEqual(["Ada (renamed)"]);
      } finally {
        old.close();
      }
      expect(aside.some((name) => name.endsWith("-wal") && !name.includes("before-restore"))).toBe(false);
    } else {
      const dumpAside = aside.find((name) => /^keel\.sql\.before-restore-\d{8}T\d{6}Z$/.test(name));
      expect(dumpAside, aside.join(", ")).toBeDefined();
      expect(readFileSync(join(dataDir, dumpAside!), "utf8")).toContain("Ada (renamed)");
    }

    // Keel accepts the restored database as its own.
    const migrated = await keel(["migrate"], env);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toMatch(/database is up to date/);
  });

  it.each(["database", "key"] as const)("refuses a backup whose %s file has one byte changed, changing nothing", async (role) => {
    const out = await backup(`damaged-${role}`);
    const file = readManifest(out).files.find((f) => f.role === role)!;
    const path = join(out, file.name);
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(path, bytes);

    const files = dirState(dataDir);
    const rows = await snapshotTables(target);
    const result = await keel(["restore", out, "--yes"], env);
    expect(result.code).toBe(1);
    const lines = result.output.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`keel: the backup in ${out} is damaged: ${file.name} does not match its checksum in manifest.json; nothing was changed`);
    expect(dirState(dataDir)).toEqual(files);
    expect(await snapshotTables(target)).toEqual(rows);
  });

  it("refuses while keel.pid names a live process, and goes ahead once that process is gone", async () => {
    const out = await backup("while-running");
    const sleeper = spawn("sleep", ["60"], { stdio: "ignore" });
    const pidFile = join(dataDir, "keel.pid");
    try {
      writeFileSync(pidFile, `${sleeper.pid}\n`);
      const files = dirState(dataDir);
      const rows = await snapshotTables(target);
      const refused = await keel(["restore", out, "--yes"], env);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain(`keel: Keel is running against ${dataDir} (pid ${sleeper.pid}, from keel.pid): stop it before restoring`);
      expect(dirState(dataDir)).toEqual(files);
      expect(await snapshotTables(target)).toEqual(rows);
    } finally {
      sleeper.kill("SIGKILL");
      await once(sleeper, "exit").catch(() => undefined);
    }
    // The same pid file is now stale: its process is dead.
    const restored = await keel(["restore", out, "--yes"], env);
    expect(restored.code, restored.output).toBe(0);
    rmSync(pidFile, { force: true });
  });

  // Only SQLite has a file another process can hold open; the case is not registered for Postgres.
  if (kind.name === "sqlite") {
    it("refuses while another process (no keel.pid: npm run dev, a worker) has the SQLite file open", async () => {
      const out = await backup("open-elsewhere");
      const file = join(dataDir, "keel.db");
      const other = new Database(file, { fileMustExist: true });
      try {
        expect(other.pragma("journal_mode", { simple: true })).toBe("wal");
        other.prepare(`INSERT INTO "Notification" (id, kind, title) VALUES ('open-elsewhere', 'test', 'still open')`).run();
        const rows = await snapshotTables(target);
        const result = await keel(["restore", out, "--yes"], env);
        expect(result.code).toBe(1);
        expect(result.output.trim().split("\n").at(-1)).toBe(
          `keel: ${file} is open in another process (its -wal file remains): stop every Keel process (keel start, npm run dev, workers) before restoring`,
        );
        expect(readdirSync(dataDir).filter((name) => name.includes(".restoring-"))).toEqual([]);
        expect(await snapshotTables(target)).toEqual(rows);
      } finally {
        other.prepare(`DELETE FROM "Notification" WHERE id = 'open-elsewhere'`).run();
        other.close();
      }
    });
  }

  it("refuses without --yes when there is no terminal to ask on", async () => {
    const out = await backup("no-tty");
    const files = dirState(dataDir);
    const result = await keel(["restore", out], env);
    expect(result.code).toBe(1);
    // It says what it would do, then why it did not.
    expect(result.output).toMatch(/restore the backup in .*no-tty/);
    expect(result.output.trim().split("\n").at(-1)).toBe(
      "keel: restore replaces the current database: run it on a terminal to confirm, or pass --yes; nothing was changed",
    );
    expect(dirState(dataDir)).toEqual(files);
  });
});

// A writer in another process: each transaction adds a contact with a deal (so a torn copy
// would show unequal counts), rewrites an earlier notification and deletes another.
const WRITER = `
const Database = require("better-sqlite3");
const db = new Database(process.argv[1], { timeout: 10000 });
db.pragma("journal_mode = WAL");
const contact = db.prepare('INSERT INTO "Contact" (id, name, updatedAt) VALUES (?, ?, CURRENT_TIMESTAMP)');
const deal = db.prepare('INSERT INTO "Deal" (id, contactId, title, amountMinor, updatedAt) VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)');
const note = db.prepare('INSERT INTO "Notification" (id, kind, title, body) VALUES (?, ?, ?, ?)');
const touch = db.prepare('UPDATE "Notification" SET body = ? WHERE id = ?');
const drop = db.prepare('DELETE FROM "Notification" WHERE id = ?');
let n = 0;
const write = db.transaction(() => {
  for (let i = 0; i < 10; i++, n++) {
    contact.run("c" + n, "Contact " + n);
    deal.run("d" + n, "c" + n, "Deal " + n, n * 100);
    note.run("n" + n, "test", "Note " + n, "x".repeat(3000));
    if (n > 10) touch.run("y".repeat(3000 + (n % 7)), "n" + (n - 10));
    if (n % 5 === 0 && n > 20) drop.run("n" + (n - 20));
  }
});
const loop = () => { write(); if (n === 200) process.stdout.write("ready\\n"); setImmediate(loop); };
loop();
`;

describe("keel backup while another process writes (sqlite)", () => {
  it("produces databases that open, pass integrity_check and are transactionally consistent", async () => {
    const dataDir = tempDir("keel-data-");
    const backups = tempDir("keel-backups-");
    const file = join(dataDir, "keel.db");
    await migrate(parseDatabaseUrl(`file:${file}`, dataDir), migrationsDir("sqlite"));
    ensureSecret(dataDir, undefined);
    const count = () => {
      const db = new Database(file, { fileMustExist: true, timeout: 10_000 });
      try {
        return db.prepare(`SELECT count(*) FROM "Contact"`).pluck().get() as number;
      } finally {
        db.close();
      }
    };

    const writer = spawn(process.execPath, ["-e", WRITER, file], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const outs: string[] = [];
    let countBefore: number;
    let countAfter: number;
    try {
      await new Promise<void>((resolve, reject) => {
        writer.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
        writer.once("exit", (code) => reject(new Error(`the writer exited early (code ${code})`)));
      });
      countBefore = count();
      for (const round of [1, 2, 3]) {
        const out = join(backups, `during-writes-${round}`);
        const result = await keel(["backup", "--out", out], { KEEL_DATA_DIR: dataDir });
        expect(result.code, result.output).toBe(0);
        outs.push(out);
      }
      countAfter = count();
    } finally {
      writer.kill("SIGKILL");
      await once(writer, "exit").catch(() => undefined);
    }
    // The writer really was writing while the backups ran.
    expect(countAfter).toBeGreaterThan(countBefore);

    for (const out of outs) {
      await expect(verifyBackup(out)).resolves.toMatchObject({ manifest: { provider: "sqlite", key: "file" } });
      const copy = new Database(join(out, "keel.db"), { readonly: true, fileMustExist: true });
      try {
        expect(copy.pragma("integrity_check", { simple: true })).toBe("ok");
        expect(copy.pragma("foreign_key_check")).toEqual([]);
        expect(copy.pragma("journal_mode", { simple: true })).toBe("delete");
        const contacts = copy.prepare(`SELECT count(*) FROM "Contact"`).pluck().get() as number;
        const deals = copy.prepare(`SELECT count(*) FROM "Deal"`).pluck().get() as number;
        expect(contacts).toBe(deals);
        // Whole transactions only: the writer commits ten at a time.
        expect(contacts % 10).toBe(0);
        expect(contacts).toBeGreaterThanOrEqual(countBefore);
        expect(contacts).toBeLessThanOrEqual(countAfter);
      } finally {
        copy.close();
      }
      expect(existsSync(join(out, "keel.db-wal"))).toBe(false);
    }
  });
});
