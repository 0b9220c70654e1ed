import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const KEEL_BIN = fileURLToPath(new URL("../../bin/keel.js", import.meta.url));
export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface KeelProcess {
  child: ChildProcess;
  output(): string;
  /** What the process wrote on stderr alone (its logs). */
  errors(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

/** Runs `keel <args>` as a real process with only the given variables added to a clean environment. */
export function runKeel(args: string[], env: Record<string, string>, options: { input?: string } = {}): KeelProcess {
  const base: Record<string, string> = {};
  for (const key of ["PATH", "HOME", "TMPDIR", "LANG"]) if (process.env[key]) base[key] = process.env[key]!;
  const child = spawn(process.execPath, [KEEL_BIN, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...base, NEXT_TELEMETRY_DISABLED: "1", ...env } as unknown as NodeJS.ProcessEnv,
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let output = "";
  let errors = "";
  const listeners = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      output += chunk;
      if (stream === child.stderr) errors += chunk;
      for (const listener of listeners) listener();
    });
  }
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code: number | null) => resolve(code)));
  return {
    child,
    exited,
    output: () => output,
    errors: () => errors,
    waitFor(pattern, timeoutMs = 180_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match[0]);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`keel did not print ${pattern} within ${timeoutMs} ms; output:\n${output}`));
        }, timeoutMs);
        void exited.then(() => setTimeout(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`keel exited before printing ${pattern}; output:\n${output}`));
          }
        }, 50));
        listeners.add(check);
        check();
      });
    },
  };
}
