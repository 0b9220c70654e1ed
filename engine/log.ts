// The logger the engine writes to: pino's call shape (fields first, then the message), so the
// server hands in a pino logger and tests a silent one; the engine imports no logging library.

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
  child(fields: LogFields): Logger;
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** The first line of an error's message: Prisma's run to dozens of lines. */
export function errorLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n").find((line) => line.trim())?.trim() ?? "unknown error";
}

export interface DependencyWatch {
  /** Records a failure; logs only the first of a series. Returns how long to wait before trying again. */
  failed(error: unknown): number;
  /** Records a success; logs once if the dependency was down. */
  ok(): void;
  readonly down: boolean;
}

/**
 * Watches one dependency (the database, Chroma): logs once when it goes down and once when it
 * comes back, never each failed try, and says how long to back off (doubling up to `maxMs`).
 */
export function watchDependency(log: Logger, name: string, options: { baseMs: number; maxMs?: number; now?: () => number }): DependencyWatch {
  const now = options.now ?? Date.now;
  const maxMs = options.maxMs ?? 30_000;
  let failures = 0;
  let since = 0;
  return {
    get down() {
      return failures > 0;
    },
    failed(error) {
      if (failures === 0) {
        since = now();
        log.error({ dependency: name, error: errorLine(error) }, `${name} is unreachable; trying again with backoff`);
      }
      failures++;
      return Math.min(maxMs, options.baseMs * 2 ** Math.min(failures - 1, 16));
    },
    ok() {
      if (failures === 0) return;
      log.info({ dependency: name, downMs: now() - since, failedTries: failures }, `${name} is reachable again`);
      failures = 0;
    },
  };
}
