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

describe("infra/ is the layer server/ and executors build on, fenced from the rest", () => {
  const restricted = (messages: Awaited<ReturnType<typeof lintAs>>, words: string) =>
    expect(messages).toContainEqual(expect.objectContaining({ rule: "no-restricted-imports", line: 1, message: expect.stringContaining(words) }));

  it.each([
    ["infra-imports-server", "infra/mail/operator-address.ts"],
    ["infra-imports-nodes", "infra/llm/node-prices.ts"],
  ])("%s in %s fails", async (name, path) => {
    restricted(await lintAs(name, path), "infra/ imports neither nodes/, server/ nor app/");
  });

  it("app/ code never imports infra/, pages included", async () => {
    restricted(await lintAs("imports-memory-store", "app/_components/Recall.tsx"), "app/ never imports infra/");
    restricted(await lintAs("imports-memory-store", "app/api/recall/route.ts"), "app/ never imports infra/");
  });

  it("node metadata (browser-safe, bundled by the palette) never imports infra/; an executor may", async () => {
    restricted(await lintAs("imports-llm-settings", "nodes/llm/chat-v2.ts"), "Node metadata is browser-safe");
    expect(await lintAs("imports-llm-settings", "nodes/llm/chat-v2.server.ts")).toEqual([]);
  });

  it("executors never get the database client: nodes/ does not import it", async () => {
    restricted(await lintAs("imports-database", "nodes/records/records.server.ts"), "Executors never get the database");
    restricted(await lintAs("imports-database", "nodes/records/find-contact.ts"), "Executors never get the database");
    expect(await lintAs("imports-database", "infra/records/contacts.ts")).toEqual([]);
  });

  it("the engine never imports infra/; server/ may", async () => {
    restricted(await lintAs("imports-memory-store", "engine/runtime/recall-step.ts"), "engine/ imports neither");
    expect(await lintAs("imports-memory-store", "server/services/recall.ts")).toEqual([]);
  });
});
