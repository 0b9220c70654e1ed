import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunChange } from "../../server/services/run-changes";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { operatorApi, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";
import { runKeel } from "../support/keel-process";

/** Reads a subscription in the background; `next(predicate)` waits for a matching change. */
function reader(iterable: AsyncIterable<RunChange>) {
  const seen: RunChange[] = [];
  const waiters = new Set<() => void>();
  const done = (async () => {
    for await (const change of iterable) {
      seen.push(change);
      for (const waiter of waiters) waiter();
    }
  })();
  return {
    seen,
    done,
    until(predicate: (changes: RunChange[]) => boolean, timeoutMs = 20_000): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(seen)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching change within ${timeoutMs} ms; seen: ${JSON.stringify(seen)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

const ofRun = (runId: string) => (changes: RunChange[]) => changes.some((c) => c.kind !== "resync" && c.runId === runId);

describe.each(databaseKinds())("the run-change feed on $name", (kind) => {
  let api: OperatorApi;
  let caller: Caller;

  beforeAll(async () => {
    api = await operatorApi(kind);
    caller = api.caller;
  });
  afterAll(async () => {
    await api.services.runChanges.close();
    await api.env.dispose();
  });

  it("delivers a change a separate worker process makes, and only for the run watched", async () => {
    const wf = await caller.workflow.create({ name: "Watched", graph: CONSTRUCTS["approval-delay-error"] });
    const other = await caller.workflow.create({ name: "Unwatched", graph: CONSTRUCTS.linear });
    await caller.workflow.publish({ id: wf.id });
    await caller.workflow.publish({ id: other.id });
    const run = await caller.run.start({ workflow: wf.id, input: { subject: "live" } });
    const quiet = await caller.run.start({ workflow: other.id, input: { a: 1, b: 2 } });

    const abort = new AbortController();
    const { createCallerFactory } = await import("../../server/trpc/init");
    const { appRouter } = await import("../../server/trpc/router");
    const { operatorContext } = await import("../support/context");
    const watching = createCallerFactory(appRouter)(operatorContext(api.services), { signal: abort.signal });
    const forRun = reader(await watching.run.onChange({ runId: run.id }));
    const forWorkflow = reader(await watching.run.onChange({ workflowId: other.id }));
    // Listening starts with a resync notice; anything after it is delivered.
    await forRun.until((seen) => seen.some((c) => c.kind === "resync"));

    const worker = runKeel(["worker"], { DATABASE_URL: api.env.scratch.target.url, KEEL_DATA_DIR: api.services.config.dataDir, KEEL_SCHEDULER_INTERVAL_MS: "60000" });
    try {
      await forRun.until(ofRun(run.id));
      await forWorkflow.until(ofRun(quiet.id));
      // The worker takes the watched run to its approval; the approval's row is a change too.
      await expect.poll(async () => (await caller.run.get({ id: run.id })).status, { timeout: 30_000 }).toBe("waiting");
      await forRun.until((seen) => seen.some((c) => c.kind === "approval" && c.runId === run.id));
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
    }
    const notices = (seen: RunChange[]) => seen.flatMap((c) => (c.kind === "resync" ? [] : [c]));
    expect(notices(forRun.seen).every((c) => c.runId === run.id && c.workflowId === wf.id)).toBe(true);
    expect(notices(forWorkflow.seen).every((c) => c.workflowId === other.id)).toBe(true);
    expect(forWorkflow.seen.some((c) => c.kind !== "resync" && c.runId === run.id)).toBe(false);

    // A write on a bare driver connection (as the engine's hot path makes them) is caught by the triggers.
    const before = forRun.seen.length;
    if (kind.name === "sqlite") {
      const raw = new Database(api.env.scratch.target.url.replace(/^file:/, ""));
      raw.prepare(`UPDATE "Run" SET "costTokens" = "costTokens" + 1 WHERE "id" = ?`).run(run.id);
      raw.close();
    } else {
      const raw = new pg.Client({ connectionString: api.env.scratch.target.url });
      await raw.connect();
      await raw.query(`UPDATE "Run" SET "costTokens" = "costTokens" + 1 WHERE "id" = $1`, [run.id]);
      await raw.end();
    }
    await forRun.until((seen) => seen.slice(before).some((c) => c.kind === "run" && c.runId === run.id));

    // Deciding the approval (this process) is seen too, and aborting ends both streams.
    const approval = (await caller.approval.pending()).find((a) => a.runId === run.id)!;
    const beforeDecision = forRun.seen.length;
    await caller.approval.decide({ approvalId: approval.id, decision: "reject" });
    await forRun.until((seen) => seen.slice(beforeDecision).some((c) => c.kind === "approval"));
    abort.abort();
    await Promise.all([forRun.done, forWorkflow.done]);
  }, 120_000);

  it("delivers a request arriving in triage and being routed, for the triage queue inside the approval queue", async () => {
    const abort = new AbortController();
    const { createCallerFactory } = await import("../../server/trpc/init");
    const { appRouter } = await import("../../server/trpc/router");
    const { operatorContext } = await import("../support/context");
    const watching = createCallerFactory(appRouter)(operatorContext(api.services), { signal: abort.signal });
    const all = reader(await watching.run.onChange({}));
    await all.until((seen) => seen.some((c) => c.kind === "resync"));
    const intents = (seen: RunChange[]) => seen.filter((c) => c.kind === "intent");

    const { db } = api.env.database;
    const intent = await db.intent.create({ data: { source: "api", text: "Where is my invoice?", raw: {}, status: "triage", reason: "below the threshold", evidence: {} } });
    await all.until((seen) => intents(seen).length === 1);
    const wf = await caller.workflow.create({ name: "Invoices", graph: CONSTRUCTS.linear });
    await db.intent.update({ where: { id: intent.id }, data: { status: "routed", workflowId: wf.id, via: "operator" } });
    await all.until((seen) => intents(seen).length === 2);
    expect(intents(all.seen).at(-1)).toEqual({ kind: "intent", runId: "", workflowId: wf.id });
    abort.abort();
    await all.done;
  }, 60_000);
});
