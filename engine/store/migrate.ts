import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import type pg from "pg";
import { ConfigurationError } from "../errors";
import type { DatabaseTarget } from "./database-url";

// Applies prisma/**/migrations/*/migration.sql at start-up without Prisma's CLI (which cannot
// run offline). Each applied migration is recorded in Prisma's own `_prisma_migrations` table,
// with Prisma's checksum (SHA-256 of the file), so `prisma migrate status` agrees with us.

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

export function readMigrations(dir: string): Migration[] {
  if (!existsSync(dir)) throw new ConfigurationError(`no migrations folder at ${dir}`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "migration.sql")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
)`;

const POSTGRES_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

// Any constant works; it only has to be the same in every Keel process.
const POSTGRES_LOCK_ID = 7_265_656_108;

interface AppliedRow {
  migration_name: string;
  checksum: string;
}

function plan(migrations: Migration[], applied: AppliedRow[]): Migration[] {
  const known = new Map(applied.map((row) => [row.migration_name, row.checksum]));
  for (const [name] of known) {
    if (!migrations.some((m) => m.name === name)) {
      throw new ConfigurationError(
        `the database has migration '${name}' applied, which this version of Keel does not know: is it older than the database?`,
      );
    }
  }
  const pending: Migration[] = [];
  for (const migration of migrations) {
    const checksum = known.get(migration.name);
    if (checksum === undefined) pending.push(migration);
    else if (checksum !== migration.checksum) {
      throw new ConfigurationError(`migration '${migration.name}' was modified after it was applied`);
    }
  }
  return pending;
}

/** Applies every pending migration in one transaction, under a lock, so concurrent starts are safe. */
export async function migrate(target: DatabaseTarget, migrationsDir: string): Promise<MigrateResult> {
  const migrations = readMigrations(migrationsDir);
  return target.provider === "sqlite"
    ? migrateSqlite(target.file, migrations)
    : migratePostgres(target.url, migrations);
}

function migrateSqlite(file: string, migrations: Migration[]): MigrateResult {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 10_000 });
  try {
    db.pragma("journal_mode = WAL");
    // Table redefinitions (DROP + RENAME) must not fire ON DELETE CASCADE; the PRAGMA is a
    // no-op inside a transaction, so it is set before BEGIN and integrity is checked before COMMIT.
    db.pragma("foreign_keys = OFF");
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(SQLITE_TABLE);
      const applied = db
        .prepare(
          `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL`,
        )
        .all() as AppliedRow[];
      const pending = plan(migrations, applied);
      const record = db.prepare(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES (?, ?, ?, ?, ?, 1)`,
      );
      for (const migration of pending) {
        const startedAt = new Date().toISOString();
        db.exec(migration.sql);
        record.run(randomUUID(), migration.checksum, migration.name, startedAt, new Date().toISOString());
      }
      const violations = db.pragma("foreign_key_check") as unknown[];
      if (violations.length > 0) {
        throw new ConfigurationError(`migrations left ${violations.length} foreign key violation(s); nothing was applied`);
      }
      db.exec("COMMIT");
      return { applied: pending.map((m) => m.name), alreadyApplied: applied.length };
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
  } finally {
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<MigrateResult> {
  // Loaded here, not with the module: a SQLite Keel never needs the Postgres driver.
  const { default: Pg } = await import("pg");
  const client: pg.Client = new Pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [POSTGRES_LOCK_ID]);
      await client.query(POSTGRES_TABLE);
      const { rows: applied } = await client.query<AppliedRow>(
        `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL`,
      );
      const pending = plan(migrations, applied);
      for (const migration of pending) {
        const startedAt = new Date();
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count) VALUES ($1, $2, $3, $4, $5, 1)`,
          [randomUUID(), migration.checksum, migration.name, startedAt, new Date()],
        );
      }
      await client.query("COMMIT");
      return { applied: pending.map((m) => m.name), alreadyApplied: applied.length };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    await client.end();
  }
}
