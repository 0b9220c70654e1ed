export { openDatabase, type Database, type Db, type OpenOptions } from "./database";
export { parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget, type Provider } from "./database-url";
export { migrate, readMigrations, type Migration, type MigrateResult } from "./migrate";
export { AnyNull, DbNull, json, type JsonInput } from "./json";
export type { Prisma } from "./generated/sqlite/client";
export { connectionError } from "./connection-error";
export { workflowRef } from "./workflow-ref";
export { isDatabaseBusy, isUniqueViolation } from "./errors";
