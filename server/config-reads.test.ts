import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../engine/errors";
import { EnvSchema, loadConfig } from "./config";

// Configuration has one door: the zod schema in server/config.ts. A variable read anywhere else
// escapes validation (KEEL_LEASE_MS=abc once made a worker that claimed nothing and logged
// "Invalid time value" twice a second) and goes undocumented.

const ROOT = join(import.meta.dirname, "..");
// Keel's own code; scripts/, bench/ and test/ are tooling around it.
const SOURCES = ["app", "server", "engine", "nodes", "bin", "proxy.ts", "next.config.js"];
const SKIP = new Set(["node_modules", "generated", ".next"]);

function files(path: string, out: string[] = []): string[] {
  const stat = statSync(path);
  if (stat.isDirectory()) {
    for (const entry of readdirSync(path)) if (!SKIP.has(entry)) files(join(path, entry), out);
  } else if (/\.(ts|tsx|js|mjs)$/.test(path) && !/\.test\.tsx?$/.test(path)) {
    out.push(path);
  }
  return out;
}

/** Reads of process.env that are allowed outside the config module. */
function allowed(line: string, at: number): boolean {
  const rest = line.slice(at);
  // NODE_ENV is Next's and React's own switch, not Keel configuration.
  if (rest.startsWith("process.env.NODE_ENV")) return true;
  // Building a child process's environment passes the variables on without reading them.
  if (line.slice(0, at).endsWith("...")) return true;
  return false;
}

describe("configuration is read only through server/config.ts", () => {
  it("has no process.env read anywhere else (except NODE_ENV and a child's environment)", () => {
    const found: string[] = [];
    for (const source of SOURCES) {
      for (const file of files(join(ROOT, source))) {
        if (relative(ROOT, file) === join("server", "config.ts")) continue;
        readFileSync(file, "utf8")
          .split("\n")
          .forEach((line, i) => {
            for (const match of line.matchAll(/process\s*\.\s*env\b|process\s*\[\s*["'`]env["'`]\s*\]/g)) {
              if (!allowed(line, match.index)) found.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
            }
          });
      }
    }
    expect(found).toEqual([]);
  });

  it("documents every variable of the schema in the README and .env.example", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const example = readFileSync(join(ROOT, ".env.example"), "utf8");
    const variables = Object.keys(EnvSchema.shape);
    expect(variables.length).toBeGreaterThan(15);
    expect(variables.filter((v) => !readme.includes(`\`${v}\``))).toEqual([]);
    expect(variables.filter((v) => !new RegExp(`^#? ?${v}=`, "m").test(example))).toEqual([]);
  });

  it.each([
    ["KEEL_SCHEDULER_INTERVAL_MS", "5s"],
    ["KEEL_LEASE_MS", "abc"],
    ["KEEL_WORKER_IDLE_MS", "-1"],
    ["KEEL_MEMORY_UPKEEP_MS", "0.5"],
    ["KEEL_CRASH_AT", "sometime"],
  ])("refuses %s=%s with one line naming it", (variable, value) => {
    let error: unknown;
    try {
      loadConfig({ [variable]: value }, "/srv/keel");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).variable).toBe(variable);
    expect((error as Error).message).toMatch(new RegExp(`^${variable}: `));
  });

  it("reads the worker's timings with their defaults", () => {
    expect(loadConfig({}, "/srv/keel").worker).toEqual({ leaseMs: 30_000, idleMs: 500, schedulerIntervalMs: 5_000, memoryUpkeepMs: 60_000, autonomyIntervalMs: 2_000, crashAt: undefined });
    expect(
      loadConfig({ KEEL_LEASE_MS: "10000", KEEL_WORKER_IDLE_MS: "50", KEEL_SCHEDULER_INTERVAL_MS: "1000", KEEL_MEMORY_UPKEEP_MS: "2000", KEEL_AUTONOMY_INTERVAL_MS: "300", KEEL_CRASH_AT: "after-commit" }, "/srv/keel").worker,
    ).toEqual({ leaseMs: 10_000, idleMs: 50, schedulerIntervalMs: 1_000, memoryUpkeepMs: 2_000, autonomyIntervalMs: 300, crashAt: "after-commit" });
  });
});
