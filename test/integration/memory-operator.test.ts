import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useLiteEmbedder } from "../../infra/memory/embedders";
import { MemoryIndex } from "../../infra/memory/memory-index";
import { sweepIndex } from "../../infra/memory/memory-store";
import { loadConfig } from "../../server/config";
import { servicesFor } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { rejection, type Caller } from "../support/caller";
import { startChroma, type ChromaServer } from "../support/chroma-server";
import { operatorContext } from "../support/context";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { runKeel } from "../support/keel-process";

// The operator's side of memory: the tRPC procedures behind the Memory page and the
// `keel memory` commands, against a real Chroma.

describe.each(databaseKinds())("memory procedures and commands on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let chroma: ChromaServer;
  let caller: Caller;
  let index: MemoryIndex;
  let dataDir: string;

  async function seed(subject: string, texts: string[]) {
    const [k, key] = [subject.slice(0, subject.indexOf(":")), subject.slice(subject.indexOf(":") + 1)];
    const row = await env.database.db.memorySubject.create({ data: { kind: k, key, name: key } });
    for (const text of texts) await env.database.db.memoryItem.create({ data: { subjectId: row.id, kind: "note", text, runId: null } });
  }

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    chroma = await startChroma();
    dataDir = mkdtempSync(join(tmpdir(), "keel-memory-op-"));
    const config = loadConfig({ KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url, CHROMA_URL: chroma.url });
    const services = servicesFor(config, env.database);
    caller = createCallerFactory(appRouter)(operatorContext(services));
    index = new MemoryIndex(chroma.url, useLiteEmbedder());
    await seed("project:blog", ["The blog runs on a static site generator.", "Posts go out every Tuesday morning."]);
    await seed("contact:grace@example.test", ["Grace wants the quarterly report as a PDF."]);
    await sweepIndex(env.database.db, index);
  }, 60_000);

  afterAll(async () => {
    await chroma?.dispose();
    await env?.dispose();
  });

  it("lists subjects with counts, shows a subject's timeline, and searches semantically", async () => {
    const subjects = await caller.memory.subjects();
    expect(subjects.map((s) => [s.subject, s.itemCount]).sort()).toEqual([
      ["contact:grace@example.test", 1],
      ["project:blog", 2],
    ]);
    const blog = await caller.memory.subject({ subject: "project:blog" });
    // Newest first.
    expect(blog.items.map((i) => i.text)).toEqual(["Posts go out every Tuesday morning.", "The blog runs on a static site generator."]);
    expect(blog.items.every((i) => i.indexed)).toBe(true);
    const found = await caller.memory.search({ query: "On which day of the week do posts go out?", topK: 1 });
    expect(found.items[0]).toMatchObject({ text: "Posts go out every Tuesday morning.", subject: "project:blog" });
    expect((await caller.memory.status()).index).toMatchObject({ embedder: "use-lite-512", pending: 0 });
    expect((await rejection(caller.memory.subject({ subject: "project:nothing" }))).code).toBe("NOT_FOUND");
  });

  it("saves retention per kind, audited, and refuses a bad kind naming it", async () => {
    expect(await caller.memory.retention()).toEqual({ kinds: {} });
    expect(await caller.memory.saveRetention({ kinds: { support: 180 } })).toEqual({ kinds: { support: 180 } });
    const { entries } = await caller.audit.list({ limit: 1 });
    expect(entries[0]).toMatchObject({ actor: "operator", action: "settings.update", targetId: "memory.retention" });
    const error = await rejection(caller.memory.saveRetention({ kinds: { support: 0 } }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("kinds.support: must be at least 1 day");
    expect((await rejection(caller.memory.saveRetention({ kinds: { "Not A Kind": 5 } }))).message).toBe("kinds.Not A Kind: a kind must be lowercase letters, digits, _ or -");
    expect(await caller.memory.retention()).toEqual({ kinds: { support: 180 } });
  });

  it("`keel memory reindex` rebuilds the collection from the database, also with a Chroma it starts itself", async () => {
    const env0 = { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url };
    await index.drop();
    const reindex = runKeel(["memory", "reindex"], { ...env0, CHROMA_URL: chroma.url });
    expect(await reindex.exited, reindex.output()).toBe(0);
    expect(reindex.output()).toMatch(/^keel: reindexed 3 item\(s\) in 1 batch\(es\) into keel-memory-use-lite-512; the index holds 3$/m);
    expect(await index.count()).toBe(3);

    // No CHROMA_URL and no running Keel: the command runs a local Chroma on the data directory.
    const local = runKeel(["memory", "reindex"], env0);
    expect(await local.exited, local.output()).toBe(0);
    expect(local.output()).toMatch(/the index holds 3$/m);
    expect(existsSync(join(dataDir, "chroma"))).toBe(true);

    const bad = runKeel(["memory", "forget"], env0);
    expect(await bad.exited).toBe(1);
    expect(bad.output().trim()).toBe("keel: memory forget: which subject? usage: keel memory reindex | keel memory forget KIND:KEY");
  }, 120_000);

  it("`keel run --wait` remembers and recalls through the configured Chroma", async () => {
    const path = join(dataDir, "recall.json");
    const node = (id: string, type: string, config: Record<string, unknown> = {}) => ({ id, type, typeVersion: 1, label: id, position: { x: 0, y: 0 }, config });
    writeFileSync(
      path,
      JSON.stringify({
        format: "keel.workflow",
        formatVersion: 1,
        name: "Remember then recall",
        graph: {
          schemaVersion: 1,
          nodes: [
            node("start", "trigger.manual"),
            node("remember", "memory.remember", { subject: "project:{{ input.project }}", text: "{{ input.text }}" }),
            node("recall", "memory.recall", { subject: "project:{{ input.project }}", query: "{{ input.question }}", topK: 1 }),
            node("done", "flow.end", { output: "{{ recall }}" }),
          ],
          edges: [
            { id: "e1", source: "start", sourcePort: "out", target: "remember", targetPort: "in" },
            { id: "e2", source: "remember", sourcePort: "out", target: "recall", targetPort: "in" },
            { id: "e3", source: "recall", sourcePort: "out", target: "done", targetPort: "in" },
          ],
        },
      }),
    );
    const input = JSON.stringify({ project: "garden", text: "The tomatoes need watering every evening.", question: "What do the plants need?" });
    const run = runKeel(["run", path, "--input", input, "--wait"], { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url, CHROMA_URL: chroma.url });
    expect(await run.exited, run.output()).toBe(0);
    const result = JSON.parse(run.output().trim().split("\n").pop()!);
    expect(result).toMatchObject({ status: "succeeded", output: { items: [{ text: "The tomatoes need watering every evening.", subject: "project:garden" }] } });
    await caller.memory.forget({ subject: "project:garden" });
  }, 60_000);

  it("forgets a subject from the page (tRPC) and from the CLI, each audited", async () => {
    expect(await caller.memory.forget({ subject: "contact:grace@example.test" })).toMatchObject({ items: 1 });
    expect((await caller.audit.list({ limit: 1 })).entries[0]).toMatchObject({ actor: "operator", action: "memory.forget" });
    const forget = runKeel(["memory", "forget", "project:blog"], { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url, CHROMA_URL: chroma.url });
    expect(await forget.exited, forget.output()).toBe(0);
    expect(forget.output()).toMatch(/^keel: forgot project:blog: 2 item\(s\) deleted/m);
    expect(await caller.memory.subjects()).toEqual([]);
    expect(await index.count()).toBe(0);
    expect((await caller.audit.list({ limit: 1 })).entries[0]).toMatchObject({ actor: "cli", action: "memory.forget" });
  }, 60_000);
});
