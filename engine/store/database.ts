import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { PrismaClient as SqliteClient } from "./generated/sqlite/client";
import type { DatabaseTarget, Provider } from "./database-url";
import type { PgDirect } from "./pg-direct";
import type { SqliteDirect } from "./sqlite-adapter";

// One store module for both databases. The two generated clients come from one schema source
// and differ only in provider, so the SQLite client's type describes both; each client is
// loaded lazily so a process only pays for the one it uses.
export type Db = SqliteClient;

export interface Database {
  readonly provider: Provider;
  readonly db: Db;
  /** SQLite: the bare driver on Prisma's own connection, for the run store's hot path. */
  readonly sqlite?: SqliteDirect;
  /** Postgres: the same pool's bare driver, for the run store's hot path. */
  readonly pg?: PgDirect;
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
    const { factory, direct } = sqliteAdapter(target.file, options.busyTimeoutMs ?? 10_000);
    const db = new PrismaClient({ adapter: factory });
    // Connected now, so the run store's hot path has the connection from the start.
    await db.$connect();
    return { provider: "sqlite", db, sqlite: await direct, close: () => db.$disconnect() };
  }
  const [{ PrismaClient }, { PrismaPg }, { default: pg }, { pgDirect }] = await Promise.all([
    import("./generated/postgres/client"),
    import("@prisma/adapter-pg"),
    import("pg"),
    import("./pg-direct"),
  ]);
  // One pool for Prisma and the run store's hot path alike.
  const pool = new pg.Pool({ connectionString: target.url, max: options.poolSize ?? 10 });
  // The adapter's own copy of @types/pg differs from ours; the runtime pg is the same package.
  const adapter = new PrismaPg(pool as unknown as ConstructorParameters<typeof PrismaPg>[0], { disposeExternalPool: true });
  const db = new PrismaClient({ adapter }) as unknown as Db;
  return { provider: "postgresql", db, pg: pgDirect(pool, pg.types), close: () => db.$disconnect() };
}
