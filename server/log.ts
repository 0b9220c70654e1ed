import pino from "pino";
import pretty from "pino-pretty";
import type { Logger } from "../engine/log";
import type { KeelConfig } from "./config";

// Keel's processes log with pino: one JSON object per line on stderr (stdout stays for what a
// command prints), readable with pino-pretty when a person watches a terminal. The engine
// receives it as its small Logger interface.

export function createLogger(config: Pick<KeelConfig, "logLevel">, name: string, stream: { fd: number; isTTY?: boolean } = process.stderr as unknown as { fd: number; isTTY?: boolean }): Logger {
  const options = { level: config.logLevel, base: { process: name }, timestamp: pino.stdTimeFunctions.isoTime, messageKey: "msg" };
  const destination = stream.isTTY ? pretty({ destination: stream.fd, sync: true, colorize: true, ignore: "pid,hostname" }) : pino.destination({ fd: stream.fd, sync: true });
  const logger = pino(options, destination);
  return wrap(logger);
}

function wrap(logger: pino.Logger): Logger {
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    child: (fields) => wrap(logger.child(fields)),
  };
}

/**
 * Logs a recurring task's failure (the scheduler, the notifier) once per change of reason, and
 * not at all while the database is known to be down: that was said once already.
 */
export function failureOnce(log: Logger, task: string, databaseDown: () => boolean): (error: unknown) => void {
  let last = "";
  return (error) => {
    if (databaseDown()) return;
    const reason = (error instanceof Error ? error.message : String(error)).split("\n").find((l) => l.trim())?.trim() ?? "unknown error";
    if (reason === last) return;
    last = reason;
    log.error({ task, error: reason }, `${task} failed; trying again`);
  };
}
