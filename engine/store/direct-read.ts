import type { Database } from "./database";

// Reads on the bare driver (SQLite's connection, Postgres's pool) for request paths where
// Prisma's cost per query (about 0.2 ms of CPU, against a few microseconds for the statement)
// is most of the work: a synchronous webhook reads its workflow, its API token and its run's
// result once each. SQL is written once with `?` placeholders; Postgres gets them numbered.

const numbered = new Map<string, string>();

function forPostgres(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, text);
  }
  return text;
}

/** The rows of one read; SQLite returns JSON and dates as text, Postgres as values (see `parsedJson`, `dateOf`). */
export async function readRows<T>(database: Pick<Database, "sqlite" | "pg" | "db">, sql: string, args: unknown[]): Promise<T[]> {
  if (database.sqlite) return database.sqlite.prepare(sql).all(...args) as T[];
  if (database.pg) return (await database.pg.query(forPostgres(sql), args)).rows as T[];
  return database.db.$queryRawUnsafe<T[]>(sql, ...args);
}

/** A JSON column as read by `readRows`: text on SQLite, parsed already on Postgres (where a string is a JSON string). */
export const parsedJson = (database: Pick<Database, "sqlite">, value: unknown): unknown => (database.sqlite && typeof value === "string" ? JSON.parse(value) : value);

/** A timestamp column as read by `readRows`: ISO text on SQLite, a Date on Postgres. */
export const dateOf = (value: unknown): Date | null => (value === null || value === undefined ? null : value instanceof Date ? value : new Date(value as string));
