import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { ValidationError } from "../../engine/errors";
import { json, openDatabase, type Db } from "../../engine/store";
import { loadConfig } from "../../server/config";
import {
  pruneRunPayloads,
  readRetentionSettings,
  runRetention,
  saveRetentionSettings,
  startRetentionTimer,
} from "../../server/services/retention";
import { insertRun, insertWorkflow } from "../support/business-data";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { runKeel } from "../support/keel-process";
import { snapshotTables } from "../support/table-snapshot";

const DAY = 86_400_000;
const NOW = new Date("2026-11-30T12:00:00.000Z");
const daysAgo = (days: number, from = NOW) => new Date(from.getTime() - days * DAY);

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "keel-retention-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function loadRun(db: Db, id: string) {
  return db.run.findUniqueOrThrow({
    where: { id },
    include: {
      events: { orderBy: { seq: "asc" } },
      checkpoints: { orderBy: { seq: "asc" } },
      effects: { orderBy: { key: "asc" } },
      deadLetters: true,
    },
  });
}

async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe.each(databaseKinds())("run payload retention on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let db: Db;
  let ids: { workflowId: string; versionId: string };

  beforeEach(async () => {
    env = await migratedDatabase(kind);
    db = env.database.db;
    ids = await insertWorkflow(db);
  });
  afterEach(async () => {
    await env.dispose();
  });

  it("tombstones approvals, dead-letter packets, timer payloads and webhook bodies of old runs, keeping who decided what and when", async () => {
    const old = await insertRun(db, ids, { finishedAt: daysAgo(100) });
    const recent = await insertRun(db, ids, { finishedAt: daysAgo(10) });
    const inReview = await insertRun(db, ids, { finishedAt: daysAgo(120), status: "dead", openDeadLetter: true });
    const decidedAt = daysAgo(101);
    for (const runId of [old, recent, inReview]) {
      await db.approval.create({
        data: { runId, nodeId: "ask", visit: 1, status: "approved", packet: json({ proposal: { refund: 120, card: "4242" } }), editedData: json({ refund: 100 }), decidedBy: "operator", decidedAt, comment: "ok" },
      });
      await db.timer.create({ data: { key: `${runId}:ask:1:remind`, kind: "notification", runId, nodeId: "ask", payload: json({ email: "ada@example.com" }), fireAt: decidedAt, firedAt: decidedAt } });
      await db.webhookDelivery.create({ data: { workflowId: ids.workflowId, authenticatedBy: "signature", body: json({ customer: "ada@example.com" }), contentType: "application/json", runId, receivedAt: daysAgo(101) } });
    }
    await db.deadLetter.create({ data: { runId: old, nodeId: "send", status: "retried", packet: json({ input: { email: "ada@example.com" } }), resolvedBy: "operator", resolvedAt: decidedAt } });

    const result = await pruneRunPayloads(db, { now: NOW, days: 90 });
    expect(result).toMatchObject({ runs: 1, approvals: 1, deadLetters: 1, timers: 1, webhookDeliveries: 1 });

    const tombstone = { pruned: NOW.toISOString() };
    const approval = await db.approval.findFirstOrThrow({ where: { runId: old } });
    expect(approval).toMatchObject({ status: "approved", decidedBy: "operator", decidedAt, packet: tombstone, editedData: tombstone });
    expect(await db.deadLetter.findFirstOrThrow({ where: { runId: old } })).toMatchObject({ status: "retried", resolvedBy: "operator", packet: tombstone });
    expect(await db.timer.findFirstOrThrow({ where: { runId: old } })).toMatchObject({ kind: "notification", firedAt: decidedAt, payload: tombstone });
    expect(await db.webhookDelivery.findFirstOrThrow({ where: { runId: old } })).toMatchObject({ authenticatedBy: "signature", body: tombstone });
    // Nothing is deleted, and recent or in-review runs keep every payload.
    for (const runId of [recent, inReview]) {
      expect((await db.approval.findFirstOrThrow({ where: { runId } })).packet).toEqual({ proposal: { refund: 120, card: "4242" } });
      expect((await db.timer.findFirstOrThrow({ where: { runId } })).payload).toEqual({ email: "ada@example.com" });
      expect((await db.webhookDelivery.findFirstOrThrow({ where: { runId } })).body).toEqual({ customer: "ada@example.com" });
    }
    expect((await db.deadLetter.findFirstOrThrow({ where: { runId: inReview, status: "open" } })).packet).not.toEqual(tombstone);
    expect(await pruneRunPayloads(db, { now: NOW, days: 90 })).toMatchObject({ runs: 0, approvals: 0, deadLetters: 0, timers: 0, webhookDeliveries: 0 });
  });

  it("tombstones the payloads of old finished runs and keeps their skeleton; recent, unfinished and in-review runs are untouched; a second prune changes nothing", async () => {
    const oldSucceeded = await insertRun(db, ids, { finishedAt: daysAgo(100) });
    const oldFailed = await insertRun(db, ids, {
      finishedAt: daysAgo(91),
      status: "failed",
      output: null,
      error: { message: "card declined", card: "4242 4242 4242 4242" },
    });
    const recent = await insertRun(db, ids, { finishedAt: daysAgo(89) });
    const unfinished = await insertRun(db, ids, { finishedAt: null, status: "waiting", createdAt: daysAgo(200) });
    const inReview = await insertRun(db, ids, { finishedAt: daysAgo(120), status: "dead", openDeadLetter: true });
    const all = [oldSucceeded, oldFailed, recent, unfinished, inReview];
    const before = Object.fromEntries(await Promise.all(all.map(async (id) => [id, await loadRun(db, id)] as const)));

    const result = await pruneRunPayloads(db, { now: NOW, days: 90 });
    // Two runs; per run 3 events with a payload (one has none), 2 of 3 checkpoints, 2 effects.
    expect(result).toEqual({ runs: 2, events: 6, checkpoints: 4, effects: 4, approvals: 0, deadLetters: 0, timers: 0, webhookDeliveries: 0, cutoff: daysAgo(90).toISOString() });

    const tombstone = `pruned ${NOW.toISOString()}`;
    for (const id of [oldSucceeded, oldFailed]) {
      const was = before[id]!;
      const now = await loadRun(db, id);
      // Events: type, node, seq and time stay; the payload is replaced by the tombstone.
      expect(now.events).toEqual(
        was.events.map((event) => (event.payload === null ? event : { ...event, payload: null, tombstone })),
      );
      expect(now.events.filter((event) => event.tombstone === tombstone)).toHaveLength(3);
      // Only the last checkpoint, with its snapshot.
      expect(now.checkpoints).toEqual([was.checkpoints.at(-1)]);
      expect(now.checkpoints[0]!.snapshot).toEqual({ value: "state-3", context: { visits: { send: 3 } } });
      // Effects keep status, key, attempts, node, costs and times; lose request, result, error.
      expect(now.effects).toEqual(was.effects.map((effect) => ({ ...effect, request: null, result: null, error: null })));
      // The run: input, output, error become a tombstone where there was a value.
      const { events: _e1, checkpoints: _c1, effects: _f1, updatedAt: _u1, ...runNow } = now;
      const { events: _e2, checkpoints: _c2, effects: _f2, updatedAt: _u2, ...runWas } = was;
      expect(runNow).toEqual({
        ...runWas,
        input: { pruned: NOW.toISOString() },
        output: runWas.output === null ? null : { pruned: NOW.toISOString() },
        error: runWas.error === null ? null : { pruned: NOW.toISOString() },
      });
    }
    expect((await loadRun(db, oldFailed)).output).toBeNull();
    expect((await loadRun(db, oldFailed)).error).toEqual({ pruned: NOW.toISOString() });
    for (const id of [recent, unfinished, inReview]) expect(await loadRun(db, id)).toEqual(before[id]);

    // Idempotent: nothing left to do, and not one row changes.
    const rows = await snapshotTables(env.scratch.target);
    expect(await pruneRunPayloads(db, { now: NOW, days: 90 })).toEqual({ runs: 0, events: 0, checkpoints: 0, effects: 0, approvals: 0, deadLetters: 0, timers: 0, webhookDeliveries: 0, cutoff: result.cutoff });
    expect(await snapshotTables(env.scratch.target)).toEqual(rows);

    // Two days on, the recent run is old enough too; the pruned ones are left as they are.
    const later = new Date(NOW.getTime() + 2 * DAY);
    expect(await pruneRunPayloads(db, { now: later, days: 90, batchSize: 1 })).toMatchObject({ runs: 1, events: 3, checkpoints: 2, effects: 2 });
    expect((await loadRun(db, recent)).input).toEqual({ pruned: later.toISOString() });
    expect((await loadRun(db, oldSucceeded)).input).toEqual({ pruned: NOW.toISOString() });
  });

  it("reads the retention setting (default 90 days), validates it, and prunes with it, recording an audit entry", async () => {
    expect(await readRetentionSettings(db)).toEqual({ runPayloadDays: 90 });
    const refused = saveRetentionSettings(db, { runPayloadDays: 0 });
    await expect(refused).rejects.toBeInstanceOf(ValidationError);
    await expect(refused).rejects.toMatchObject({
      message: "setting retention.runPayloadDays: must be at least 1 day",
      issues: [{ path: "retention.runPayloadDays", message: "must be at least 1 day" }],
    });
    expect(await db.setting.findUnique({ where: { key: "retention" } })).toBeNull();
    expect(await saveRetentionSettings(db, { runPayloadDays: 30 })).toEqual({ runPayloadDays: 30 });
    expect(await readRetentionSettings(db)).toEqual({ runPayloadDays: 30 });

    const forty = await insertRun(db, ids, { finishedAt: daysAgo(40) });
    const twenty = await insertRun(db, ids, { finishedAt: daysAgo(20) });
    const result = await runRetention(env.database, { now: NOW, actor: "cli" });
    expect(result).toMatchObject({ days: 30, runs: 1, events: 3, checkpoints: 2, effects: 2 });
    expect((await loadRun(db, forty)).input).toEqual({ pruned: NOW.toISOString() });
    expect((await loadRun(db, twenty)).input).not.toHaveProperty("pruned");
    const entries = await db.auditLog.findMany({ where: { action: "retention.prune" } });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: "cli", detail: { days: 30, runs: 1, events: 3, checkpoints: 2, effects: 2 } });

    await db.setting.update({ where: { key: "retention" }, data: { value: json({ runPayloadDays: "a month" }) } });
    await expect(readRetentionSettings(db)).rejects.toBeInstanceOf(ValidationError);
    await expect(runRetention(env.database, { now: NOW, actor: "cli" })).rejects.toThrow(/^setting retention\.runPayloadDays: /);
  });

  it(kind.name === "sqlite" ? "VACUUMs after pruning a large payload set, and the file gets smaller" : "never VACUUMs PostgreSQL", async () => {
    const big = "x".repeat(8_000);
    const run = await insertRun(db, ids, { finishedAt: daysAgo(365), eventPayloads: [], checkpoints: 0, effects: 0 });
    await db.runEvent.createMany({
      data: Array.from({ length: 400 }, (_, i) => ({ runId: run, seq: i + 1, type: "step", nodeId: `n${i % 5}`, payload: json({ i, big }) })),
    });
    await db.checkpoint.createMany({
      data: Array.from({ length: 100 }, (_, i) => ({ runId: run, seq: i + 1, snapshot: json({ i, big }), machineHash: "h" })),
    });
    const target = env.scratch.target;
    const fileSize = async () => {
      if (target.provider !== "sqlite") return 0;
      await db.$queryRawUnsafe("PRAGMA wal_checkpoint(TRUNCATE)");
      return statSync(target.file).size;
    };
    const sizeBefore = await fileSize();

    const result = await runRetention(env.database, { now: NOW, days: 90, actor: "cli" });
    expect(result).toMatchObject({ runs: 1, events: 400, checkpoints: 99 });
    if (target.provider === "sqlite") {
      expect(result.vacuumed).toBe(true);
      expect(result.freePages / result.pageCount).toBeGreaterThan(0.25);
      expect(sizeBefore).toBeGreaterThan(4_000_000);
      expect(await fileSize()).toBeLessThan(sizeBefore / 4);
      // A second pass finds little free space and leaves the file alone.
      expect((await runRetention(env.database, { now: NOW, days: 90, actor: "cli" })).vacuumed).toBe(false);
    } else {
      expect(result).toMatchObject({ vacuumed: false, freePages: 0, pageCount: 0 });
    }
    // The skeleton is still all there.
    expect(await db.runEvent.count({ where: { runId: run, tombstone: `pruned ${NOW.toISOString()}` } })).toBe(400);
  });

  it("runs on a timer: at once, again after the interval, not after stop; failures are logged, never thrown", async () => {
    const config = loadConfig({ KEEL_DATA_DIR: tempDir(), DATABASE_URL: env.scratch.target.url });
    const lines: string[] = [];
    const first = await insertRun(db, ids, { finishedAt: daysAgo(100) });
    const timer = startRetentionTimer(config, { log: (line) => lines.push(line), intervalMs: 300, now: () => NOW });
    try {
      await until(() => lines.length >= 1);
      expect(lines[0]).toMatch(/^retention: pruned the payloads of 1 run\(s\) finished before 2026-09-01T12:00:00\.000Z \(90 days\)/);
      expect((await loadRun(db, first)).input).toEqual({ pruned: NOW.toISOString() });

      const second = await insertRun(db, ids, { finishedAt: daysAgo(100) });
      await until(() => lines.length >= 2);
      expect(lines[1]).toMatch(/^retention: pruned the payloads of 1 run\(s\)/);
      expect((await loadRun(db, second)).input).toEqual({ pruned: NOW.toISOString() });
      // The scheduled pass records what it changed as the system, and quiet passes record nothing.
      const entries = await db.auditLog.findMany({ where: { action: "retention.prune" } });
      expect(entries.map((e) => [e.actor, (e.detail as { runs: number }).runs])).toEqual([["system", 1], ["system", 1]]);
    } finally {
      timer.stop();
    }
    const third = await insertRun(db, ids, { finishedAt: daysAgo(100) });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await loadRun(db, third)).input).not.toHaveProperty("pruned");
    expect(lines).toHaveLength(2);

    const failures: string[] = [];
    const broken = startRetentionTimer(loadConfig({ KEEL_DATA_DIR: tempDir(), DATABASE_URL: "postgresql://keel@127.0.0.1:1/keel" }), {
      log: (line) => failures.push(line),
      intervalMs: 1_000,
    });
    try {
      await until(() => failures.length >= 2);
      expect(failures[0]).toMatch(/^retention failed \(next try in 1 s\): /);
    } finally {
      broken.stop();
    }
  });
});

describe.each(databaseKinds())("keel prune on $name", (kind) => {
  it("prunes with --days, says what it did, records the audit entry, and refuses a bad --days", async () => {
    const dataDir = tempDir();
    const scratch = kind.name === "postgres" ? await kind.create() : undefined;
    const env: Record<string, string> = { KEEL_DATA_DIR: dataDir, ...(scratch ? { DATABASE_URL: scratch.target.url } : {}) };
    try {
      const migrated = runKeel(["migrate"], env);
      expect(await migrated.exited, migrated.output()).toBe(0);
      const database = await openDatabase(loadConfig(env).database);
      let old: string;
      let recent: string;
      try {
        const ids = await insertWorkflow(database.db);
        old = await insertRun(database.db, ids, { finishedAt: daysAgo(40, new Date()) });
        recent = await insertRun(database.db, ids, { finishedAt: daysAgo(20, new Date()) });
      } finally {
        await database.close();
      }

      const prune = runKeel(["prune", "--days", "30"], env);
      expect(await prune.exited, prune.output()).toBe(0);
      expect(prune.output()).toMatch(/^keel: pruned the payloads of 1 run\(s\) finished before \S+ \(30 days\): 3 event\(s\), 2 checkpoint\(s\) deleted, 2 effect\(s\)$/m);

      const again = runKeel(["prune"], env);
      expect(await again.exited, again.output()).toBe(0);
      expect(again.output()).toMatch(/^keel: no run finished before \S+ \(90 days\) had payloads left to prune$/m);

      const bad = runKeel(["prune", "--days", "0"], env);
      expect(await bad.exited).toBe(1);
      expect(bad.output().trim()).toBe("keel: --days: must be a whole number of days, at least 1 (got '0')");

      const check = await openDatabase(loadConfig(env).database);
      try {
        expect((await loadRun(check.db, old)).input).toHaveProperty("pruned");
        expect((await loadRun(check.db, recent)).input).not.toHaveProperty("pruned");
        const entries = await check.db.auditLog.findMany({ where: { action: "retention.prune" }, orderBy: { createdAt: "asc" } });
        expect(entries.map((e) => [e.actor, (e.detail as { days: number; runs: number }).days, (e.detail as { runs: number }).runs])).toEqual([
          ["cli", 30, 1],
          ["cli", 90, 0],
        ]);
      } finally {
        await check.close();
      }
    } finally {
      await scratch?.dispose();
    }
  });
});
