// Creates a migration for both databases from the difference between the migrations so far
// and prisma/schema.prisma, using Prisma's Wasm schema engine (works offline):
//   npm run migration:new -- add_invoice_notes
// SQLite uses a scratch file; Postgres a scratch database on KEEL_TEST_DATABASE_URL's server
// (default postgresql://postgres@127.0.0.1:5432/test), dropped afterwards.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { migrate, parseDatabaseUrl, type DatabaseTarget, type Provider } from "../engine/store";
import { openSchemaDiffer } from "./schema-engine";

const MIGRATION_DIRS: Record<Provider, string> = {
  sqlite: "prisma/migrations",
  postgresql: "prisma/postgres/migrations",
};

async function diffFor(target: DatabaseTarget): Promise<string> {
  await migrate(target, MIGRATION_DIRS[target.provider]);
  const differ = await openSchemaDiffer(target);
  try {
    return await differ.databaseToDatamodel();
  } finally {
    await differ.close();
  }
}

async function withScratchPostgres<T>(serverUrl: string, use: (target: DatabaseTarget) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  const name = `keel_migration_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await use(parseDatabaseUrl(url.toString(), process.cwd()));
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

async function main() {
  const name = process.argv[2];
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("usage: npm run migration:new -- <name in snake_case>");
    process.exit(1);
  }
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const scratch = mkdtempSync(join(tmpdir(), "keel-migration-"));
  try {
    const sqlite = await diffFor(parseDatabaseUrl(`file:${join(scratch, "scratch.db")}`, process.cwd()));
    const serverUrl = process.env.KEEL_TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";
    const postgres = await withScratchPostgres(serverUrl, diffFor);
    if (!sqlite.trim() && !postgres.trim()) {
      console.log("No schema changes: prisma/schema.prisma matches the migrations.");
      return;
    }
    for (const [provider, sql] of [["sqlite", sqlite], ["postgresql", postgres]] as const) {
      const dir = join(MIGRATION_DIRS[provider], `${stamp}_${name}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "migration.sql"), sql);
      console.log(`wrote ${dir}/migration.sql`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
