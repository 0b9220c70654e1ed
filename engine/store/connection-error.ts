import { ConfigurationError } from "../errors";
import { redactDatabaseUrl, type DatabaseTarget } from "./database-url";

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  // Postgres: invalid password, no such role, no such database, connection refused by pg_hba.
  "28P01",
  "28000",
  "3D000",
  "08001",
  "08006",
  // SQLite: cannot open the file, read-only, not a database.
  "SQLITE_CANTOPEN",
  "SQLITE_READONLY",
  "SQLITE_NOTADB",
  "SQLITE_PERM",
  "EACCES",
  "ENOENT",
  "ENOTDIR",
]);

/** Turns "cannot reach the database" failures into one sentence naming DATABASE_URL. */
export function connectionError(target: DatabaseTarget, error: unknown): ConfigurationError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !CONNECTION_CODES.has(code)) return undefined;
  const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
  const where =
    target.provider === "sqlite" ? `the SQLite file ${target.file}` : `PostgreSQL at ${redactDatabaseUrl(target.url)}`;
  return new ConfigurationError(`DATABASE_URL: cannot open ${where}: ${reason} (${code})`, "DATABASE_URL");
}
