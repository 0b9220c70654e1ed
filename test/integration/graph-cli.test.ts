import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { runKeel } from "../support/keel-process";

const dir = mkdtempSync(join(tmpdir(), "keel-cli-graph-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

async function keel(args: string[], env: Record<string, string> = {}) {
  const p = runKeel(args, { KEEL_DATA_DIR: join(dir, "data"), ...env });
  const code = await p.exited;
  return { code, output: p.output() };
}

describe("keel validate, compile and schema", () => {
  it("validate exits 0 for a valid graph and 1 with each problem's node and path", async () => {
    const ok = await keel(["validate", file("ok.json", CONSTRUCTS["parallel-join"])]);
    expect(ok.code).toBe(0);
    expect(ok.output).toMatch(/ok\.json: valid \(6 nodes, 6 edges\)/);

    const broken = structuredClone(CONSTRUCTS.linear!);
    broken.nodes[1]!.config = { expression: "(" };
    broken.edges.push({ id: "x", source: "shape", sourcePort: "nope", target: "done", targetPort: "in" });
    const bad = await keel(["validate", file("bad.json", broken)]);
    expect(bad.code).toBe(1);
    expect(bad.output).toContain("node shape at nodes.1.config.expression: ");
    expect(bad.output).toContain("edge x at edges.2.sourcePort: Edge 'x': 'shape' has no output 'nope'");
    expect(bad.output).toMatch(/keel: .*bad\.json: 2 problems/);
  });

  it("validate names a file that is not JSON", async () => {
    const path = join(dir, "text.json");
    writeFileSync(path, "nodes: []");
    const result = await keel(["validate", path]);
    expect(result.code).toBe(1);
    expect(result.output.trim()).toMatch(/^keel: .*text\.json: not valid JSON/);
  });

  it("compile prints the machine, deterministically", async () => {
    const path = file("compile.json", CONSTRUCTS["approval-delay-error"]);
    const a = await keel(["compile", path]);
    const b = await keel(["compile", path]);
    expect(a.code).toBe(0);
    expect(a.output).toBe(b.output);
    const compiled = JSON.parse(a.output);
    expect(compiled.machine.states.ask.on.REJECT[0].target).toBe("#declined");
    expect(compiled.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("schema prints a JSON Schema with every registered node type's config", async () => {
    const result = await keel(["schema"]);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.output);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.required).toEqual(expect.arrayContaining(["schemaVersion", "nodes", "edges"]));
    expect(Object.keys(schema.$defs).sort()).toEqual(registry.all().map((m) => `${m.type}@${m.version}`).sort());
    expect(schema.$defs["loop.until@1"].required).toEqual(expect.arrayContaining(["condition", "maxIterations"]));
  });
});

describe("keel publish, export and import", () => {
  it("publishes a file (creating, then updating by slug), exports it, and imports it back", async () => {
    const doc = { format: "keel.workflow", formatVersion: 1, name: "Nightly report", slug: "nightly-report", graph: CONSTRUCTS.linear };
    const first = await keel(["publish", file("wf.json", doc), "--notes", "first cut"]);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/keel: published version 1 \([0-9a-f]{12}\)/);

    const again = await keel(["publish", file("wf.json", doc)]);
    expect(again.output).toMatch(/nothing changed; version 1 stays current/);

    const second = await keel(["publish", file("wf.json", { ...doc, graph: CONSTRUCTS["if-else-merge"] })]);
    expect(second.output).toMatch(/published version 2/);

    const out = join(dir, "exported.json");
    expect((await keel(["export", "nightly-report", "--out", out])).code).toBe(0);
    const exported = JSON.parse(readFileSync(out, "utf8"));
    expect(exported).toMatchObject({ format: "keel.workflow", name: "Nightly report", slug: "nightly-report" });
    expect(exported.graph).toEqual(CONSTRUCTS["if-else-merge"]);

    const imported = await keel(["import", out]);
    expect(imported.code).toBe(0);
    expect(imported.output).toMatch(/imported 'nightly-report-2'/);
  });

  it("refuses to publish a file with problems, listing nothing as published", async () => {
    const broken = structuredClone(CONSTRUCTS.linear!);
    broken.nodes.splice(0, 1);
    const result = await keel(["publish", file("broken.json", { format: "keel.workflow", formatVersion: 1, name: "Broken one", graph: broken })]);
    expect(result.code).toBe(1);
    expect(result.output.trim().split("\n").at(-1)).toMatch(/^keel: 'Broken one' cannot be published: \d+ problems?; first: nodes: The workflow has no trigger/);
  });
});
