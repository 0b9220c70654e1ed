import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import {
  chmodSync,
  copyFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, join, resolve } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { z } from "zod";
import { ConfigurationError, ConflictError, PermanentError, ValidationError } from "../../engine/errors";
import { openDatabase, readMigrations, type DatabaseTarget, type Provider } from "../../engine/store";
import type { KeelConfig } from "../config";
import { runningKeelPid } from "../process/pid-file";
import { KEY_FILE_NAME } from "../secret-key";
import { audit } from "./audit";
import { migrationsDir } from "./index";

// Backups are the database plus the key file (credentials cannot be decrypted without it).
// A backup is a directory: the database (a SQLite file made with SQLite's online backup API,
// or a plain-SQL pg_dump), keel.key when the key lives in the data directory, and
// manifest.json, written last, listing every file with its size and SHA-256. Restore refuses
// a backup whose files do not match their manifest before it changes anything, and moves
// whatever it replaces aside instead of deleting it.

export const MANIFEST_FILE = "manifest.json";
export const BACKUP_FORMAT = "keel-backup";
export const BACKUP_FORMAT_VERSION = 1;

const SQLITE_FILE = "keel.db";
const POSTGRES_FILE = "keel.sql";

// A plain file name inside the backup directory: never a path that could point elsewhere.
const FileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "must be a plain file name")
  .refine((name) => name !== MANIFEST_FILE, "must not be the manifest");

export const ManifestSchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    version: z.literal(BACKUP_FORMAT_VERSION),
    createdAt: z.iso.datetime(),
    keelVersion: z.string().optional(),
    provider: z.enum(["sqlite", "postgresql"]),
    /** Applied migrations (from _prisma_migrations), oldest first. */
    migrations: z.array(z.string().min(1)),
    /** Where the master key came from: copied from the key file, or KEEL_SECRET (not in the backup). */
    key: z.enum(["file", "env", "missing"]),
    files: z.array(
      z.object({
        name: FileName,
        role: z.enum(["database", "key"]),
        size: z.number().int().nonnegative(),
        sha256: z.string().regex(/^[0-9a-f]{64}$/),
      }),
    ),
  })
  .superRefine((manifest, ctx) => {
    const roles = manifest.files.map((file) => file.role);
    if (roles.filter((role) => role === "database").length !== 1) {
      ctx.addIssue({ code: "custom", path: ["files"], message: "must list exactly one database file" });
    }
    if (roles.includes("key") !== (manifest.key === "file")) {
      ctx.addIssue({ code: "custom", path: ["files"], message: "must list a key file exactly when key is 'file'" });
    }
    if (new Set(manifest.files.map((file) => file.name)).size !== manifest.files.length) {
      ctx.addIssue({ code: "custom", path: ["files"], message: "must not list a file twice" });
    }
  });

export type Manifest = z.infer<typeof ManifestSchema>;
export type ManifestFile = Manifest["files"][number];

export interface Backup {
  dir: string;
  manifest: Manifest;
}

/** `20261201T030405Z`: a UTC timestamp that is a valid file name everywhere. */
export function fileStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  const stream = createReadStream(path);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function keelVersion(projectRoot: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { version?: string }).version;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- PostgreSQL tools

// Query parameters Prisma understands and libpq (pg_dump, psql) rejects.
const PRISMA_ONLY_PARAMS = ["schema", "connection_limit", "pool_timeout", "pgbouncer", "statement_cache_size", "socket_timeout"];

/** The URL for libpq tools, with the password moved to PGPASSWORD so it never shows in `ps`. */
function libpqConnection(url: string): { uri: string; env: Record<string, string> } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get("schema");
  if (schema && schema !== "public") {
    throw new ConfigurationError(
      `DATABASE_URL: backup and restore cover the public schema only, and this URL names schema '${schema}'`,
      "DATABASE_URL",
    );
  }
  const env: Record<string, string> = {};
  if (parsed.password) {
    env.PGPASSWORD = decodeURIComponent(parsed.password);
    parsed.password = "";
  }
  for (const param of PRISMA_ONLY_PARAMS) parsed.searchParams.delete(param);
  return { uri: parsed.toString(), env };
}

/** Fails with one line saying what to install when a PostgreSQL client tool is not on PATH. */
export function requirePostgresTool(tool: "pg_dump" | "psql"): void {
  const probe = spawnSync(tool, ["--version"], { stdio: "ignore" });
  if ((probe.error as { code?: string } | undefined)?.code === "ENOENT") {
    throw new ConfigurationError(
      `${tool} is not on PATH: install the PostgreSQL client tools, the server's major version or newer ` +
        `(Debian/Ubuntu: apt-get install postgresql-client; macOS: brew install libpq)`,
    );
  }
}

async function runTool(tool: string, args: string[], env: Record<string, string>): Promise<void> {
  const child = spawn(tool, args, {
    env: { ...process.env, ...env, PGOPTIONS: "-c client_min_messages=warning" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, "close")) as [number | null];
  if (code !== 0) {
    const reason = stderr.split("\n").find((line) => /error|fatal/i.test(line)) ?? stderr.split("\n")[0] ?? "";
    throw new PermanentError(`${tool} failed (exit code ${code}): ${reason.trim() || "no output"}`);
  }
}

async function pgDump(url: string, file: string): Promise<void> {
  requirePostgresTool("pg_dump");
  const { uri, env } = libpqConnection(url);
  await runTool("pg_dump", ["--format=plain", "--no-owner", "--no-privileges", `--file=${file}`, `--dbname=${uri}`], env);
  chmodSync(file, 0o600);
}

async function postgresMigrations(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
    );
    return rows.map((row) => row.migration_name);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- backup

export interface CreateBackupOptions {
  /** The directory to create; default `<cwd>/backups/keel-<UTC timestamp>`. */
  outDir?: string;
  cwd: string;
  projectRoot: string;
  now?: Date;
}

export interface CreateBackupResult extends Backup {
  warnings: string[];
}

function prepareOutDir(options: CreateBackupOptions, now: Date): { dir: string; created: boolean } {
  let dir: string;
  if (options.outDir !== undefined) {
    dir = resolve(options.cwd, options.outDir);
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new ConflictError(`--out ${dir} exists and is not a directory`);
      if (readdirSync(dir).length > 0) throw new ConflictError(`--out ${dir} is not empty; a backup goes into a new directory`);
      chmodSync(dir, 0o700);
      return { dir, created: false };
    }
  } else {
    const base = resolve(options.cwd, "backups", `keel-${fileStamp(now)}`);
    dir = base;
    for (let n = 2; existsSync(dir); n++) dir = `${base}-${n}`;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return { dir, created: true };
}

async function backupSqlite(file: string, dest: string): Promise<string[]> {
  if (!existsSync(file)) {
    throw new ConfigurationError(`DATABASE_URL: there is no database at ${file} to back up (keel migrate creates it)`, "DATABASE_URL");
  }
  const source = new Database(file, { fileMustExist: true, timeout: 10_000 });
  try {
    // After a first zero-page step, copy every page in one step: one read transaction, so the
    // copy is one consistent snapshot even while another process writes (WAL lets it go on).
    await source.backup(dest, { progress: () => 0x7fffffff });
  } finally {
    source.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  try {
    // A self-contained file: no -wal beside it. `keel start` switches it back to WAL.
    copy.pragma("journal_mode = DELETE");
    const integrity = copy.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") throw new PermanentError(`the copy of ${file} failed its integrity check: ${String(integrity)}`);
    return copy
      .prepare(`SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`)
      .pluck()
      .all() as string[];
  } finally {
    copy.close();
  }
}

/** Writes a new backup directory: database, key file (when the key is a file), manifest. */
export async function createBackup(config: KeelConfig, options: CreateBackupOptions): Promise<CreateBackupResult> {
  const now = options.now ?? new Date();
  const target = config.database;
  if (target.provider === "postgresql") requirePostgresTool("pg_dump");
  const { dir, created } = prepareOutDir(options, now);
  const written: string[] = [];
  const warnings: string[] = [];
  try {
    const files: { name: string; role: "database" | "key" }[] = [];
    let migrations: string[];
    if (target.provider === "sqlite") {
      written.push(join(dir, SQLITE_FILE));
      migrations = await backupSqlite(target.file, join(dir, SQLITE_FILE));
      chmodSync(join(dir, SQLITE_FILE), 0o600);
      files.push({ name: SQLITE_FILE, role: "database" });
    } else {
      migrations = await postgresMigrations(target.url);
      written.push(join(dir, POSTGRES_FILE));
      await pgDump(target.url, join(dir, POSTGRES_FILE));
      files.push({ name: POSTGRES_FILE, role: "database" });
    }

    let key: Manifest["key"];
    const keyPath = join(config.dataDir, KEY_FILE_NAME);
    if (config.secret) {
      key = "env";
      warnings.push(
        "KEEL_SECRET comes from the environment, so the key is NOT in this backup: keep it safe separately, credentials cannot be decrypted without it",
      );
    } else if (existsSync(keyPath)) {
      key = "file";
      written.push(join(dir, KEY_FILE_NAME));
      copyFileSync(keyPath, join(dir, KEY_FILE_NAME));
      chmodSync(join(dir, KEY_FILE_NAME), 0o600);
      files.push({ name: KEY_FILE_NAME, role: "key" });
    } else {
      key = "missing";
      warnings.push(`there is no key file at ${keyPath} (and KEEL_SECRET is not set), so the backup has no key`);
    }

    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      createdAt: now.toISOString(),
      keelVersion: keelVersion(options.projectRoot),
      provider: target.provider,
      migrations,
      key,
      files: await Promise.all(
        files.map(async (file) => {
          const path = join(dir, file.name);
          return { ...file, size: statSync(path).size, sha256: await sha256File(path) };
        }),
      ),
    };
    // Written last: a directory without a manifest is an incomplete backup.
    written.push(join(dir, MANIFEST_FILE));
    writeFileSync(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });

    const database = await openDatabase(target);
    try {
      await audit(database.db, {
        actor: "cli",
        action: "backup.create",
        targetType: "backup",
        targetId: basename(dir),
        detail: { dir, provider: manifest.provider, key, files: manifest.files.map(({ name, size }) => ({ name, size })) },
      });
    } finally {
      await database.close();
    }
    return { dir, manifest, warnings };
  } catch (error) {
    if (created) rmSync(dir, { recursive: true, force: true });
    else for (const path of written) rmSync(path, { force: true });
    throw error;
  }
}

// ---------------------------------------------------------------- verify

/** Reads the manifest and checks every file's size and SHA-256; throws before anything changes. */
export async function verifyBackup(dirArg: string, cwd = process.cwd()): Promise<Backup> {
  const dir = resolve(cwd, dirArg);
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) {
    throw new ValidationError(`${dir} is not a Keel backup (no ${MANIFEST_FILE}; an interrupted backup has none)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch {
    throw new ValidationError(`the backup in ${dir} is damaged: ${MANIFEST_FILE} is not valid JSON; nothing was changed`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ValidationError(
      `the backup in ${dir} is damaged or from an unknown version: ${MANIFEST_FILE} ${issue.path.join(".") || "(root)"}: ${issue.message}; nothing was changed`,
    );
  }
  const manifest = parsed.data;
  for (const file of manifest.files) {
    const path = join(dir, file.name);
    if (!existsSync(path)) throw new ValidationError(`the backup in ${dir} is damaged: ${file.name} is missing; nothing was changed`);
    const size = statSync(path).size;
    if (size !== file.size || (await sha256File(path)) !== file.sha256) {
      throw new ValidationError(
        `the backup in ${dir} is damaged: ${file.name} does not match its checksum in ${MANIFEST_FILE}; nothing was changed`,
      );
    }
  }
  return { dir, manifest };
}

// ---------------------------------------------------------------- restore

function databaseFile(backup: Backup): ManifestFile {
  return backup.manifest.files.find((file) => file.role === "database")!;
}

function keyFile(backup: Backup): ManifestFile | undefined {
  return backup.manifest.files.find((file) => file.role === "key");
}

function describeTarget(target: DatabaseTarget): string {
  return target.provider === "sqlite" ? target.file : "the PostgreSQL database in DATABASE_URL";
}

/** Everything that makes a verified backup unfit for this Keel; throws before anything changes. */
export function checkRestorable(config: KeelConfig, backup: Backup, projectRoot: string): void {
  const provider: Provider = config.database.provider;
  if (backup.manifest.provider !== provider) {
    throw new ConfigurationError(
      `the backup in ${backup.dir} is of a ${backup.manifest.provider} database, and DATABASE_URL points to ${provider}`,
      "DATABASE_URL",
    );
  }
  const known = new Set(readMigrations(migrationsDir(provider, projectRoot)).map((m) => m.name));
  const unknown = backup.manifest.migrations.find((name) => !known.has(name));
  if (unknown) {
    throw new ConfigurationError(
      `the backup in ${backup.dir} has migration '${unknown}', which this version of Keel does not know: restore it with the Keel that made it (${backup.manifest.keelVersion ?? "a newer version"})`,
    );
  }
  const pid = runningKeelPid(config.dataDir);
  if (pid !== undefined) {
    throw new ConflictError(
      `Keel is running against ${config.dataDir} (pid ${pid}, from keel.pid): stop it before restoring (if it is not Keel, delete ${join(config.dataDir, "keel.pid")})`,
    );
  }
}

export interface RestorePlan {
  stamp: string;
  lines: string[];
}

/** What restore will do, in words, for the confirmation prompt. */
export function restorePlan(config: KeelConfig, backup: Backup, now: Date): RestorePlan {
  const stamp = fileStamp(now);
  const { manifest } = backup;
  const db = databaseFile(backup);
  const lines = [
    `restore the backup in ${backup.dir}`,
    `  made ${manifest.createdAt} (${manifest.provider}, ${manifest.migrations.length} migrations, Keel ${manifest.keelVersion ?? "unknown"})`,
    `  database ${db.name} (${db.size} bytes) replaces ${describeTarget(config.database)}`,
  ];
  if (config.database.provider === "sqlite") {
    lines.push(`  the current database moves aside to ${config.database.file}.before-restore-${stamp}`);
  } else {
    lines.push(`  the current database is first dumped to ${join(config.dataDir, `${POSTGRES_FILE}.before-restore-${stamp}`)}`);
  }
  const keyPath = join(config.dataDir, KEY_FILE_NAME);
  const key = keyFile(backup);
  if (key && existsSync(keyPath) && createHash("sha256").update(readFileSync(keyPath)).digest("hex") === key.sha256) {
    lines.push(`  key file ${KEY_FILE_NAME} is the same as ${keyPath}, which stays`);
  } else if (key) {
    const aside = existsSync(keyPath) ? ` (the current one moves aside to ${KEY_FILE_NAME}.before-restore-${stamp})` : "";
    lines.push(`  key file ${KEY_FILE_NAME} replaces ${keyPath}${aside}`);
  } else {
    lines.push(`  the backup has no key file (key: ${manifest.key}); ${join(config.dataDir, KEY_FILE_NAME)} is left as it is`);
  }
  return { stamp, lines };
}

export interface RestoreResult {
  /** Files the restore moved aside (or, on PostgreSQL, the dump of the database it replaced). */
  setAside: string[];
  warnings: string[];
}

// Copies a file from the backup next to its destination and checks the copy's checksum again.
async function stage(backup: Backup, file: ManifestFile, dest: string): Promise<void> {
  copyFileSync(join(backup.dir, file.name), dest);
  chmodSync(dest, 0o600);
  if ((await sha256File(dest)) !== file.sha256) {
    rmSync(dest, { force: true });
    throw new PermanentError(`copying ${file.name} to ${dest} produced a different file; nothing was changed`);
  }
}

/** Folds the WAL into the current SQLite file and proves no other process has it open. */
function quiesceSqlite(file: string): void {
  if (!existsSync(file)) return;
  try {
    const db = new Database(file, { fileMustExist: true, timeout: 10_000 });
    try {
      db.pragma("wal_checkpoint(TRUNCATE)");
    } finally {
      db.close();
    }
  } catch {
    // A damaged current database is still moved aside, as it is.
    return;
  }
  // The last connection to close removes the -wal file; one still there means another
  // process (npm run dev, a worker) has the database open.
  if (existsSync(`${file}-wal`)) {
    throw new ConflictError(
      `${file} is open in another process (its -wal file remains): stop every Keel process (keel start, npm run dev, workers) before restoring`,
    );
  }
}

/**
 * Restores a backup over the configured database and key file. Verifies it again, refuses
 * while Keel runs, keeps what it replaces (`*.before-restore-<timestamp>`), and records
 * "backup.restore" in the restored database.
 */
export async function restoreBackup(
  config: KeelConfig,
  backupDir: string,
  options: { projectRoot: string; now?: Date; cwd?: string },
): Promise<RestoreResult> {
  const now = options.now ?? new Date();
  const backup = await verifyBackup(backupDir, options.cwd);
  checkRestorable(config, backup, options.projectRoot);
  const stamp = fileStamp(now);
  const target = config.database;
  const warnings: string[] = [];
  const setAside: string[] = [];
  if (target.provider === "postgresql") {
    requirePostgresTool("pg_dump");
    requirePostgresTool("psql");
  }
  mkdirSync(config.dataDir, { recursive: true });

  const keyEntry = keyFile(backup);
  const keyPath = join(config.dataDir, KEY_FILE_NAME);
  const staged: string[] = [];
  const moves: [from: string, to: string][] = [];
  const move = (from: string, to: string) => {
    renameSync(from, to);
    moves.push([from, to]);
  };
  try {
    // 1. Stage every incoming file beside its destination; nothing live has changed yet.
    let stagedKey: string | undefined;
    if (keyEntry) {
      const current = existsSync(keyPath) ? await sha256File(keyPath) : undefined;
      if (current !== keyEntry.sha256) {
        stagedKey = `${keyPath}.restoring-${stamp}`;
        staged.push(stagedKey);
        await stage(backup, keyEntry, stagedKey);
      }
    }

    if (target.provider === "sqlite") {
      quiesceSqlite(target.file);
      const stagedDb = `${target.file}.restoring-${stamp}`;
      staged.push(stagedDb);
      mkdirSync(resolve(target.file, ".."), { recursive: true });
      await stage(backup, databaseFile(backup), stagedDb);
      // 2. Move the current database aside (with its -wal/-shm, named so SQLite finds them
      // when the aside copy is opened), then put the backup in its place.
      for (const suffix of ["", "-wal", "-shm"]) {
        if (existsSync(`${target.file}${suffix}`)) {
          const aside = `${target.file}.before-restore-${stamp}${suffix}`;
          move(`${target.file}${suffix}`, aside);
          setAside.push(aside);
        }
      }
      move(stagedDb, target.file);
      // Back to Keel's journal mode (the backup file is self-contained, rollback-journal).
      const restored = new Database(target.file, { fileMustExist: true });
      try {
        restored.pragma("journal_mode = WAL");
      } finally {
        restored.close();
      }
    } else {
      // 2. Keep the current database as a dump, then replace the public schema in ONE
      // transaction: a failing restore leaves the database as it was.
      const before = join(config.dataDir, `${POSTGRES_FILE}.before-restore-${stamp}`);
      await pgDump(target.url, before);
      setAside.push(before);
      const { uri, env } = libpqConnection(target.url);
      await runTool(
        "psql",
        [
          "--no-psqlrc",
          "--quiet",
          "--set=ON_ERROR_STOP=1",
          "--single-transaction",
          "--command=DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;",
          `--file=${join(backup.dir, databaseFile(backup).name)}`,
          `--dbname=${uri}`,
        ],
        env,
      );
    }

    // 3. The key file.
    if (stagedKey) {
      if (existsSync(keyPath)) {
        const aside = `${keyPath}.before-restore-${stamp}`;
        move(keyPath, aside);
        setAside.push(aside);
      }
      move(stagedKey, keyPath);
    }
  } catch (error) {
    // Put back whatever was moved, newest first; the database itself is either untouched
    // (SQLite: renames only) or rolled back (PostgreSQL: one transaction).
    for (const [from, to] of moves.reverse()) {
      try {
        renameSync(to, from);
      } catch {
        // Leave it where it is; the message below names the backup, and nothing was deleted.
      }
    }
    for (const path of staged) rmSync(path, { force: true });
    throw error;
  }

  if (backup.manifest.key === "file" && config.secret) {
    warnings.push("KEEL_SECRET is set and takes precedence over the restored key file: unset it, or set it to the key the backup's credentials were encrypted with");
  } else if (backup.manifest.key === "env") {
    warnings.push("this backup was made with KEEL_SECRET from the environment: its credentials need that same KEEL_SECRET");
  } else if (backup.manifest.key === "missing") {
    warnings.push("this backup has no key file: credentials in it can be decrypted only with the key in use when it was made");
  }

  try {
    const database = await openDatabase(target);
    try {
      await audit(database.db, {
        actor: "cli",
        action: "backup.restore",
        targetType: "backup",
        targetId: basename(backup.dir),
        detail: { dir: backup.dir, backupCreatedAt: backup.manifest.createdAt, provider: target.provider, key: backup.manifest.key, setAside },
      });
    } finally {
      await database.close();
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new PermanentError(`the backup WAS restored (replaced files kept: ${setAside.join(", ") || "none"}), but writing its audit entry failed: ${reason}`);
  }
  return { setAside, warnings };
}
