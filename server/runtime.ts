import type { RuntimeDeps } from "../engine/runtime/process-run";
import { PrismaRunStore } from "../engine/runtime/prisma-store";
import type { Database } from "../engine/store";
import { createExecutors } from "../nodes/executors";
import { registry } from "../nodes/catalog";

/** The engine's dependencies as this server provides them: the registry and executors are parameters. */
export function runtimeDeps(database: Database, options: { publicUrl?: string; now?: () => Date } = {}): RuntimeDeps {
  return {
    store: new PrismaRunStore(database),
    registry,
    executors: createExecutors({ db: database.db }),
    clock: { now: options.now ?? (() => new Date()) },
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  };
}
