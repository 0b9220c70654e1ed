import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PermanentError } from "../../engine/errors";
import type { Supervisor } from "./supervisor";

// `keel start` builds the web app only when there is no build, or the sources changed since
// the last one (a pull, an upgrade); otherwise a restart takes seconds.

const SOURCES = ["app", "server", "engine", "nodes", "prisma", "instrumentation.ts", "proxy.ts", "next.config.js", "package-lock.json", "tsconfig.json"];
const STAMP = join(".next", "keel-build.json");

function walk(path: string, out: string[]) {
  if (!existsSync(path)) return;
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path)) if (entry !== "node_modules" && !entry.startsWith(".")) walk(join(path, entry), out);
  } else {
    out.push(`${path}:${stat.size}:${Math.trunc(stat.mtimeMs)}`);
  }
}

export function sourceFingerprint(root: string): string {
  const entries: string[] = [];
  for (const source of SOURCES) walk(join(root, source), entries);
  return createHash("sha256")
    .update(entries.map((e) => relative(root, e)).sort().join("\n"))
    .digest("hex");
}

export function buildIsCurrent(root: string): boolean {
  if (!existsSync(join(root, ".next", "BUILD_ID")) || !existsSync(join(root, STAMP))) return false;
  try {
    return JSON.parse(readFileSync(join(root, STAMP), "utf8")).fingerprint === sourceFingerprint(root);
  } catch {
    return false;
  }
}

export async function buildWebApp(root: string, supervisor: Supervisor, nextBin: string): Promise<void> {
  const fingerprint = sourceFingerprint(root);
  const build = supervisor.runTask("next build", process.execPath, [nextBin, "build"], {
    cwd: root,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
  });
  const code = await build.exited;
  if (code !== 0) throw new PermanentError(`building the web app failed (exit code ${code}); the output above says why`);
  writeFileSync(join(root, STAMP), JSON.stringify({ fingerprint, builtAt: new Date().toISOString() }));
}
