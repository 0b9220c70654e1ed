import { join } from "node:path";
import { migrate, openDatabase, type Database } from "../../engine/store";
import { loadConfig, type KeelConfig } from "../config";
import { workflowService } from "./workflows";

export interface Services {
  config: KeelConfig;
  database: Database;
  workflows: ReturnType<typeof workflowService>;
  health(): Promise<{ status: "ok"; database: Database["provider"]; time: string }>;
}

export function migrationsDir(provider: Database["provider"], root = process.cwd()): string {
  return provider === "sqlite" ? join(root, "prisma", "migrations") : join(root, "prisma", "postgres", "migrations");
}

export async function createServices(config: KeelConfig): Promise<Services> {
  await migrate(config.database, migrationsDir(config.database.provider));
  return servicesFor(config, await openDatabase(config.database));
}

export function servicesFor(config: KeelConfig, database: Database): Services {
  return {
    config,
    database,
    workflows: workflowService(database.db),
    async health() {
      await database.db.$queryRawUnsafe("SELECT 1");
      return { status: "ok", database: database.provider, time: new Date().toISOString() };
    },
  };
}

// One set of services per server process; kept on globalThis so dev-mode reloads reuse it.
const holder = globalThis as typeof globalThis & { __keelServices?: Promise<Services> };

export function getServices(): Promise<Services> {
  holder.__keelServices ??= createServices(loadConfig()).catch((error: unknown) => {
    holder.__keelServices = undefined;
    throw error;
  });
  return holder.__keelServices;
}
