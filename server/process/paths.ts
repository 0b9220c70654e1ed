import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The Keel installation (where package.json, prisma/ and .next/ live), whatever the cwd. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The migrations folder for a database provider (one history per provider). */
export function migrationsDir(provider: "sqlite" | "postgresql", root = process.cwd()): string {
  return provider === "sqlite" ? join(root, "prisma", "migrations") : join(root, "prisma", "postgres", "migrations");
}
