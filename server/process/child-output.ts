import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { prettyFactory } from "pino-pretty";
import type { Logger } from "../../engine/log";

// What `keel start`'s children print reaches one stderr as JSON log lines: Keel's own children
// (the web server, workers) already write them and pass through as they are; anything else (a
// build's progress, Chroma's complaints) becomes one log line per line, naming the child.

/** A line that is already one of Keel's log lines: a JSON object with a numeric level. */
function isLogLine(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    return typeof (JSON.parse(line) as { level?: unknown }).level === "number";
  } catch {
    return false;
  }
}

/** Writes a child's log line to this process's stderr: as is, or made readable on a terminal as this process's own lines are. */
function writeToStderr(): (line: string) => void {
  if (!process.stderr.isTTY) return (line) => process.stderr.write(`${line}\n`);
  const pretty = prettyFactory({ colorize: true, ignore: "pid,hostname" });
  return (line) => process.stderr.write(pretty(line));
}

export function forwardChildOutput(name: string, stream: Readable, kind: "stdout" | "stderr", log: Logger, write: (line: string) => void = writeToStderr()): void {
  const child = log.child({ child: name });
  createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
    if (!line.trim()) return;
    if (isLogLine(line)) write(line);
    else if (kind === "stderr") child.warn({}, line);
    else child.info({}, line);
  });
}
