import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase, parseDatabaseUrl } from "../../engine/store";
import { freePort } from "../../server/process/wait";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { e, n } from "../support/graph-builders";
import { runKeel } from "../support/keel-process";

// What the CLI did wrong when probed: a directory read as a file, an odd schemaVersion
// message, no bulk start, and no way to run the web server without a worker.

const dir = mkdtempSync(join(tmpdir(), "keel-cli-gaps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function keel(args: string[], env: Record<string, string> = {}) {
  const p = runKeel(args, { KEEL_DATA_DIR: join(dir, "data"), ...env });
  const code = await p.exited;
  return { code, output: p.output() };
}

const workflow = {
  format: "keel.workflow",
  formatVersion: 1,
  name: "Bulk echo",
  slug: "bulk-echo",
  graph: { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("done", "flow.end", { output: "{{ input }}" })], edges: [e("e1", "start", "done")] },
};

describe("keel validate on a directory", () => {
  it("validates each JSON file in it, naming each, instead of 'not valid JSON (EISDIR)'", async () => {
    const folder = join(dir, "graphs");
    mkdirSync(folder);
    writeFileSync(join(folder, "good.json"), JSON.stringify(CONSTRUCTS.linear));
    writeFileSync(join(folder, "old.json"), JSON.stringify({ ...CONSTRUCTS.linear, schemaVersion: 0 }));
    writeFileSync(join(folder, "notes.txt"), "not a graph");
    const result = await keel(["validate", folder]);
    expect(result.code).toBe(1);
    expect(result.output).not.toMatch(/EISDIR/);
    expect(result.output).toMatch(/good\.json: valid/);
    expect(result.output).toMatch(/old\.json/);
    expect(result.output).not.toMatch(/notes\.txt/);
    expect(result.output).toMatch(/1 of 2 files? (is|are) not valid|1 of 2 files/);

    const empty = join(dir, "empty");
    mkdirSync(empty);
    const none = await keel(["validate", empty]);
    expect(none.code).toBe(1);
    expect(none.output.trim()).toMatch(/^keel: .*empty: a directory with no \.json files/);
  });

  it("says what schemaVersion must be in words that read naturally", async () => {
    writeFileSync(join(dir, "v0.json"), JSON.stringify({ ...CONSTRUCTS.linear, schemaVersion: 0 }));
    const result = await keel(["validate", join(dir, "v0.json")]);
    expect(result.code).toBe(1);
    expect(result.output).not.toMatch(/from 1 to 1/);
    expect(result.output).toMatch(/schemaVersion: must be 1/);
  });
});

describe("keel run --input-file", () => {
  it("starts one run per JSON line and prints one line per run, in order", async () => {
    const file = join(dir, "bulk-echo.json");
    writeFileSync(file, JSON.stringify(workflow));
    const inputs = join(dir, "inputs.jsonl");
    writeFileSync(inputs, ['{"n":1}', "", '{"n":2}', '{"n":3}', ""].join("\n"));
    const result = await keel(["run", file, "--input-file", inputs]);
    expect(result.code, result.output).toBe(0);
    const lines = result.output.trim().split("\n").filter((l) => l.startsWith("{"));
    expect(lines).toHaveLength(3);
    const runs = lines.map((l) => JSON.parse(l) as { id: string; status: string });
    expect(new Set(runs.map((r) => r.id)).size).toBe(3);
    expect(runs.every((r) => r.status === "queued")).toBe(true);

    const database = await openDatabase(parseDatabaseUrl(`file:${join(dir, "data", "keel.db")}`, dir));
    try {
      const stored = await database.db.run.findMany({ where: { id: { in: runs.map((r) => r.id) } } });
      expect(stored.map((r) => r.input).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    } finally {
      await database.close();
    }
  });

  it("names the line that is not JSON, before starting any run", async () => {
    const inputs = join(dir, "broken.jsonl");
    writeFileSync(inputs, ['{"n":1}', "{n:2}"].join("\n"));
    const result = await keel(["run", "bulk-echo", "--input-file", inputs]);
    expect(result.code).toBe(1);
    expect(result.output.trim()).toMatch(/^keel: --input-file: line 2: not valid JSON/);
  });
});

describe("keel start --no-worker", () => {
  it("serves the web app and starts no worker, saying so", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keel-noworker-"));
    const port = await freePort();
    const keelStart = runKeel(["start", "--no-worker"], { KEEL_DATA_DIR: dataDir, PORT: String(port), KEEL_PASSWORD: "correct horse battery staple" });
    try {
      await keelStart.waitFor(/Keel is running at/, 300_000);
      expect(keelStart.output()).not.toMatch(/keel worker .*running/);
      expect(keelStart.output()).toMatch(/no worker/);
    } finally {
      keelStart.child.kill("SIGINT");
      await keelStart.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 400_000);
});
