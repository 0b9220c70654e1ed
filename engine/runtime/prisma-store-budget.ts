import type { Database } from "../store";
import { RUN_PAUSED_EVENT } from "./budget";

/**
 * Wakes the runs a budget holds (sleeping, their last event run.paused) to look again at `at`:
 * a cap was raised or removed. A run still over budget is held again by the gate. Returns how
 * many it woke.
 */
export async function wakeBudgetHeldRuns(database: Database, at: Date): Promise<number> {
  const pg = database.provider === "postgresql";
  // SQLite compares the adapter's text timestamps; Postgres casts the ISO string.
  const time = pg ? at.toISOString() : at.toISOString().replace("Z", "+00:00");
  return database.db.$executeRawUnsafe(
    `UPDATE "Run" SET "wakeAt" = ${pg ? "$1::timestamp" : "?"} WHERE "status" = 'sleeping'${pg ? `::"RunStatus"` : ""} AND "leaseOwner" IS NULL
       AND (SELECT e."type" FROM "RunEvent" e WHERE e."runId" = "Run"."id" ORDER BY e."seq" DESC LIMIT 1) = '${RUN_PAUSED_EVENT}'`,
    time,
  );
}
