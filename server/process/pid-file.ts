import { readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

// `keel start` writes its process id to <dataDir>/keel.pid and removes it when it stops, so
// commands that must not run under a live Keel (restore) can tell. A file left behind by a
// process that was killed is stale: its pid is no longer alive.

export const PID_FILE_NAME = "keel.pid";

export function pidFilePath(dataDir: string): string {
  return join(dataDir, PID_FILE_NAME);
}

export function writePidFile(dataDir: string, pid = process.pid): string {
  mkdirSync(dataDir, { recursive: true });
  const path = pidFilePath(dataDir);
  writeFileSync(path, `${pid}\n`);
  return path;
}

/** Removes the pid file only when it still names `pid` (another start may have replaced it). */
export function removePidFile(dataDir: string, pid = process.pid): void {
  if (readPid(dataDir) === pid) rmSync(pidFilePath(dataDir), { force: true });
}

function readPid(dataDir: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFilePath(dataDir), "utf8").trim();
  } catch {
    return undefined;
  }
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to another user.
    return (error as { code?: string }).code === "EPERM";
  }
}

/** The pid of a live Keel using this data directory, per its pid file; undefined when none (or stale). */
export function runningKeelPid(dataDir: string): number | undefined {
  const pid = readPid(dataDir);
  return pid !== undefined && pid !== process.pid && processIsAlive(pid) ? pid : undefined;
}
