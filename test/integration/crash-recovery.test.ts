import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { loadConfig } from "../../server/config";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { allowLoopback } from "../support/egress";
import { startSink } from "../support/http-sink";
import { runKeel } from "../support/keel-process";
import { e, n } from "../support/graph-builders";

// Real `keel worker` processes, killed with SIGKILL at each point of a step, then a fresh one
// finishes the run. A local HTTP sink counts calls per Idempotency-Key.


describe.each(databaseKinds())("crash recovery with real worker processes on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let dataDir: string;
  let workerEnv: Record<string, string>;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    await allowLoopback(env.database.db);
    dataDir = mkdtempSync(join(tmpdir(), "keel-crash-"));
    workerEnv = { KEEL_DATA_DIR: dataDir, DATABASE_URL: env.scratch.target.url, KEEL_LEASE_MS: "1500", KEEL_WORKER_IDLE_MS: "100" };
    services = servicesFor(loadConfig(workerEnv), env.database);
    sink = await startSink(() => ({ status: 200, body: { ok: true } }));
  });
  afterAll(async () => {
    await sink.close();
    await env.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function waitForStatus(runId: string, statuses: string[], timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { status } = await services.runs.get(runId);
      if (statuses.includes(status)) return status;
      if (Date.now() > deadline) throw new Error(`run ${runId} is still ${status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it.each([
    ["before-effect", 1],
    ["after-effect", 2],
    ["after-commit", 1],
  ] as const)("killed %s: nothing lost, a completed effect is never repeated", async (point, callsForFirstStep) => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("charge", "http.request", { method: "POST", url: `${sink.url}/charge`, body: { point } }), n("receipt", "http.request", { method: "POST", url: `${sink.url}/receipt` }), n("done", "flow.end")],
      edges: [e("e1", "start", "charge"), e("e2", "charge", "receipt"), e("e3", "receipt", "done")],
    };
    const wf = await services.workflows.create({ name: `Crash ${point}`, graph });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input: { point } });

    const doomed = runKeel(["worker", "--id", `doomed-${point}`], { ...workerEnv, KEEL_CRASH_AT: point });
    await doomed.exited;
    expect(doomed.child.signalCode).toBe("SIGKILL");
    expect(doomed.output()).toContain(`crashing ${point}`);

    const survivor = runKeel(["worker", "--id", `survivor-${point}`], workerEnv);
    try {
      expect(await waitForStatus(run.id, ["succeeded", "dead", "failed"])).toBe("succeeded");
    } finally {
      survivor.child.kill("SIGINT");
      expect(await survivor.exited).toBe(0);
    }

    const chargeKey = `${run.id}:charge:1`;
    const charges = sink.callsFor(chargeKey);
    expect(charges).toHaveLength(callsForFirstStep);
    expect(sink.callsFor(`${run.id}:receipt:1`)).toHaveLength(1);
    const effects = await env.database.db.effect.findMany({ where: { runId: run.id }, orderBy: { nodeId: "asc" } });
    expect(effects.map((x) => [x.nodeId, x.status, x.attempts])).toEqual([
      ["charge", "completed", callsForFirstStep],
      ["receipt", "completed", 1],
    ]);
    // The event log has each step completed once, in order, with no gaps in its sequence.
    const log = await services.runs.events(run.id);
    expect(log.map((x) => x.seq)).toEqual(log.map((_, i) => i + 1));
    expect(log.filter((x) => x.type === "node.completed").map((x) => x.nodeId)).toEqual(["start", "charge", "receipt"]);
  }, 90_000);

  it("a notification written by a step exists only with the step's commit: killed after the effect, none; finished by another worker, exactly one", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [n("start", "trigger.manual"), n("tell", "notify.operator", { title: "Order {{ input.order }} shipped" }), n("done", "flow.end")],
      edges: [e("e1", "start", "tell"), e("e2", "tell", "done")],
    };
    const wf = await services.workflows.create({ name: "Crash notify", graph });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input: { order: 7 } });

    const doomed = runKeel(["worker", "--id", "doomed-notify"], { ...workerEnv, KEEL_CRASH_AT: "after-effect" });
    await doomed.exited;
    expect(doomed.child.signalCode).toBe("SIGKILL");
    // The executor ran and returned its notification's id; the commit that would write it never came.
    expect(await env.database.db.notification.count({ where: { runId: run.id } })).toBe(0);

    const survivor = runKeel(["worker", "--id", "survivor-notify"], workerEnv);
    try {
      expect(await waitForStatus(run.id, ["succeeded", "dead", "failed"])).toBe("succeeded");
    } finally {
      survivor.child.kill("SIGINT");
      expect(await survivor.exited).toBe(0);
    }
    const rows = await env.database.db.notification.findMany({ where: { runId: run.id } });
    expect(rows.map((r) => [r.kind, r.title])).toEqual([[`step:${run.id}:tell:1`, "Order 7 shipped"]]);
    // The step's output names the row that was written.
    const effect = await env.database.db.effect.findUniqueOrThrow({ where: { key: `${run.id}:tell:1` } });
    expect(effect.result).toMatchObject({ port: "out", output: { notificationId: rows[0]!.id } });
  }, 90_000);

  it("a delay and an approval deadline still fire after the worker is killed and another starts", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("wait", "flow.delay", { duration: "PT2S" }),
        n("ask", "human.approval", { title: "Ship it?", deadline: "PT2S", onDeadline: "reject" }),
        n("shipped", "flow.end"),
        n("declined", "flow.end", { outcome: "failure" }),
      ],
      edges: [e("e1", "start", "wait"), e("e2", "wait", "ask"), { id: "e3", source: "ask", sourcePort: "approved", target: "shipped", targetPort: "in" }, { id: "e4", source: "ask", sourcePort: "rejected", target: "declined", targetPort: "in" }],
    };
    const wf = await services.workflows.create({ name: "Timers across restarts", graph });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id });

    const first = runKeel(["worker", "--id", "timers-1"], workerEnv);
    expect(await waitForStatus(run.id, ["sleeping"])).toBe("sleeping");
    first.child.kill("SIGKILL");
    await first.exited;

    const second = runKeel(["worker", "--id", "timers-2"], workerEnv);
    try {
      expect(await waitForStatus(run.id, ["waiting"])).toBe("waiting");
      second.child.kill("SIGKILL");
      await second.exited;
    } finally {
      second.child.kill("SIGKILL");
    }
    const third = runKeel(["worker", "--id", "timers-3"], workerEnv);
    try {
      // The approval's deadline passes with nobody deciding: onDeadline rejects.
      expect(await waitForStatus(run.id, ["failed", "succeeded", "dead"])).toBe("failed");
    } finally {
      third.child.kill("SIGINT");
      await third.exited;
    }
    const log = (await services.runs.events(run.id)).map((x) => x.type);
    expect(log).toEqual(expect.arrayContaining(["delay.started", "delay.finished", "approval.requested", "approval.rejected", "run.failed"]));
    const approval = await env.database.db.approval.findFirstOrThrow({ where: { runId: run.id } });
    expect([approval.status, approval.decidedBy]).toEqual(["expired", "deadline"]);
    expect(await env.database.db.timer.count({ where: { runId: run.id, firedAt: { not: null } } })).toBe(1);
  }, 90_000);
});
