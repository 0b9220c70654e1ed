import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { migrate, openDatabase, parseDatabaseUrl, type Database, type DatabaseTarget } from "../../engine/store";
import { migrationsDir } from "../../server/services";

/** The Postgres server tests may use, from KEEL_TEST_DATABASE_URL; undefined means SQLite only. */
export function postgresServerUrl(): string | undefined {
  const url = process.env.KEEL_TEST_DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : undefined;
}

export interface ScratchDatabase {
  target: DatabaseTarget;
  /** Drops the database (Postgres) or deletes its folder (SQLite). */
  dispose(): Promise<void>;
}

export interface DatabaseKind {
  name: "sqlite" | "postgres";
  /** A new, empty database of this kind that nothing else uses. */
  create(): Promise<ScratchDatabase>;
}

const sqlite: DatabaseKind = {
  name: "sqlite",
  async create() {
    const dir = mkdtempSync(join(tmpdir(), "keel-test-"));
    return {
      target: parseDatabaseUrl(`file:${join(dir, "keel.db")}`, dir),
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

function postgres(serverUrl: string): DatabaseKind {
  return {
    name: "postgres",
    async create() {
      const name = `keel_test_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      const url = new URL(serverUrl);
      url.pathname = `/${name}`;
      return {
        target: parseDatabaseUrl(url.toString(), process.cwd()),
        async dispose() {
          const client = new pg.Client({ connectionString: serverUrl });
          await client.connect();
          try {
            await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

/** SQLite always; Postgres as well when KEEL_TEST_DATABASE_URL names a server. */
export function databaseKinds(): DatabaseKind[] {
  const server = postgresServerUrl();
  return server ? [sqlite, postgres(server)] : [sqlite];
}

/** A scratch database with every migration applied, opened through the store. */
export async function migratedDatabase(kind: DatabaseKind): Promise<{ scratch: ScratchDatabase; database: Database; dispose(): Promise<void> }> {
  const scratch = await kind.create();
  await migrate(scratch.target, migrationsDir(scratch.target.provider));
  const database = await openDatabase(scratch.target);
  return {
    scratch,
    database,
    async dispose() {
      await database.close();
      await scratch.dispose();
    },
  };
}
