import { connectionError, migrate, openDatabase } from "../../engine/store";
import { seedTemplates } from "../../prisma/seed";
import { authService } from "../auth/service";
import type { KeelConfig } from "../config";
import { ensureSecret } from "../secret-key";
import { migrationsDir, PROJECT_ROOT } from "../process/paths";

export interface Prepared {
  applied: string[];
  seeded: string[];
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
      const { seeded } = await seedTemplates(database.db);
      const auth = authService(database.db, { sessionTtlMs: config.sessionTtlMs });
      const passwordFromConfig = config.password ? await auth.applyConfiguredPassword(config.password) : false;
      const setupToken = config.password || !options.setupLink ? undefined : await auth.createSetupToken();
      return { applied, seeded, setupToken, passwordFromConfig };
    } finally {
      await database.close();
    }
  } catch (error) {
    throw connectionError(config.database, error) ?? error;
  }
}
