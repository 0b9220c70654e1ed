import { openDatabase } from "../../engine/store";
import { loadConfig } from "../config";
import { servicesFor, type Services } from "../services";
import { prepareDatabase } from "./prepare";

/** The CLI is the local administrator: it opens the database directly, as actor "cli". */
export async function withServices<T>(use: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  await prepareDatabase(config);
  const database = await openDatabase(config.database);
  try {
    return await use(servicesFor(config, database));
  } finally {
    await database.close();
  }
}
