import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runKeel } from "../support/keel-process";

// `keel run --wait` returns on every state that needs outside time or a person, with that
// state; `--until finished` waits for the end. Real processes on a real SQLite file.

const dir = mkdtempSync(join(tmpdir(), "keel-run-wait-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { KEEL_DATA_DIR: join(dir, "data") };

async function keel(args: string[]) {
  const p = runKeel(args, env);
  const code = await p.exited;
  const lines = p.output().trim().split("\n");
  return { code, output: p.output(), last: lines[lines.length - 1]! };
}

const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, label: id, position: { x: 0, y: 0 }, config });

describe("keel run --wait", () => {
  it("returns 'sleeping' for the seeded customer onboarding (it waits two days), and --until finished rides out a short wait to the end", async () => {
    // Migrating a fresh database seeds the templates and publishes them: no publish step before the run.
    const migrated = await keel(["migrate"]);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toContain("keel: published customer-onboarding, support-triage, content-publishing");
    const onboarding = await keel(["run", "customer-onboarding", "--input", JSON.stringify({ email: "ada@example.test", name: "Ada", company: "Engines", source: "a referral" }), "--wait"]);
    expect(onboarding.code, onboarding.output).toBe(0);
    expect(JSON.parse(onboarding.last)).toMatchObject({ status: "sleeping" });

    const path = join(dir, "short-wait.json");
    writeFileSync(
      path,
      JSON.stringify({
        format: "keel.workflow",
        formatVersion: 1,
        name: "Short wait",
        graph: {
          schemaVersion: 1,
          nodes: [node("start", "trigger.manual"), node("nap", "flow.delay", { duration: "PT1S" }), node("done", "flow.end")],
          edges: [
            { id: "e1", source: "start", sourcePort: "out", target: "nap", targetPort: "in" },
            { id: "e2", source: "nap", sourcePort: "out", target: "done", targetPort: "in" },
          ],
        },
      }),
    );
    const sleeping = await keel(["run", path, "--wait"]);
    expect(JSON.parse(sleeping.last)).toMatchObject({ status: "sleeping" });
    const finished = await keel(["run", "short-wait", "--until", "finished"]);
    expect(finished.code, finished.output).toBe(0);
    expect(JSON.parse(finished.last)).toMatchObject({ status: "succeeded" });

    const bad = await keel(["run", "short-wait", "--until", "done"]);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/--until: 'done' is not known; the one value is 'finished'/);
  }, 120_000);
});
