import type { Database } from "../../../engine/store";

// The dashboard's figures are plain SQL, one text for both databases where the dialects agree
// and a small switch where they do not (day buckets, durations, placeholders, timestamps).

export interface Query {
  /** The next placeholder for `value` (SQLite: `?` per use; Postgres: `$n`, with a cast). */
  arg(value: unknown, cast?: string): string;
  /** A timestamp parameter as the adapter stores it, so comparisons hold on SQLite's text dates. */
  time(date: Date): string;
  readonly args: unknown[];
}

export interface Dialect {
  readonly pg: boolean;
  query(): Query;
  /** The UTC day of a timestamp column as 'YYYY-MM-DD'. */
  day(column: string): string;
  /** Milliseconds between two timestamp columns. */
  millis(from: string, to: string): string;
}

export function dialectOf(database: Database): Dialect {
  const pg = database.provider === "postgresql";
  return {
    pg,
    query() {
      const args: unknown[] = [];
      const arg = (value: unknown, cast = "") => {
        args.push(value);
        return pg ? `$${args.length}${cast}` : "?";
      };
      return { args, arg, time: (date: Date) => (pg ? arg(date.toISOString(), "::timestamp") : arg(date.toISOString().replace("Z", "+00:00"))) };
    },
    day: (column) => (pg ? `to_char(${column}, 'YYYY-MM-DD')` : `substr(${column}, 1, 10)`),
    millis: (from, to) => (pg ? `(EXTRACT(EPOCH FROM (${to} - ${from})) * 1000)` : `((julianday(${to}) - julianday(${from})) * 86400000.0)`),
  };
}

/**
 * Runs that count in the figures. Test runs from the editor are left out; until runs carry a
 * test flag of their own, they are the ones started with the trigger "test".
 */
export const realRun = (alias: string) => `${alias}."trigger" <> 'test'`;

/** Numbers from the drivers: Postgres returns COUNT as bigint and SUM of integers as numeric strings. */
export const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

export async function rows<T>(database: Database, q: Query, sql: string): Promise<T[]> {
  return database.db.$queryRawUnsafe<T[]>(sql, ...q.args);
}

/** A UTC day as 'YYYY-MM-DD'. */
export const dayOf = (date: Date): string => date.toISOString().slice(0, 10);
export const DAY_MS = 86_400_000;
export const startOfDay = (date: Date): Date => new Date(`${dayOf(date)}T00:00:00.000Z`);
export const addDays = (day: string, n: number): string => dayOf(new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS));
