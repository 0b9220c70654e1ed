import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaRunStore } from "../../engine/runtime/prisma-store";
import { openDatabase, type Database } from "../../engine/store";
import { loadConfig } from "../../server/config";
import { servicesFor, type Services } from "../../server/services";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { databaseKinds, migratedDatabase } from "../support/databases";

// A workflow's concurrency limit holds when many workers claim in the same instant, each on a
// connection of its own (as separate processes would): never more runs working than the limit,
// and no fewer when more are waiting.

describe.each(databaseKinds())("claims at a workflow's limit on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  const connections: Database[] = [];

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    services = servicesFor(loadConfig({ KEEL_DATA_DIR: "/tmp", DATABASE_URL: env.scratch.target.url }), env.database);
    for (let i = 0; i < 6; i++) connections.push(await openDatabase(env.scratch.target));
  });
  afterAll(async () => {
    for (const c of connections) await c.close();
    await env.dispose();
  });

  it("6 workers claiming at once, 20 rounds: exactly the limit's 2 runs work each round", async () => {
    const wf = await services.workflows.create({ name: "Limited claims", graph: CONSTRUCTS.linear });
    await services.publishing.publish({ id: wf.id });
    await services.workflows.setLimits({ id: wf.id, maxConcurrentRuns: 2, maxRunSeconds: null });
    for (let i = 0; i < 12; i++) await services.runs.start({ workflow: wf.id, input: { a: i, b: 1 } });
    const stores = connections.map((c) => new PrismaRunStore(c));
    for (let round = 0; round < 20; round++) {
      const claimed = (await Promise.all(stores.map((store, i) => store.claimRun(`w${i}`, new Date(), 60_000)))).filter((r) => r !== null);
      const running = await env.database.db.run.count({ where: { workflowId: wf.id, status: "running" } });
      expect([claimed.length, running], `round ${round}`).toEqual([2, 2]);
      // Hand everything back for the next round; a run handed back at the limit never started.
      await env.database.db.run.updateMany({ where: { workflowId: wf.id }, data: { status: "queued", leaseOwner: null, leaseExpiresAt: null } });
    }
    expect(await env.database.db.run.count({ where: { workflowId: wf.id, status: "queued" } })).toBe(12);
  });
});
