import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { openDatabase, type Database } from "../../engine/store";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { ensureSecret } from "../../server/secret-key";
import { servicesFor, type Services } from "../../server/services";
import { takeToken } from "../../server/services/rate-bucket";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { e, n } from "../support/graph-builders";
import { startSink } from "../support/http-sink";

// Per-credential token buckets live in the database: takers on separate connections (as
// separate workers would be) never overdraw one, and an empty bucket makes the step wait
// through the engine's durable backoff.

describe.each(databaseKinds())("credential rate limits on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let secret: string;
  const connections: Database[] = [];

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-rate-")), DATABASE_URL: env.scratch.target.url });
    secret = ensureSecret(config.dataDir, config.secret).secret;
    services = servicesFor(config, env.database);
    for (let i = 0; i < 4; i++) connections.push(await openDatabase(env.scratch.target));
  });
  afterAll(async () => {
    for (const c of connections) await c.close();
    await env.dispose();
  });

  it("40 concurrent takers on 4 connections get exactly the bucket's 7 tokens, then one per refill", async () => {
    await services.credentials.create({ name: "limited", kind: "bearer", secret: { token: "t0ken-limited" }, rateLimit: { capacity: 7, refillPerSecond: 2 } });
    const at = Date.now();
    const takes = await Promise.all(Array.from({ length: 40 }, (_, i) => takeToken(connections[i % 4]!.db, "limited", () => at)));
    expect(takes.filter((t) => t.ok)).toHaveLength(7);
    const refused = takes.filter((t) => !t.ok) as { retryAfterMs: number }[];
    expect(refused).toHaveLength(33);
    // Empty: the next token comes after 1 / refillPerSecond.
    expect(Math.max(...refused.map((t) => t.retryAfterMs))).toBeLessThanOrEqual(500);
    // 1.6 s later: 3 tokens (3.2 accrued, whole tokens only), again shared by all connections.
    const later = await Promise.all(Array.from({ length: 12 }, (_, i) => takeToken(connections[i % 4]!.db, "limited", () => at + 1_600)));
    expect(later.filter((t) => t.ok)).toHaveLength(3);
    const row = await env.database.db.credential.findUniqueOrThrow({ where: { name: "limited" } });
    expect(row.rateTokens).toBeGreaterThanOrEqual(0);
    expect(row.rateTokens).toBeLessThan(1);
  });

  it("changes or clears a limit (audited); a credential without one is never limited", async () => {
    await services.credentials.create({ name: "free", kind: "bearer", secret: { token: "t0ken-free" } });
    const takes = await Promise.all(Array.from({ length: 20 }, () => takeToken(env.database.db, "free")));
    expect(takes.every((t) => t.ok)).toBe(true);
    expect(await services.credentials.setRateLimit({ name: "free", rateLimit: { capacity: 1, refillPerSecond: 0.5 } }, "operator")).toEqual({ name: "free", rateLimit: { capacity: 1, refillPerSecond: 0.5 } });
    expect((await services.credentials.list()).find((c) => c.name === "free")!.rateLimit).toEqual({ capacity: 1, refillPerSecond: 0.5 });
    expect((await takeToken(env.database.db, "free")).ok).toBe(true);
    expect((await takeToken(env.database.db, "free")).ok).toBe(false);
    await services.credentials.setRateLimit({ name: "free", rateLimit: null }, "operator");
    expect((await takeToken(env.database.db, "free")).ok).toBe(true);
    const audit = await env.database.db.auditLog.findMany({ where: { action: "credential.update", targetId: "free" } });
    expect(audit).toHaveLength(2);
    await expect(services.credentials.create({ name: "bad-rate", kind: "bearer", secret: { token: "x" }, rateLimit: { capacity: 0, refillPerSecond: 1 } })).rejects.toThrow("must be at least 1");
  });

  it("an empty bucket makes the step wait for the next token through the engine's backoff", async () => {
    const sink = await startSink();
    try {
      await services.credentials.create({ name: "slow-api", kind: "bearer", secret: { token: "t0ken-slow" }, rateLimit: { capacity: 1, refillPerSecond: 0.01 } });
      const graph = { schemaVersion: 1, nodes: [n("start", "trigger.manual"), n("call", "http.request", { url: `${sink.url}/x`, auth: { credential: "slow-api" } }), n("done", "flow.end")], edges: [e("a", "start", "call"), e("b", "call", "done")] };
      const wf = await services.workflows.create({ name: "Limited", graph });
      await services.publishing.publish({ id: wf.id });
      const first = await services.runs.start({ workflow: wf.id, input: {} });
      const second = await services.runs.start({ workflow: wf.id, input: {} });
      await new Worker(runtimeDeps(env.database, { secret }), { id: "rate" }).drain();
      const runs = await env.database.db.run.findMany({ where: { id: { in: [first.id, second.id] } } });
      expect(runs.map((r) => r.status).sort()).toEqual(["sleeping", "succeeded"]);
      expect(sink.calls).toHaveLength(1);
      const waiting = runs.find((r) => r.status === "sleeping")!;
      // Held back, not failed: no attempt is spent, however long the limit holds it.
      const throttled = await env.database.db.runEvent.findFirstOrThrow({ where: { runId: waiting.id, type: "node.throttled" } });
      expect((throttled.payload as { message: string }).message).toMatch(/^credential: 'slow-api' is rate limited; the next request may go in \d+ ms$/);
      expect(await env.database.db.runEvent.count({ where: { runId: waiting.id, type: "node.failed" } })).toBe(0);
      expect((await env.database.db.effect.findFirstOrThrow({ where: { runId: waiting.id } })).attempts).toBe(0);
      // Not before the next token: 1 / 0.01 per second = 100 s.
      expect(waiting.wakeAt!.getTime() - Date.now()).toBeGreaterThan(90_000);

      // Throttled more times than the node has attempts (the worker's clock passes each wake-up;
      // the bucket, on real time, stays empty), it still runs once a token is there.
      const later = (ms: number) => () => new Date(Date.now() + ms);
      for (let i = 1; i <= 6; i++) await new Worker(runtimeDeps(env.database, { secret, now: later(i * 101_000) }), { id: "rate" }).drain();
      // Logged once, not at every wake-up.
      expect(await env.database.db.runEvent.count({ where: { runId: waiting.id, type: "node.throttled" } })).toBe(1);
      expect(await env.database.db.runEvent.count({ where: { runId: waiting.id, type: "node.failed" } })).toBe(0);
      expect((await env.database.db.run.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe("sleeping");
      await services.credentials.setRateLimit({ name: "slow-api", rateLimit: { capacity: 1, refillPerSecond: 0.01 } }, "operator");
      await new Worker(runtimeDeps(env.database, { secret, now: later(7 * 101_000) }), { id: "rate" }).drain();
      expect((await env.database.db.run.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe("succeeded");
      expect((await env.database.db.effect.findFirstOrThrow({ where: { runId: waiting.id } })).attempts).toBe(1);
      expect(sink.calls).toHaveLength(2);
    } finally {
      await sink.close();
    }
  });
});
