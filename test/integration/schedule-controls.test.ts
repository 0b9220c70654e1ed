import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";

// What the operator sees of each schedule (next instants, last fire and its run) and pausing
// and resuming one, against real databases with a clock the test moves.

const hourly: Graph = { schemaVersion: 1, nodes: [n("tick", "trigger.schedule", { cron: "0 * * * *", timezone: "UTC" }), n("done", "flow.end")], edges: [e("e1", "tick", "done")] };

describe.each(databaseKinds())("schedule controls on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let now: Date;
  let worker: Worker;

  beforeEach(async () => {
    now = new Date("2026-11-30T09:30:00Z");
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-schedule-controls-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database, { now: () => now });
    worker = new Worker(runtimeDeps(env.database, { now: () => now }), { id: `w-${kind.name}`, leaseMs: 60_000 });
  });
  afterEach(async () => {
    await env.dispose();
  });

  const at = async (iso: string) => {
    now = new Date(iso);
    await services.scheduler.tick();
    await worker.drain();
  };

  it("lists next instants and the last fire with its run; a paused schedule fires nothing and resumes from its next instant", async () => {
    const wf = await services.workflows.create({ name: "Hourly digest", graph: hourly });
    await services.publishing.publish({ id: wf.id });
    await at("2026-11-30T09:30:00Z");
    let [schedule] = await services.scheduler.list();
    expect(schedule).toMatchObject({
      workflowId: wf.id,
      workflowName: "Hourly digest",
      nodeId: "tick",
      cron: "0 * * * *",
      timezone: "UTC",
      paused: false,
      lastFireAt: null,
      lastRun: null,
      next: ["2026-11-30T10:00:00.000Z", "2026-11-30T11:00:00.000Z", "2026-11-30T12:00:00.000Z", "2026-11-30T13:00:00.000Z", "2026-11-30T14:00:00.000Z"],
    });

    await at("2026-11-30T10:00:10Z");
    [schedule] = await services.scheduler.list();
    const first = await env.database.db.run.findFirstOrThrow({ where: { workflowId: wf.id } });
    expect(schedule).toMatchObject({ lastFireAt: "2026-11-30T10:00:00.000Z", lastRun: { id: first.id, status: "succeeded" } });
    expect(schedule!.next[0]).toBe("2026-11-30T11:00:00.000Z");

    const paused = await services.scheduler.pause(schedule!.id, "operator");
    expect(paused).toMatchObject({ paused: true, next: [] });
    // Two instants pass while paused: nothing fires, and nothing is owed afterwards.
    await at("2026-11-30T11:00:05Z");
    await at("2026-11-30T12:00:05Z");
    expect(await env.database.db.run.count({ where: { workflowId: wf.id } })).toBe(1);

    now = new Date("2026-11-30T12:20:00Z");
    const resumed = await services.scheduler.resume(schedule!.id, "operator");
    expect(resumed).toMatchObject({ paused: false, pausedAt: null });
    expect(resumed.next[0]).toBe("2026-11-30T13:00:00.000Z");
    await at("2026-11-30T12:30:00Z");
    expect(await env.database.db.run.count({ where: { workflowId: wf.id } })).toBe(1);
    await at("2026-11-30T13:00:02Z");
    const runs = await env.database.db.run.findMany({ where: { workflowId: wf.id }, orderBy: { createdAt: "asc" }, select: { idempotencyKey: true } });
    expect(runs.map((r) => r.idempotencyKey)).toEqual(["schedule:tick:2026-11-30T10:00:00.000Z", "schedule:tick:2026-11-30T13:00:00.000Z"]);
    // Both changes are in the audit log.
    const actions = (await env.database.db.auditLog.findMany({ where: { action: { startsWith: "schedule." } }, orderBy: { createdAt: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["schedule.pause", "schedule.resume"]);
  });

  it("refuses an unknown schedule", async () => {
    await expect(services.scheduler.pause("no-such-schedule")).rejects.toThrow("no schedule 'no-such-schedule'");
  });
});
