import { resolve } from "node:path";
import { ConfigurationError } from "../errors";

export type Provider = "sqlite" | "postgresql";

export type DatabaseTarget =
  | { provider: "sqlite"; url: string; file: string }
  | { provider: "postgresql"; url: string };

/** Parses a DATABASE_URL: `file:PATH` (SQLite, relative to `cwd`) or `postgres(ql)://…`. */
export function parseDatabaseUrl(url: string, cwd: string): DatabaseTarget {
  if (url.startsWith("file:")) {
    const path = url.slice("file:".length).replace(/^\/\/(?=\/)/, "");
    if (path === "" || path.includes("?")) {
      throw new ConfigurationError(`DATABASE_URL: expected file:PATH to a SQLite file, got '${url}'`, "DATABASE_URL");
    }
    return { provider: "sqlite", url, file: resolve(cwd, path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new ConfigurationError("DATABASE_URL: not a valid postgres:// URL", "DATABASE_URL");
    }
    return { provider: "postgresql", url };
  }
  throw new ConfigurationError(
    "DATABASE_URL: must start with file: (SQLite) or postgres:// (PostgreSQL)",
    "DATABASE_URL",
  );
}

/** The URL with any password replaced, safe for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/:\/\/([^:/@]+):[^@]*@/, "://$1:***@");
  }
}
