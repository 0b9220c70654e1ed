import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { PrismaRunStore } from "../../engine/runtime/prisma-store";
import { openDatabase, type Database } from "../../engine/store";
import { loadConfig } from "../../server/config";
import { servicesFor } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";

// SQLite's group commit (engine/store/commit-group.ts): concurrent writes share one
// transaction and one disk sync, each keeps its own lease check, and an acknowledged commit
// survives the process being killed.

const sqlite = databaseKinds().find((kind) => kind.name === "sqlite")!;
const graph: Graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("done", "flow.end")], edges: [e("e1", "start", "done")] };

describe("group commit on SQLite", () => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let store: PrismaRunStore;
  let workflowId: string;
  let versionId: string;

  beforeAll(async () => {
    env = await migratedDatabase(sqlite);
    const services = servicesFor(loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-group-")), DATABASE_URL: env.scratch.target.url }), env.database);
    const wf = await services.workflows.create({ name: "Grouped", graph });
    versionId = (await services.publishing.publish({ id: wf.id })).id;
    workflowId = wf.id;
    store = new PrismaRunStore(env.database);
  });
  afterAll(() => env.dispose());

  const claimed = async (workerId: string) =>
    (await store.createRun({ workflowId, versionId, input: {}, trigger: "manual", claimedBy: { workerId, now: new Date(), leaseMs: 60_000 } })).run.id;
  const finish = (runId: string, workerId: string) =>
    store.commit({ runId, workerId, firstSeq: 1, events: [{ type: "run.started" }, { type: "run.succeeded" }], checkpoint: null, run: { status: "succeeded", finished: true }, release: true });

  it("writes concurrent commits in one transaction and one sync, each answered after it", async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, () => claimed("w")));
    const before = { ...env.database.sqlite!.stats };
    await Promise.all(runs.map((id) => finish(id, "w")));
    const after = env.database.sqlite!.stats;
    expect(after.writes - before.writes).toBe(8);
    expect(after.transactions - before.transactions).toBe(1);
    expect(after.syncs - before.syncs).toBe(1);
    expect(await env.database.db.run.count({ where: { id: { in: runs }, status: "succeeded" } })).toBe(8);
    expect(await env.database.db.runEvent.count({ where: { runId: { in: runs } } })).toBe(16);
  });

  it("rolls back only the commit whose lease is lost; the others of its group are written", async () => {
    const runs = await Promise.all(Array.from({ length: 5 }, () => claimed("w")));
    const lost = runs[2]!;
    // Another worker took this one over.
    await env.database.db.run.update({ where: { id: lost }, data: { leaseOwner: "other" } });
    const before = env.database.sqlite!.stats.transactions;
    const outcomes = await Promise.allSettled(runs.map((id) => finish(id, "w")));
    expect(env.database.sqlite!.stats.transactions - before).toBe(1);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/lease/i);
    expect(await env.database.db.runEvent.count({ where: { runId: lost } })).toBe(0);
    expect((await env.database.db.run.findUniqueOrThrow({ where: { id: lost } })).status).toBe("running");
    expect(await env.database.db.run.count({ where: { id: { in: runs.filter((id) => id !== lost) }, status: "succeeded" } })).toBe(4);
  });

  it("loses no acknowledged commit when the process is killed in the middle of groups", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../support/group-commit-child.ts"), env.scratch.target.url, workflowId, versionId], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const acked: string[] = [];
    let buffered = "";
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`the child exited (${code}) before it was killed`)));
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const line of lines) if (line.startsWith("acked ")) acked.push(line.slice(6));
        if (acked.length >= 200) {
          child.removeAllListeners("exit");
          child.on("exit", () => resolve());
          child.kill("SIGKILL");
        }
      });
    });
    const reopened: Database = await openDatabase(env.scratch.target);
    try {
      const stored = await reopened.db.run.findMany({ where: { id: { in: acked } }, select: { id: true, status: true } });
      expect(stored).toHaveLength(acked.length);
      expect(stored.every((run) => run.status === "succeeded")).toBe(true);
      expect(await reopened.db.runEvent.count({ where: { runId: { in: acked } } })).toBe(2 * acked.length);
    } finally {
      await reopened.close();
    }
  });
});
