import type { RuntimeDeps } from "../engine/runtime/process-run";
import { PrismaRunStore } from "../engine/runtime/prisma-store";
import type { Database } from "../engine/store";
import { createExecutors } from "../nodes/executors";
import { registry } from "../nodes/catalog";
import { createCipher } from "./secrets/cipher";
import { credentialService } from "./services/credentials";

/**
 * The engine's dependencies as this server provides them: the registry and executors are
 * parameters. With the master secret, steps can use credentials (opened only when a step runs).
 */
export function runtimeDeps(database: Database, options: { publicUrl?: string; now?: () => Date; secret?: string } = {}): RuntimeDeps {
  const credentials = options.secret ? credentialService(database.db, createCipher(options.secret)) : undefined;
  return {
    store: new PrismaRunStore(database),
    registry,
    executors: createExecutors({ db: database.db, publicUrl: options.publicUrl, ...(credentials ? { smtp: (name: string) => credentials.resolve(name, "smtp") } : {}) }),
    clock: { now: options.now ?? (() => new Date()) },
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
  };
}
