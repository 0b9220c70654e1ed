import { connectionError, migrate, openDatabase } from "../../engine/store";
import { seedTemplates } from "../../prisma/seed";
import { authService } from "../auth/service";
import type { KeelConfig } from "../config";
import { ensureSecret } from "../secret-key";
import type { Db } from "../../engine/store";
import { migrationsDir, PROJECT_ROOT } from "../process/paths";

export interface Prepared {
  applied: string[];
  seeded: string[];
  published: string[];
  unpublished: { slug: string; reason: string }[];
  /** Set while no operator password exists: the one-time set-up link's token. */
  setupToken: string | undefined;
  passwordFromConfig: boolean;
}

/**
 * Everything the database needs before any process uses it: key, migrations, templates,
 * password. Only `keel start` asks for a set-up link: a new one replaces the last, so a worker
 * or another command starting alongside must not mint one.
 */
export async function prepareDatabase(config: KeelConfig, options: { setupLink?: boolean } = {}): Promise<Prepared> {
  ensureSecret(config.dataDir, config.secret);
  try {
    const { applied } = await migrate(config.database, migrationsDir(config.database.provider, PROJECT_ROOT));
    const database = await openDatabase(config.database);
    try {
      const { seeded, published, unpublished } = await seedTemplates(database.db, { publish: (id) => publishAsSeed(database.db, id) });
      const auth = authService(database.db, { sessionTtlMs: config.sessionTtlMs });
      const passwordFromConfig = config.password ? await auth.applyConfiguredPassword(config.password) : false;
      const setupToken = config.password || !options.setupLink ? undefined : await auth.createSetupToken();
      return { applied, seeded, published, unpublished, setupToken, passwordFromConfig };
    } finally {
      await database.close();
    }
  } catch (error) {
    throw connectionError(config.database, error) ?? error;
  }
}

/**
 * Publishes a seeded template as the Publish button would, on a server with no capabilities:
 * the templates keep their LLM steps behind "LLM available?", so they need none. Loaded on use,
 * so commands that find the templates already published never load the registry.
 */
export async function publishAsSeed(db: Db, workflowId: string): Promise<void> {
  const [{ registry }, { publishingService }, { workflowService }] = await Promise.all([
    import("../../nodes/catalog"),
    import("../services/publishing"),
    import("../services/workflows"),
  ]);
  await publishingService(db, { registry, workflows: workflowService(db), capabilities: new Set() }).publish({ id: workflowId, notes: "Published when Keel seeded the starter workflows" }, "keel");
}
