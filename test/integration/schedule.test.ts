import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { openDatabase } from "../../engine/store";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { runService } from "../../server/services/runs";
import { schedulerService, type ScheduledRunInput } from "../../server/services/scheduler";
import { PrismaRunStore } from "../../engine/runtime/prisma-store";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";

// The scheduler against real databases, with a clock the test moves: instants in a time zone
// across a DST change, racing schedulers, downtime (skip vs runOnce), overlap (skip vs queue),
// and schedules that stop or change with the published version.

const graph = (nodes: Graph["nodes"], edges: Graph["edges"]): Graph => ({ schemaVersion: 1, nodes, edges });
const scheduled = (config: Record<string, unknown>): Graph => graph([n("tick", "trigger.schedule", config), n("done", "flow.end")], [e("e1", "tick", "done")]);
/** A scheduled workflow whose runs wait for an approval, so they stay active until decided. */
const waiting = (config: Record<string, unknown>): Graph =>
  graph([n("tick", "trigger.schedule", config), n("ask", "human.approval", { title: "Go on?" }), n("done", "flow.end")], [e("e1", "tick", "ask"), e("e2", "ask", "done", "approved")]);

describe.each(databaseKinds())("the scheduler on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let now = new Date("2026-03-27T12:00:00Z");
  const clock = () => now;
  let worker: Worker;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-schedule-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database, { now: clock });
    worker = new Worker(runtimeDeps(env.database, { now: clock }), { id: `w-${kind.name}`, leaseMs: 60_000 });
  });
  afterAll(async () => {
    await env.dispose();
  });

  async function publish(name: string, g: Graph) {
    const wf = await services.workflows.create({ name, graph: g });
    await services.publishing.publish({ id: wf.id });
    return wf.id;
  }
  async function scheduledRuns(workflowId: string) {
    const runs = await env.database.db.run.findMany({ where: { workflowId }, orderBy: { createdAt: "asc" }, select: { id: true, status: true, input: true, trigger: true, triggerNodeId: true, idempotencyKey: true } });
    return runs.map((r) => ({ ...r, input: r.input as unknown as ScheduledRunInput }));
  }
  const instants = async (workflowId: string) => (await scheduledRuns(workflowId)).map((r) => r.input.scheduledFor).sort();
  async function at(iso: string) {
    now = new Date(iso);
    const result = await services.scheduler.tick();
    await worker.drain();
    return result;
  }

  it("fires at the instants of the cron expression in its time zone, across a DST change", async () => {
    now = new Date("2026-03-27T12:00:00Z");
    const id = await publish("Berlin mornings", scheduled({ cron: "0 9 * * *", timezone: "Europe/Berlin" }));
    // A scheduler that looks every 20 minutes (grace 30 minutes: each instant is seen on time once).
    const scheduler = schedulerService(env.database.db, { runs: services.runs, now: clock, graceMs: 30 * 60_000 });
    for (let t = now.getTime(); t <= Date.parse("2026-03-31T00:00:00Z"); t += 20 * 60_000) {
      now = new Date(t);
      await scheduler.tick();
      await worker.drain();
    }
    // 09:00 in Berlin is 08:00 UTC before the change to summer time on 29 March, 07:00 UTC after.
    expect(await instants(id)).toEqual(["2026-03-28T08:00:00.000Z", "2026-03-29T07:00:00.000Z", "2026-03-30T07:00:00.000Z"]);
    const runs = await scheduledRuns(id);
    for (const run of runs) {
      expect(run).toMatchObject({ status: "succeeded", trigger: "schedule", triggerNodeId: "tick", idempotencyKey: `schedule:tick:${run.input.scheduledFor}` });
      expect(run.input).toMatchObject({ timezone: "Europe/Berlin", missed: 0 });
      expect(Date.parse(run.input.firedAt) - Date.parse(run.input.scheduledFor)).toBeGreaterThanOrEqual(0);
      expect(Date.parse(run.input.firedAt) - Date.parse(run.input.scheduledFor)).toBeLessThan(20 * 60_000);
    }
    // The trigger's output is the run input, so later nodes see the instant.
    const done = await services.runs.get(runs[0]!.id);
    expect((done.output as unknown as { tick: ScheduledRunInput }).tick.scheduledFor).toBe("2026-03-28T08:00:00.000Z");
  });

  it("fires each instant once when two schedulers on two connections race", async () => {
    now = new Date("2026-05-01T09:59:00Z");
    const id = await publish("Raced", scheduled({ cron: "*/10 * * * *" }));
    const second = await openDatabase(env.scratch.target);
    try {
      const otherRuns = runService(second.db, { store: new PrismaRunStore(second) });
      const a = schedulerService(env.database.db, { runs: services.runs, now: clock });
      const b = schedulerService(second.db, { runs: otherRuns, now: clock });
      await Promise.all([a.tick(), b.tick()]);
      expect(await env.database.db.scheduleState.count({ where: { workflowId: id } })).toBe(1);
      for (const minute of ["10:00:01", "10:10:02", "10:20:00", "10:30:03"]) {
        now = new Date(`2026-05-01T${minute}Z`);
        const [ra, rb] = await Promise.all([a.tick(), b.tick()]);
        // Both may report the run (one started it, the other found it under the same key).
        expect(new Set([...ra.started, ...rb.started]).size).toBe(1);
        await worker.drain();
      }
      expect(await instants(id)).toEqual(["2026-05-01T10:00:00.000Z", "2026-05-01T10:10:00.000Z", "2026-05-01T10:20:00.000Z", "2026-05-01T10:30:00.000Z"]);
    } finally {
      await second.close();
    }
  });

  it("after downtime skips the missed instants, or starts exactly one run for them", async () => {
    now = new Date("2026-06-01T09:30:00Z");
    const skip = await publish("Hourly skip", scheduled({ cron: "0 * * * *", missedFire: "skip" }));
    const once = await publish("Hourly once", scheduled({ cron: "0 * * * *", missedFire: "runOnce" }));
    await at("2026-06-01T09:30:00Z");
    await at("2026-06-01T10:00:05Z");
    expect(await instants(skip)).toEqual(["2026-06-01T10:00:00.000Z"]);
    expect(await instants(once)).toEqual(["2026-06-01T10:00:00.000Z"]);

    // Down from 10:00 to 15:30: 11:00 … 15:00 were missed. A restarted scheduler is a new instance.
    const restarted = schedulerService(env.database.db, { runs: services.runs, now: clock });
    now = new Date("2026-06-01T15:30:00Z");
    await restarted.tick();
    await restarted.tick();
    await worker.drain();
    expect(await instants(skip)).toEqual(["2026-06-01T10:00:00.000Z"]);
    const caughtUp = await scheduledRuns(once);
    expect(caughtUp.map((r) => r.input.scheduledFor)).toEqual(["2026-06-01T10:00:00.000Z", "2026-06-01T15:00:00.000Z"]);
    expect(caughtUp[1]!.input).toMatchObject({ missed: 4, firedAt: "2026-06-01T15:30:00.000Z" });

    // Then the regular instants again.
    now = new Date("2026-06-01T16:00:02Z");
    await restarted.tick();
    expect(await instants(skip)).toEqual(["2026-06-01T10:00:00.000Z", "2026-06-01T16:00:00.000Z"]);
    expect(await instants(once)).toEqual(["2026-06-01T10:00:00.000Z", "2026-06-01T15:00:00.000Z", "2026-06-01T16:00:00.000Z"]);
    await worker.drain();
  });

  it("overlap: skip drops an instant while the previous run works; queue starts the latest one when it ends", async () => {
    now = new Date("2026-07-01T09:30:00Z");
    const skip = await publish("Overlap skip", waiting({ cron: "0 * * * *", overlap: "skip" }));
    const queue = await publish("Overlap queue", waiting({ cron: "0 * * * *", overlap: "queue" }));
    await at("2026-07-01T09:30:00Z");
    await at("2026-07-01T10:00:01Z");
    for (const id of [skip, queue]) expect((await scheduledRuns(id)).map((r) => r.status)).toEqual(["waiting"]);

    await at("2026-07-01T11:00:01Z");
    await at("2026-07-01T12:00:01Z");
    expect(await instants(skip)).toEqual(["2026-07-01T10:00:00.000Z"]);
    expect(await instants(queue)).toEqual(["2026-07-01T10:00:00.000Z"]);
    expect((await env.database.db.scheduleState.findFirstOrThrow({ where: { workflowId: queue } })).pendingFireAt?.toISOString()).toBe("2026-07-01T12:00:00.000Z");

    // The first runs finish: the queued instant starts at the next look, the skipped ones never.
    for (const approval of await services.runs.pendingApprovals()) await services.runs.decide({ approvalId: approval.id, decision: "approve" });
    await worker.drain();
    await at("2026-07-01T12:10:00Z");
    await at("2026-07-01T12:20:00Z");
    expect(await instants(skip)).toEqual(["2026-07-01T10:00:00.000Z"]);
    const queued = await scheduledRuns(queue);
    expect(queued.map((r) => [r.input.scheduledFor, r.status])).toEqual([
      ["2026-07-01T10:00:00.000Z", "succeeded"],
      ["2026-07-01T12:00:00.000Z", "waiting"],
    ]);
    expect((await env.database.db.scheduleState.findFirstOrThrow({ where: { workflowId: queue } })).pendingFireAt).toBeNull();
    for (const approval of await services.runs.pendingApprovals()) await services.runs.decide({ approvalId: approval.id, decision: "approve" });
    await worker.drain();
  });

  it("follows the published version: a changed schedule starts afresh, one without a schedule stops it", async () => {
    now = new Date("2026-08-01T09:05:00Z");
    const wf = await services.workflows.create({ name: "Versioned", graph: scheduled({ cron: "0 * * * *" }) });
    await services.publishing.publish({ id: wf.id });
    await at("2026-08-01T09:05:00Z");
    await at("2026-08-01T10:00:01Z");
    expect(await instants(wf.id)).toEqual(["2026-08-01T10:00:00.000Z"]);

    await services.workflows.saveDraft({ id: wf.id, graph: scheduled({ cron: "30 * * * *" }) });
    await services.publishing.publish({ id: wf.id });
    await at("2026-08-01T10:05:00Z");
    await at("2026-08-01T11:00:01Z");
    await at("2026-08-01T11:30:01Z");
    expect(await instants(wf.id)).toEqual(["2026-08-01T10:00:00.000Z", "2026-08-01T11:30:00.000Z"]);

    // A version with only a manual trigger: the schedule is gone.
    await services.workflows.saveDraft({ id: wf.id, graph: graph([n("start", "trigger.manual"), n("done", "flow.end")], [e("e1", "start", "done")]) });
    await services.publishing.publish({ id: wf.id });
    await at("2026-08-01T11:40:00Z");
    expect(await env.database.db.scheduleState.count({ where: { workflowId: wf.id } })).toBe(0);
    await at("2026-08-01T12:30:01Z");
    expect(await instants(wf.id)).toEqual(["2026-08-01T10:00:00.000Z", "2026-08-01T11:30:00.000Z"]);

    // Back to the scheduled version, then archived: nothing fires.
    await services.publishing.setCurrentVersion({ id: wf.id, number: 2 });
    await at("2026-08-01T12:40:00Z");
    expect(await env.database.db.scheduleState.count({ where: { workflowId: wf.id } })).toBe(1);
    await env.database.db.workflow.update({ where: { id: wf.id }, data: { archivedAt: now } });
    await at("2026-08-01T13:30:01Z");
    expect(await env.database.db.scheduleState.count({ where: { workflowId: wf.id } })).toBe(0);
    expect(await instants(wf.id)).toEqual(["2026-08-01T10:00:00.000Z", "2026-08-01T11:30:00.000Z"]);
  });
});
