import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { PrismaClient as SqliteClient } from "./generated/sqlite/client";
import type { DatabaseTarget, Provider } from "./database-url";

// One store module for both databases. The two generated clients come from one schema source
// and differ only in provider, so the SQLite client's type describes both; each client is
// loaded lazily so a process only pays for the one it uses.
export type Db = SqliteClient;

export interface Database {
  readonly provider: Provider;
  readonly db: Db;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** How long a SQLite writer waits for another process's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** Postgres pool size for this process. */
  poolSize?: number;
}

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  if (target.provider === "sqlite") {
    mkdirSync(dirname(target.file), { recursive: true });
    const [{ PrismaClient }, { sqliteAdapter }] = await Promise.all([import("./generated/sqlite/client"), import("./sqlite-adapter")]);
    // Write transactions take SQLite's lock up front (BEGIN IMMEDIATE): see sqlite-adapter.ts.
    const adapter = sqliteAdapter(target.file, options.busyTimeoutMs ?? 10_000);
    const db = new PrismaClient({ adapter });
    return { provider: "sqlite", db, close: () => db.$disconnect() };
  }
  const [{ PrismaClient }, { PrismaPg }] = await Promise.all([
    import("./generated/postgres/client"),
    import("@prisma/adapter-pg"),
  ]);
  const adapter = new PrismaPg({ connectionString: target.url, max: options.poolSize ?? 10 });
  const db = new PrismaClient({ adapter }) as unknown as Db;
  return { provider: "postgresql", db, close: () => db.$disconnect() };
}
