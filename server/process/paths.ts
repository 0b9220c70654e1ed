import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The Keel installation (where package.json, prisma/ and .next/ live), whatever the cwd. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
