import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { startSink } from "../support/http-sink";
import { runKeel } from "../support/keel-process";
import { e, n } from "../support/graph-builders";


function chain(url: string, steps: number, retry?: Record<string, number>): Graph {
  const nodes: Graph["nodes"] = [n("start", "trigger.manual")];
  const edges: Graph["edges"] = [];
  for (let i = 1; i <= steps; i++) {
    nodes.push(n(`s${i}`, "http.request", { method: "POST", url: `${url}/step/${i}`, body: { run: "{{ input.i }}" } }, retry ? { retry } : {}));
    edges.push(e(`e${i}`, i === 1 ? "start" : `s${i - 1}`, `s${i}`));
  }
  nodes.push(n("done", "flow.end"));
  edges.push(e("end", `s${steps}`, "done"));
  return { schemaVersion: 1, nodes, edges };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.each(databaseKinds().filter((k) => k.name === "postgres"))("many workers on $name", (kind) => {
  it("4 worker processes finish 500 runs of a 5-step workflow: every step once, no double claim, each worker a share", async () => {
    const env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const sink = await startSink(() => ({ status: 200, body: { ok: true } }));
    const dataDir = mkdtempSync(join(tmpdir(), "keel-load-"));
    dirs.push(dataDir);
    try {
      const workerEnv = { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url, KEEL_WORKER_IDLE_MS: "100" };
      const services = servicesFor(loadConfig(workerEnv), env.database);
      const wf = await services.workflows.create({ name: "Load", graph: chain(sink.url, 5) });
      await services.publishing.publish({ id: wf.id });
      for (let i = 0; i < 500; i++) await services.runs.start({ workflow: wf.id, input: { i } });

      const workers = [1, 2, 3, 4].map((i) => runKeel(["worker", "--id", `load-${i}`, "--concurrency", "2"], workerEnv));
      try {
        const deadline = Date.now() + 240_000;
        while ((await env.database.db.run.count({ where: { workflowId: wf.id, status: "succeeded" } })) < 500) {
          if (Date.now() > deadline) throw new Error("the workers did not finish 500 runs in time");
          if (workers.some((w) => w.child.exitCode !== null)) throw new Error(`a worker exited: ${workers.map((w) => w.output()).join("\n")}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      } finally {
        for (const w of workers) w.child.kill("SIGINT");
        await Promise.all(workers.map((w) => w.exited));
      }

      const effects = await env.database.db.effect.findMany({ where: { run: { workflowId: wf.id } }, select: { key: true, status: true, attempts: true } });
      expect(effects).toHaveLength(2_500);
      expect(effects.every((x) => x.status === "completed" && x.attempts === 1)).toBe(true);
      // The sink saw each key exactly once: no step ran twice, so no run was worked by two.
      const perKey = new Map<string, number>();
      for (const call of sink.calls) perKey.set(call.key!, (perKey.get(call.key!) ?? 0) + 1);
      expect(perKey.size).toBe(2_500);
      expect([...perKey.values()].every((count) => count === 1)).toBe(true);
      // Every lease was given back, and each worker completed a share of the steps.
      expect(await env.database.db.run.count({ where: { workflowId: wf.id, leaseOwner: { not: null } } })).toBe(0);
      const completions = await env.database.db.runEvent.findMany({ where: { run: { workflowId: wf.id }, type: "node.completed" }, select: { payload: true } });
      const byWorker = new Map<string, number>();
      for (const c of completions) {
        const worker = (c.payload as { worker?: string }).worker;
        if (worker) byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
      }
      expect([...byWorker.keys()].sort()).toEqual(["load-1", "load-2", "load-3", "load-4"]);
      expect([...byWorker.values()].reduce((a, b) => a + b, 0)).toBe(2_500);
      for (const count of byWorker.values()) expect(count).toBeGreaterThan(50);
    } finally {
      await sink.close();
      await env.dispose();
    }
  }, 300_000);
});

describe.each(databaseKinds().filter((k) => k.name === "sqlite"))("web and workers sharing one SQLite file", (kind) => {
  it("2 worker processes and this process writing at once: every run finishes, every step once", async () => {
    const env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    const sink = await startSink(() => ({ status: 200, body: { ok: true } }));
    const dataDir = mkdtempSync(join(tmpdir(), "keel-sqlite-load-"));
    dirs.push(dataDir);
    try {
      const workerEnv = { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url, KEEL_WORKER_IDLE_MS: "50" };
      const services = servicesFor(loadConfig(workerEnv), env.database);
      const wf = await services.workflows.create({ name: "Shared file", graph: chain(sink.url, 3) });
      await services.publishing.publish({ id: wf.id });
      const workers = [1, 2].map((i) => runKeel(["worker", "--id", `sqlite-${i}`, "--concurrency", "2"], workerEnv));
      try {
        // Start runs, publish new versions and read while the workers write.
        for (let i = 0; i < 60; i++) {
          await services.runs.start({ workflow: wf.id, input: { i } });
          if (i % 20 === 10) {
            await services.workflows.saveDraft({ id: wf.id, graph: chain(`${sink.url}/v${i}`, 3) });
            await services.publishing.publish({ id: wf.id, notes: `v${i}` });
          }
        }
        const deadline = Date.now() + 120_000;
        while ((await env.database.db.run.count({ where: { workflowId: wf.id, status: "succeeded" } })) < 60) {
          if (Date.now() > deadline) throw new Error("the workers did not finish in time");
          if (workers.some((w) => w.child.exitCode !== null)) throw new Error(`a worker exited: ${workers.map((w) => w.output()).join("\n")}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        for (const w of workers) w.child.kill("SIGINT");
        await Promise.all(workers.map((w) => w.exited));
      }
      expect(workers.map((w) => w.output()).join("\n")).not.toMatch(/SQLITE_BUSY|database is locked/);
      const perKey = new Map<string, number>();
      for (const call of sink.calls) perKey.set(call.key!, (perKey.get(call.key!) ?? 0) + 1);
      expect(perKey.size).toBe(180);
      expect([...perKey.values()].every((count) => count === 1)).toBe(true);
      expect(await env.database.db.workflowVersion.count({ where: { workflowId: wf.id } })).toBe(4);
    } finally {
      await sink.close();
      await env.dispose();
    }
  }, 180_000);
});

describe.each(databaseKinds())("a flaky peer on $name", (kind) => {
  it("50 runs against 30 % 5xx, 10 % timeouts and 429 with Retry-After: ≥ 95 % succeed, the rest are dead letters, nothing lost", async () => {
    const env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sink = await startSink(() => {
      const roll = random();
      if (roll < 0.3) return { status: 503 };
      if (roll < 0.4) return { status: 200, delayMs: 1_500 }; // longer than the step timeout
      if (roll < 0.45) return { status: 429, headers: { "retry-after": "1" } };
      return { status: 200, body: { ok: true } };
    });
    try {
      const services = servicesFor(loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-flaky-")), DATABASE_URL: env.scratch.target.url }), env.database);
      // With 45 % of calls failing, 8 attempts leave a step failing for good 0.2 % of the time.
      const retry = { attempts: 8, initialDelayMs: 100, maxDelayMs: 800, factor: 2, timeoutMs: 500 };
      const wf = await services.workflows.create({ name: "Flaky", graph: chain(sink.url, 2, retry) });
      await services.publishing.publish({ id: wf.id });
      const runs: string[] = [];
      for (let i = 0; i < 50; i++) runs.push((await services.runs.start({ workflow: wf.id, input: { i } })).id);

      const worker = new Worker(runtimeDeps(env.database), { id: `flaky-${kind.name}`, concurrency: 8, leaseMs: 10_000, idleMs: 50 });
      worker.start();
      const deadline = Date.now() + 120_000;
      const settled = () => env.database.db.run.count({ where: { id: { in: runs }, status: { in: ["succeeded", "dead"] } } });
      while ((await settled()) < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      await worker.stop();

      const statuses = await env.database.db.run.findMany({ where: { id: { in: runs } }, select: { id: true, status: true } });
      const succeeded = statuses.filter((s) => s.status === "succeeded").length;
      const dead = statuses.filter((s) => s.status === "dead").map((s) => s.id);
      expect(succeeded + dead.length).toBe(50);
      expect(succeeded).toBeGreaterThanOrEqual(48);
      const letters = await env.database.db.deadLetter.findMany({ where: { runId: { in: runs } } });
      expect(letters.map((l) => l.runId).sort()).toEqual(dead.sort());
      for (const letter of letters) expect((letter.packet as { attempts: unknown[] }).attempts).toHaveLength(retry.attempts);

      // Retry-After was honoured: the call after a 429 for the same key came at least 1 s later.
      const throttled = sink.calls.filter((c) => c.status === 429);
      expect(throttled.length).toBeGreaterThan(0);
      for (const call of throttled) {
        const next = sink.calls.find((c) => c.key === call.key && c.at > call.at);
        if (next) expect(next.at - call.at).toBeGreaterThanOrEqual(1_000);
      }
      // Nothing lost: every run finished either way, each step key called at least once.
      expect(new Set(sink.calls.map((c) => c.key)).size).toBeGreaterThanOrEqual(50);
    } finally {
      await sink.close();
      await env.dispose();
    }
  }, 180_000);
});
