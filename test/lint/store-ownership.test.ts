import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The project's own ESLint configuration, run on fixture files placed (by path) where a
// violation would be written: each must fail with the rule that fences it, and a file that only
// reads must pass, so the rules neither miss nor over-reach.

const eslint = new ESLint({ cwd: process.cwd() });
const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", `${name}.ts.fixture`), "utf8");

async function lintAs(name: string, path: string) {
  const [result] = await eslint.lintText(fixture(name), { filePath: join(process.cwd(), path) });
  return result!.messages.map((m) => ({ rule: m.ruleId, line: m.line, message: m.message }));
}

describe("run tables are written only by the run store", () => {
  it.each([
    ["prisma-run-update", "server/services/finish.ts", 4],
    ["tx-event-create", "server/services/note.ts", 5],
    ["raw-run-update", "server/services/requeue.ts", 4],
    ["prisma-run-update", "nodes/records/finish.server.ts", 4],
    ["tx-event-create", "app/api/note/route.ts", 5],
    ["raw-run-update", "engine/runtime/process-run-helper.ts", 4],
  ])("%s in %s fails", async (name, path, line) => {
    const messages = await lintAs(name, path);
    expect(messages).toContainEqual(expect.objectContaining({ rule: "no-restricted-syntax", line, message: expect.stringContaining("run store") }));
  });

  it("the store's own modules may write them", async () => {
    expect(await lintAs("prisma-run-update", "engine/runtime/prisma-store-actions.ts")).toEqual([]);
    expect(await lintAs("raw-run-update", "engine/runtime/prisma-store.ts")).toEqual([]);
  });

  it("reading run tables is allowed anywhere", async () => {
    expect(await lintAs("store-reads-only", "server/services/look.ts")).toEqual([]);
  });
});

describe("server/ imports node types from nodes/, not infrastructure", () => {
  it("an import of the memory index from nodes/ fails", async () => {
    const messages = await lintAs("server-imports-nodes-infrastructure", "server/services/recall.ts");
    expect(messages).toContainEqual(expect.objectContaining({ rule: "no-restricted-imports", line: 1, message: expect.stringContaining("infrastructure") }));
  });
});
