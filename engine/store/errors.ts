// What a database error means, decided in one place for both drivers and both Prisma clients.

function codeAndMessage(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown } | null;
  const own = `${e?.code ?? ""} ${typeof e?.message === "string" ? e.message : ""}`;
  // Prisma wraps the driver's error; the driver's code sits on the cause.
  const cause = e?.cause as { code?: unknown; message?: unknown; originalCode?: unknown } | undefined;
  return cause ? `${own} ${cause.code ?? ""} ${cause.originalCode ?? ""} ${typeof cause.message === "string" ? cause.message : ""}` : own;
}

/** A unique constraint refused the row (Prisma P2002, SQLite's and Postgres' own codes). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "P2002" || code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/**
 * The database was busy, not wrong: another writer held SQLite's lock, a transaction waited
 * too long for its turn (Prisma's "Operation has timed out", P2024/P2028), Postgres reported a
 * serialization failure, deadlock or lock timeout. Trying again later succeeds.
 */
export function isDatabaseBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // P1008: the SQLite adapter reports SQLITE_BUSY as a socket timeout ("Operation has timed
  // out"); P1001/P1017: the server went away for a moment; P2024/P2028: no connection or
  // transaction slot in time; P2034: a write conflict or deadlock.
  if (code === "P1008" || code === "P1001" || code === "P1017" || code === "P2024" || code === "P2028" || code === "P2034") return true;
  const text = codeAndMessage(error);
  return /SQLITE_BUSY|SQLITE_LOCKED|database is locked|database table is locked|Operation has timed out|Transaction already closed|Unable to start a transaction in the given time|\b40001\b|\b40P01\b|\b55P03\b|could not serialize access|deadlock detected|lock timeout/i.test(text);
}
