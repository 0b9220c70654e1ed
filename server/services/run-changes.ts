import type pg from "pg";
import { z } from "zod";
import type { Database, DatabaseTarget } from "../../engine/store";

// The run-change feed: from every process that writes runs (workers, the CLI, this server) to
// the pages watching them. Database triggers (migration editor_runs) catch every writer,
// including the engine's bare-driver commits: on Postgres they NOTIFY on commit and one
// connection here LISTENs; on SQLite they append to RunChange and this server polls past the
// last id it saw. Either way the browser only holds an SSE stream (run.onChange), never polls.

export const RUN_CHANGE_CHANNEL = "keel_run_change";

export const RunChangeSchema = z.object({
  runId: z.string(),
  workflowId: z.string().nullable(),
  kind: z.enum(["run", "event", "approval", "intent"]),
});

/**
 * A run, its events or its approvals changed. `resync`: the feed has (re)started listening and
 * changes before that may have been missed; watchers refetch what they show.
 */
export type RunChange = z.infer<typeof RunChangeSchema> | { kind: "resync" };

export const RunChangeFilter = z.object({
  runId: z.string().min(1).optional(),
  workflowId: z.string().min(1).optional(),
});
export type RunChangeFilter = z.infer<typeof RunChangeFilter>;

export interface RunChangeFeed {
  /** Starts listening with the first subscriber and stops after the last one leaves. */
  subscribe(listener: (change: RunChange) => void): () => void;
  close(): Promise<void>;
}

interface Source {
  stop(): Promise<void>;
}

const RETRY_MS = 1_000;

function listenPostgres(url: string, emit: (change: RunChange) => void): Source {
  let stopped = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  const connect = async () => {
    // Loaded here, not with the module: a SQLite Keel never needs the Postgres driver.
    const { default: Pg } = await import("pg");
    const next: pg.Client = new Pg.Client({ connectionString: url });
    client = next;
    const reconnect = () => {
      if (stopped || client !== next) return;
      client = undefined;
      void next.end().catch(() => undefined);
      retry = setTimeout(() => void connect(), RETRY_MS);
    };
    next.on("error", reconnect);
    next.on("end", reconnect);
    next.on("notification", (message) => {
      if (message.channel !== RUN_CHANGE_CHANNEL || !message.payload) return;
      const parsed = RunChangeSchema.safeParse(JSON.parse(message.payload));
      if (parsed.success) emit(parsed.data);
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${RUN_CHANGE_CHANNEL}`);
      if (stopped) return void (await next.end());
      // Whatever changed before the LISTEN (or while a lost connection was down) was never
      // notified here: watchers refetch once, and from now on nothing is missed.
      emit({ kind: "resync" });
    } catch {
      reconnect();
    }
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}

function pollSqlite(database: Database, pollMs: number, emit: (change: RunChange) => void): Source {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let last: number | undefined;
  let failed = false;
  const tick = async () => {
    try {
      if (last === undefined) {
        const [row] = await database.db.$queryRawUnsafe<{ last: number | bigint | null }[]>(`SELECT MAX("id") AS "last" FROM "RunChange"`);
        last = Number(row?.last ?? 0);
        emit({ kind: "resync" });
      } else {
        const rows = await database.db.$queryRawUnsafe<{ id: number | bigint; runId: string; workflowId: string | null; kind: string }[]>(
          `SELECT "id", "runId", "workflowId", "kind" FROM "RunChange" WHERE "id" > ? ORDER BY "id" LIMIT 1000`,
          last,
        );
        // The table is trimmed to its last 10,000 changes: after a long stall some are gone.
        if (failed) emit({ kind: "resync" });
        failed = false;
        for (const row of rows) {
          last = Number(row.id);
          const parsed = RunChangeSchema.safeParse({ runId: row.runId, workflowId: row.workflowId, kind: row.kind });
          if (parsed.success) emit(parsed.data);
        }
      }
    } catch {
      failed = true;
    }
    if (!stopped) timer = setTimeout(() => void tick(), pollMs);
  };
  void tick();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

export function runChangeFeed(database: Database, target: DatabaseTarget, options: { pollMs?: number } = {}): RunChangeFeed {
  const listeners = new Set<(change: RunChange) => void>();
  let source: Source | undefined;
  const emit = (change: RunChange) => {
    for (const listener of listeners) listener(change);
  };
  const start = (): Source =>
    target.provider === "postgresql" ? listenPostgres(target.url, emit) : pollSqlite(database, options.pollMs ?? 250, emit);
  return {
    subscribe(listener) {
      listeners.add(listener);
      source ??= start();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          const stopping = source;
          source = undefined;
          void stopping.stop();
        }
      };
    },
    async close() {
      listeners.clear();
      const stopping = source;
      source = undefined;
      await stopping?.stop();
    },
  };
}

function matches(change: RunChange, filter: RunChangeFilter): boolean {
  if (change.kind === "resync") return true;
  if (filter.runId && change.runId !== filter.runId) return false;
  if (filter.workflowId && change.workflowId !== filter.workflowId) return false;
  return true;
}

/**
 * The changes matching a filter until the signal aborts. A burst of changes of one kind to one
 * run (a step commits several events) waiting to be read is delivered once: a watcher refetches
 * the run anyway, so it reads each burst once instead of once per row.
 */
export async function* watchRunChanges(feed: RunChangeFeed, filter: RunChangeFilter, signal?: AbortSignal): AsyncGenerator<RunChange> {
  const queue: RunChange[] = [];
  let wake: (() => void) | undefined;
  const unsubscribe = feed.subscribe((change) => {
    if (!matches(change, filter)) return;
    const duplicate = queue.some((queued) => queued.kind === "resync" || (change.kind !== "resync" && queued.kind === change.kind && queued.runId === change.runId));
    if (!duplicate) queue.push(change);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener("abort", onAbort);
  try {
    while (!signal?.aborted) {
      if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      while (queue.length > 0 && !signal?.aborted) yield queue.shift()!;
    }
  } finally {
    unsubscribe();
    signal?.removeEventListener("abort", onAbort);
  }
}
