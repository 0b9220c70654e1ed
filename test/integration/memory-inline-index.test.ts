import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { useLiteEmbedder } from "../../infra/memory/embedders";
import { MemoryIndex } from "../../infra/memory/memory-index";
import { countStale, sweepIndex } from "../../infra/memory/memory-store";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { startChroma, type ChromaServer } from "../support/chroma-server";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";

// Inline indexing is a courtesy (the item is recallable in the next step); under load it may
// not finish in time. Then the step goes on, and the miss is a counted, visible event instead
// of silence: the step's output says so, the callback hears the reason, the sweeper catches up.

const local = useLiteEmbedder();

const graph: Graph = {
  schemaVersion: 1,
  nodes: [
    n("start", "trigger.manual"),
    n("remember", "memory.remember", { subject: "contact:{{ input.email }}", text: "{{ input.text }}" }),
    n("done", "flow.end", { output: "{{ remember }}" }),
  ],
  edges: [e("e1", "start", "remember"), e("e2", "remember", "done")],
};

describe.each(databaseKinds())("inline memory indexing that does not finish in time on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let chroma: ChromaServer;
  // A "Chroma" that accepts connections and never answers: indexing hangs, as under heavy load.
  let stuck: Server;
  let stuckUrl: string;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    chroma = await startChroma();
    stuck = createServer(() => undefined);
    await new Promise<void>((resolve) => stuck.listen(0, "127.0.0.1", resolve));
    stuckUrl = `http://127.0.0.1:${(stuck.address() as { port: number }).port}`;
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-inline-")), DATABASE_URL: env.scratch.target.url, CHROMA_URL: chroma.url });
    services = servicesFor(config, env.database);
    const wf = await services.workflows.create({ name: "remember", slug: "remember", graph });
    await services.publishing.publish({ id: wf.id });
  }, 120_000);
  afterAll(async () => {
    stuck?.closeAllConnections();
    stuck?.close();
    await chroma?.dispose();
    await env?.dispose();
  });

  it("goes on after the inline budget, says so in the output, reports a timeout, and the sweeper indexes the item", async () => {
    const deferred: { reason: string; itemId: string }[] = [];
    const memory = {
      index: new MemoryIndex(stuckUrl, local),
      inlineIndexTimeoutMs: 300,
      onIndexDeferred: (event: { reason: string; itemId: string }) => deferred.push(event),
    };
    const run = await services.runs.start({ workflow: "remember", input: { email: "erin@example.test", text: "Erin renews her contract in March." } });
    await new Worker(runtimeDeps(env.database, { memory }), { id: `inline-${kind.name}` }).drain();
    const done = await services.runs.get(run.id);
    expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
    const output = done.output as { itemId: string; indexed: boolean };
    expect(output.indexed).toBe(false);
    expect(deferred).toEqual([{ reason: "timeout", itemId: output.itemId }]);

    const healthy = new MemoryIndex(chroma.url, local);
    expect(await countStale(env.database.db, local.id)).toBe(1);
    expect(await sweepIndex(env.database.db, healthy)).toBe(1);
    expect(await countStale(env.database.db, local.id)).toBe(0);
  }, 60_000);
});
