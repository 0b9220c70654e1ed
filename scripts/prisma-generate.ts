// Generates both Prisma clients (SQLite and Postgres). Prisma's CLI fetches a native schema
// engine it does not need for `generate`; pointing it at /bin/false keeps it offline.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const cli = require.resolve("prisma/build/index.js");
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };

for (const schema of ["prisma/schema.prisma", "prisma/postgres/schema.prisma"]) {
  execFileSync(process.execPath, [cli, "generate", "--schema", schema], { stdio: ["ignore", "ignore", "inherit"], env });
}
console.log("keel: generated the Prisma clients for SQLite and Postgres");
