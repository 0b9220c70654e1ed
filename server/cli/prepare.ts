import { connectionError, migrate, openDatabase } from "../../engine/store";
import { seedTemplates } from "../../prisma/seed";
import type { KeelConfig } from "../config";
import { ensureSecret } from "../secret-key";
import { migrationsDir } from "../services";
import { PROJECT_ROOT } from "../process/paths";

/** Everything the database needs before any process uses it: key, migrations, templates. */
export async function prepareDatabase(config: KeelConfig): Promise<{ applied: string[]; seeded: string[] }> {
  ensureSecret(config.dataDir, config.secret);
  try {
    const { applied } = await migrate(config.database, migrationsDir(config.database.provider, PROJECT_ROOT));
    const database = await openDatabase(config.database);
    try {
      const { seeded } = await seedTemplates(database.db);
      return { applied, seeded };
    } finally {
      await database.close();
    }
  } catch (error) {
    throw connectionError(config.database, error) ?? error;
  }
}
