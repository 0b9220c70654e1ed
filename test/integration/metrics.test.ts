import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { json, type Db } from "../../engine/store";
import { recordKeelSpend } from "../../server/services/budgets";
import { metricsService } from "../../server/services/metrics";
import { rolledUpThrough } from "../../server/services/metrics/rollup";
import { operatorApi, rejection, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";

const NOW = new Date("2026-11-30T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

async function workflow(db: Db, slug: string) {
  const graph = { nodes: [], edges: [] };
  const wf = await db.workflow.create({ data: { slug, name: `Workflow ${slug}`, draftGraph: json(graph) } });
  const version = await db.workflowVersion.create({ data: { workflowId: wf.id, number: 1, graph: json(graph), machine: json({}), hash: slug } });
  return { workflowId: wf.id, versionId: version.id };
}

type Ids = Awaited<ReturnType<typeof workflow>>;

async function run(db: Db, ids: Ids, fixture: { createdAt: Date; status: "queued" | "running" | "succeeded" | "failed" | "waiting" | "dead"; finishedAt?: Date; trigger?: string }) {
  const row = await db.run.create({
    data: { ...ids, input: json({}), status: fixture.status, trigger: fixture.trigger ?? "manual", createdAt: fixture.createdAt, finishedAt: fixture.finishedAt ?? null },
  });
  return row.id;
}

let effectCount = 0;
async function effect(db: Db, runId: string, fixture: { nodeType: string; completedAt: Date | null; ms: number; attempts?: number; costUnits?: number; costTokens?: number; status?: "completed" | "failed" }) {
  effectCount += 1;
  const completedAt = fixture.completedAt;
  const startedAt = new Date((completedAt ?? NOW).getTime() - fixture.ms);
  await db.effect.create({
    data: {
      key: `${runId}:n${effectCount}:1`,
      runId,
      nodeId: `n${effectCount}`,
      visit: 1,
      nodeType: fixture.nodeType,
      status: fixture.status ?? "completed",
      attempts: fixture.attempts ?? 1,
      costUnits: fixture.costUnits ?? 0,
      costTokens: fixture.costTokens ?? 0,
      startedAt,
      completedAt,
    },
  });
}

describe.each(databaseKinds())("operations figures on $name", (kind) => {
  let api: OperatorApi;
  let db: Db;
  let a: Ids;
  let b: Ids;

  beforeEach(async () => {
    api = await operatorApi(kind);
    db = api.env.database.db;
    a = await workflow(db, "alpha");
    b = await workflow(db, "beta");
    // Workflow alpha: two runs succeeded and one failed today, one succeeded three days ago.
    const today1 = await run(db, a, { createdAt: ago(3 * HOUR), status: "succeeded", finishedAt: ago(2 * HOUR) });
    const today2 = await run(db, a, { createdAt: ago(2 * HOUR), status: "succeeded", finishedAt: ago(HOUR) });
    await run(db, a, { createdAt: ago(HOUR), status: "failed", finishedAt: ago(30 * MIN) });
    const old = await run(db, a, { createdAt: ago(3 * DAY), status: "succeeded", finishedAt: ago(3 * DAY - MIN) });
    // Workflow beta: one queued for ten minutes, one waiting for an approval, one dead.
    await run(db, b, { createdAt: ago(10 * MIN), status: "queued" });
    const waiting = await run(db, b, { createdAt: ago(40 * MIN), status: "waiting" });
    const dead = await run(db, b, { createdAt: ago(3 * HOUR), status: "dead" });
    // A test run from the editor: never counted.
    const test = await run(db, b, { createdAt: ago(HOUR), status: "succeeded", finishedAt: ago(HOUR), trigger: "test" });

    for (const [ms, attempts] of [[100, 1], [200, 1], [300, 2], [1000, 1]] as const) {
      await effect(db, today1, { nodeType: "http.request@1", completedAt: ago(2 * HOUR), ms, attempts, costUnits: 0.5 });
    }
    await effect(db, today2, { nodeType: "llm.chat@1", completedAt: ago(HOUR), ms: 2000, costUnits: 1.25, costTokens: 300 });
    await effect(db, old, { nodeType: "http.request@1", completedAt: ago(3 * DAY - 2 * MIN), ms: 50, costUnits: 1 });
    await effect(db, old, { nodeType: "http.request@1", completedAt: ago(3 * DAY - 2 * MIN), ms: 60, costUnits: 1 });
    await effect(db, dead, { nodeType: "http.request@1", completedAt: null, ms: 0, attempts: 3, status: "failed" });
    await effect(db, test, { nodeType: "llm.chat@1", completedAt: ago(HOUR), ms: 9000, costUnits: 50 });

    await db.approval.create({ data: { runId: waiting, nodeId: "ask", visit: 1, packet: json({}), createdAt: ago(30 * MIN) } });
    await db.deadLetter.create({ data: { runId: dead, nodeId: "n", packet: json({}), createdAt: ago(2 * HOUR) } });
  });
  afterEach(async () => {
    await api.env.dispose();
  });

  it("counts runs, steps, cost, latency, retries, backlog, approvals and dead letters, test runs left out", async () => {
    const figures = await metricsService(api.env.database, { now: () => NOW }).dashboard({ days: 7 });
    expect(figures.daily).toHaveLength(7);
    expect(figures.daily[6]!.day).toBe("2026-11-30");
    expect(figures.daily[6]).toMatchObject({ runsStarted: 6, runsSucceeded: 2, runsFailed: 1, steps: 5, attempts: 6, stepsFailed: 1, costUnits: 3.25, costTokens: 300 });
    expect(figures.daily[3]).toMatchObject({ day: "2026-11-27", runsStarted: 1, runsSucceeded: 1, steps: 2, costUnits: 2 });
    expect(figures.totals).toMatchObject({ runsStarted: 7, runsSucceeded: 3, runsFailed: 1, steps: 7, costUnits: 5.25 });
    expect(figures.workflows.map((w) => [w.name, w.runs, w.costUnits])).toEqual([
      ["Workflow alpha", 4, 5.25],
      ["Workflow beta", 3, 0],
    ]);
    // Ranks ceil(n/2) and ceil(0.95n): 200 ms and 1000 ms of 100, 200, 300, 1000.
    expect(figures.latency).toEqual([
      { nodeType: "llm.chat@1", steps: 1, p50Ms: 2000, p95Ms: 2000 },
      { nodeType: "http.request@1", steps: 4, p50Ms: 200, p95Ms: 1000 },
    ]);
    expect(figures.retry).toEqual({ steps: 5, attempts: 6, rate: 1 / 6 });
    expect(figures.backlog).toEqual({ queued: 1, oldestAgeSeconds: 600 });
    expect(figures.approvals).toEqual({ waiting: 1, oldestAgeSeconds: 1800 });
    expect(figures.deadLetters).toEqual({ open: 1, last24h: 1, oldestAgeSeconds: 7200 });
  });

  it("folds ended days into the rollup without changing a figure, and still counts what happens today", async () => {
    const metrics = metricsService(api.env.database, { now: () => NOW });
    const before = await metrics.dashboard({ days: 7 });
    expect(await rolledUpThrough(api.env.database)).toBeNull();
    expect(await metrics.tick()).toEqual(["2026-11-27", "2026-11-28", "2026-11-29"]);
    expect(await rolledUpThrough(api.env.database)).toBe("2026-11-29");
    expect(await db.metricsDay.count()).toBe(1);
    // The old run's day now comes from the rollup; a change to its raw rows no longer shows.
    await db.effect.updateMany({ where: { completedAt: { lt: ago(DAY) } }, data: { costUnits: 100 } });
    expect({ ...(await metrics.dashboard({ days: 7 })), generatedAt: "" }).toEqual({ ...before, generatedAt: "" });
    // A second tick has nothing to fold.
    expect(await metrics.tick()).toEqual([]);

    const fresh = await run(db, a, { createdAt: ago(MIN), status: "succeeded", finishedAt: ago(MIN / 2) });
    await effect(db, fresh, { nodeType: "http.request@1", completedAt: ago(MIN / 2), ms: 5, costUnits: 0.75 });
    const after = await metrics.dashboard({ days: 7 });
    expect(after.daily[6]).toMatchObject({ runsStarted: 7, runsSucceeded: 3, steps: 6, costUnits: 4 });
    expect(after.totals.costUnits).toBe(6);
  });

  it("shows Keel's own spending (memory summaries, embeddings) as its own line and in the day's cost", async () => {
    await recordKeelSpend(db, { kind: "summary", costUnits: 0.5, costTokens: 40 }, ago(HOUR));
    const figures = await metricsService(api.env.database, { now: () => NOW }).dashboard({ days: 7 });
    expect(figures.daily[6]).toMatchObject({ costUnits: 3.75, keelCostUnits: 0.5, costTokens: 340 });
    expect(figures.workflows.find((w) => w.workflowId === null)).toEqual({ workflowId: null, name: "Keel (memory summaries, embeddings)", runs: 0, steps: 0, costUnits: 0.5, costTokens: 40 });
    expect(figures.totals.costUnits).toBe(5.75);
  });

  it("serves the same figures to Prometheus", async () => {
    const { contentType, body } = await metricsService(api.env.database, { now: () => NOW }).prometheus();
    expect(contentType).toContain("text/plain");
    expect(body).toContain('keel_runs_today{status="started"} 6');
    expect(body).toContain('keel_runs_today{status="succeeded"} 2');
    expect(body).toContain('keel_steps_today{status="completed"} 5');
    expect(body).toContain('keel_step_latency_seconds{node_type="http.request@1",quantile="0.95"} 1');
    expect(body).toContain("keel_backlog_runs 1");
    expect(body).toContain("keel_backlog_oldest_seconds 600");
    expect(body).toContain("keel_approvals_waiting 1");
    expect(body).toContain("keel_dead_letters_open 1");
    expect(body).toContain("keel_cost_units_today 3.25");
    expect(body).toContain('keel_workflow_runs{workflow="Workflow alpha"} 3');
  });

  it("refuses a range that is out of bounds, naming the field", async () => {
    const error = await rejection(api.caller.metrics.dashboard({ days: 0 }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(JSON.stringify(error.cause ?? error.message)).toContain("days");
    expect((await api.caller.metrics.dashboard({ days: 30 })).daily).toHaveLength(30);
  });
});
