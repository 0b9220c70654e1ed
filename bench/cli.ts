import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { report } from "./report";

// `keel run WORKFLOW`: milliseconds until the run's id is printed (goal: under 500 ms), beside
// `keel help` (node + tsx + the CLI's entry, nothing else) measured the same way: the floor any
// keel command pays. The median of several calls each.

const KEEL = fileURLToPath(new URL("../bin/keel.js", import.meta.url));
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CALLS = 7;

function timeToFirstLine(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [KEEL, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let seen = false;
    child.stdout.on("data", () => {
      if (!seen) resolve(performance.now() - started);
      seen = true;
    });
    child.once("exit", (code) => (seen ? undefined : reject(new Error(`keel ${args.join(" ")} exited ${code} without output`))));
  });
}

async function median(count: number, measure: () => Promise<number>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await measure());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function benchCli(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "keel-bench-cli-"));
  try {
    const env = { KEEL_DATA_DIR: join(dir, "data") };
    const file = join(dir, "echo.json");
    const node = (id: string, type: string, x: number, config = {}) => ({ id, type, typeVersion: 1, position: { x, y: 0 }, config });
    writeFileSync(
      file,
      JSON.stringify({
        format: "keel.workflow",
        formatVersion: 1,
        name: "Echo",
        slug: "echo",
        graph: { schemaVersion: 1, nodes: [node("start", "trigger.manual", 0), node("done", "flow.end", 200, { output: "{{ input }}" })], edges: [{ id: "e1", source: "start", sourcePort: "out", target: "done", targetPort: "in" }] },
      }),
    );
    await timeToFirstLine(["publish", file], env);
    const help = await median(CALLS, () => timeToFirstLine(["help"], env));
    const run = await median(CALLS, () => timeToFirstLine(["run", "echo", "--input", '{"n":1}'], env));
    report("keel run: ms until the run id is printed (SQLite, median)", run, "ms", help);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
