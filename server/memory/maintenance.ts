import type { Database } from "../../engine/store";
import type { MemoryIndex } from "../../infra/memory/memory-index";
import { sweepIndex } from "../../infra/memory/memory-store";
import { DEFAULT_CADENCE, refreshDueSummaries, type SummaryCadence, type Summarizer } from "../../infra/memory/summaries";
import { memoryService } from "../services/memory";

// Memory upkeep, run by `keel worker` (and so under `keel start`) on a timer: prune what retention
// says is expired, index what the index does not hold yet (Chroma was down, the embedder changed),
// refresh due summaries. Every part is idempotent, so several workers may run it at once.

export interface MaintenanceResult {
  pruned: number;
  indexed: number;
  summaries: number;
}

export async function memoryMaintenancePass(
  database: Database,
  options: { index: MemoryIndex | undefined; summarizer: Summarizer; now?: () => Date; cadence?: SummaryCadence },
): Promise<MaintenanceResult> {
  const now = options.now ?? (() => new Date());
  const { items: pruned } = await memoryService(database, { index: options.index, now }).prune("system");
  const indexed = options.index ? await sweepIndex(database.db, options.index, { now }) : 0;
  const summaries = await refreshDueSummaries(database.db, options.summarizer, now(), options.cadence ?? DEFAULT_CADENCE);
  return { pruned, indexed, summaries };
}

/** Runs a pass every `intervalMs`; a failure (Chroma down) is logged once per change of reason. */
export function startMemoryMaintenance(
  database: Database,
  options: { index: MemoryIndex | undefined; summarizer: Summarizer; intervalMs: number; log: (line: string) => void },
): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let lastFailure = "";
  const pass = async () => {
    try {
      const result = await memoryMaintenancePass(database, options);
      lastFailure = "";
      if (result.pruned + result.indexed + result.summaries > 0) {
        options.log(`memory: pruned ${result.pruned}, indexed ${result.indexed}, summarized ${result.summaries} subject(s)`);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
      if (reason !== lastFailure) options.log(`memory upkeep failed (tried again every ${Math.round(options.intervalMs / 1000)} s): ${reason}`);
      lastFailure = reason;
    }
    if (!stopped) {
      timer = setTimeout(() => (running = pass()), options.intervalMs);
      timer.unref();
    }
  };
  running = pass();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
