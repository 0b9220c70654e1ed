import type { CompiledWorkflow } from "../graph/compile";
import type { Graph } from "../graph/schema";
import { json, type Database, type Db } from "../store";
import { DbNull } from "../store/json";
import { LeaseLostError, type ApprovalRecord, type EffectRecord, type LoadedRun, type NewRun, type RunRecord, type RunStore, type StepCommit } from "./store";

// The runtime's store over Prisma, for SQLite and Postgres alike. Claims are single atomic
// statements (an UPDATE whose WHERE picks the run), because a read-then-write transaction
// fails across SQLite processes; Postgres adds FOR UPDATE SKIP LOCKED so workers never queue
// behind each other. A commit's first statement is the lease check, a write, so SQLite takes
// its write lock at once.

type RawRun = {
  id: string;
  workflowId: string;
  versionId: string;
  status: RunRecord["status"];
  input: unknown;
  leaseOwner: string | null;
  leaseExpiresAt: Date | string | null;
  wakeAt: Date | string | null;
  parentRunId: string | null;
  triggerNodeId: string | null;
};

const toDate = (value: Date | string | null): Date | null => (value === null ? null : value instanceof Date ? value : new Date(value));

function fromRaw(row: RawRun): RunRecord {
  return {
    ...row,
    input: typeof row.input === "string" ? JSON.parse(row.input) : row.input,
    leaseExpiresAt: toDate(row.leaseExpiresAt),
    wakeAt: toDate(row.wakeAt),
  };
}

// Prisma's defaults (2 s to start a transaction, 5 s to finish it) are too short when several
// processes share one SQLite file: a commit may wait for another process's write lock, and the
// adapter runs one transaction at a time per process.
const TX_OPTIONS = { maxWait: 20_000, timeout: 30_000 };

/** SQLite's "database is locked": another process holds the write lock; try again shortly. */
export function isBusy(error: unknown): boolean {
  const text = `${(error as { code?: unknown })?.code ?? ""} ${(error as { message?: unknown })?.message ?? ""}`;
  return /SQLITE_BUSY|database is locked/.test(text);
}

/** The Setting row behind the global pause switch (value: true while paused). */
export const ENGINE_PAUSED_SETTING = "engine.paused";

const RUN_FIELDS = `"id", "workflowId", "versionId", "status", "input", "leaseOwner", "leaseExpiresAt", "wakeAt", "parentRunId", "triggerNodeId"`;

export class PrismaRunStore implements RunStore {
  private readonly db: Db;

  constructor(private readonly database: Database) {
    this.db = database.db;
  }

  /** A timestamp as the driver adapter stores it, so SQL comparisons on SQLite's text dates hold. */
  private time(date: Date): Date | string {
    return this.database.provider === "sqlite" ? date.toISOString().replace("Z", "+00:00") : date;
  }

  async createRun(input: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    const select = { id: true, workflowId: true, versionId: true, status: true, input: true, leaseOwner: true, leaseExpiresAt: true, wakeAt: true, parentRunId: true, triggerNodeId: true } as const;
    if (input.idempotencyKey) {
      const existing = await this.db.run.findUnique({ where: { workflowId_idempotencyKey: { workflowId: input.workflowId, idempotencyKey: input.idempotencyKey } }, select });
      if (existing) return { run: existing as RunRecord, created: false };
    }
    try {
      const run = await this.db.run.create({
        data: {
          workflowId: input.workflowId,
          versionId: input.versionId,
          input: json(input.input ?? null),
          idempotencyKey: input.idempotencyKey ?? null,
          trigger: input.trigger,
          triggerNodeId: input.triggerNodeId ?? null,
          parentRunId: input.parentRunId ?? null,
          parentNodeId: input.parentNodeId ?? null,
        },
        select,
      });
      return { run: run as RunRecord, created: true };
    } catch (error) {
      if (input.idempotencyKey && (error as { code?: string }).code === "P2002") {
        const existing = await this.db.run.findUniqueOrThrow({ where: { workflowId_idempotencyKey: { workflowId: input.workflowId, idempotencyKey: input.idempotencyKey } }, select });
        return { run: existing as RunRecord, created: false };
      }
      throw error;
    }
  }

  async enginePaused(): Promise<boolean> {
    const row = await this.db.setting.findUnique({ where: { key: ENGINE_PAUSED_SETTING }, select: { value: true } });
    return row?.value === true;
  }

  async claimRun(workerId: string, now: Date, leaseMs: number): Promise<RunRecord | null> {
    const at = this.time(now);
    const until = this.time(new Date(now.getTime() + leaseMs));
    const cast = this.database.provider === "postgresql" ? `::"RunStatus"` : "";
    // SQLite takes positional ? (each use its own argument); Postgres numbered $n.
    const pg = this.database.provider === "postgresql";
    const [owner, lease, time] = pg ? ["$1", "$2", "$3"] : ["?", "?", "?"];
    // A workflow's maxConcurrentRuns holds runs back while that many of its runs are working.
    const sql = `UPDATE "Run" SET "status" = 'running'${cast}, "leaseOwner" = ${owner}, "leaseExpiresAt" = ${lease}, "startedAt" = COALESCE("startedAt", ${time}), "updatedAt" = ${time}
       WHERE "id" = (
         SELECT r."id" FROM "Run" r JOIN "Workflow" w ON w."id" = r."workflowId"
         WHERE (r."status" = 'queued'${cast}
            OR (r."status" IN ('sleeping'${cast}, 'waiting'${cast}) AND r."wakeAt" IS NOT NULL AND r."wakeAt" <= ${time})
            OR (r."status" = 'running'${cast} AND r."leaseExpiresAt" < ${time}))
           AND (w."maxConcurrentRuns" IS NULL
             OR (SELECT COUNT(*) FROM "Run" x WHERE x."workflowId" = r."workflowId" AND x."status" = 'running'${cast} AND x."id" <> r."id") < w."maxConcurrentRuns")
         ORDER BY r."createdAt" LIMIT 1 ${pg ? "FOR UPDATE OF r SKIP LOCKED" : ""}
       )
       RETURNING ${RUN_FIELDS}`;
    let rows: RawRun[];
    try {
      rows = await this.db.$queryRawUnsafe<RawRun[]>(sql, ...(pg ? [workerId, until, at] : [workerId, until, at, at, at, at]));
    } catch (error) {
      // Another process is writing: nothing claimed this time; the worker asks again.
      if (isBusy(error)) return null;
      throw error;
    }
    return rows[0] ? fromRaw(rows[0]) : null;
  }

  async claimSpecific(runId: string, workerId: string, statuses: RunRecord["status"][], now: Date, leaseMs: number): Promise<RunRecord | null> {
    const { count } = await this.db.run.updateMany({
      where: { id: runId, status: { in: statuses } },
      data: { status: "running", leaseOwner: workerId, leaseExpiresAt: new Date(now.getTime() + leaseMs) },
    });
    return count === 1 ? (await this.loadRun(runId)).run : null;
  }

  async heartbeat(runId: string, workerId: string, leaseExpiresAt: Date): Promise<boolean> {
    try {
      const { count } = await this.db.run.updateMany({ where: { id: runId, leaseOwner: workerId, status: "running" }, data: { leaseExpiresAt } });
      return count === 1;
    } catch (error) {
      // Busy is not lost: the next heartbeat (a third of the lease later) tries again.
      if (isBusy(error)) return true;
      throw error;
    }
  }

  async loadRun(runId: string): Promise<LoadedRun> {
    const run = await this.db.run.findUniqueOrThrow({
      where: { id: runId },
      select: {
        id: true,
        workflowId: true,
        versionId: true,
        status: true,
        input: true,
        leaseOwner: true,
        leaseExpiresAt: true,
        wakeAt: true,
        parentRunId: true,
        triggerNodeId: true,
        startedAt: true,
        stepOverrides: true,
        workflow: { select: { maxRunSeconds: true } },
        version: { select: { machine: true, hash: true, graph: true } },
      },
    });
    const [checkpoint, last] = await Promise.all([
      this.db.checkpoint.findFirst({ where: { runId }, orderBy: { seq: "desc" }, select: { seq: true, snapshot: true } }),
      this.db.runEvent.findFirst({ where: { runId }, orderBy: { seq: "desc" }, select: { seq: true } }),
    ]);
    const { version, workflow, startedAt, stepOverrides, ...rest } = run;
    const stored = version.machine as Omit<CompiledWorkflow, "hash">;
    return {
      run: rest as RunRecord,
      graph: version.graph as Graph,
      compiled: { ...stored, hash: version.hash },
      checkpoint,
      nextSeq: (last?.seq ?? 0) + 1,
      startedAt,
      maxRunMs: workflow.maxRunSeconds ? workflow.maxRunSeconds * 1000 : null,
      stepOverrides: (stepOverrides ?? {}) as LoadedRun["stepOverrides"],
    };
  }

  async effect(key: string): Promise<EffectRecord | null> {
    const row = await this.db.effect.findUnique({ where: { key }, select: { key: true, status: true, result: true, attempts: true } });
    return row as EffectRecord | null;
  }

  async beginEffect(input: { key: string; runId: string; nodeId: string; visit: number; nodeType: string; request: unknown }): Promise<EffectRecord> {
    const row = await this.db.effect.upsert({
      where: { key: input.key },
      create: { key: input.key, runId: input.runId, nodeId: input.nodeId, visit: input.visit, nodeType: input.nodeType, request: json(input.request ?? null), status: "started", attempts: 1 },
      update: { status: "started", attempts: { increment: 1 }, request: json(input.request ?? null), error: DbNull },
      select: { key: true, status: true, result: true, attempts: true },
    });
    return row as EffectRecord;
  }

  async commit(step: StepCommit): Promise<void> {
    const now = new Date();
    await this.db.$transaction(async (tx) => {
      const run = step.run ?? {};
      const { count } = await tx.run.updateMany({
        where: { id: step.runId, leaseOwner: step.workerId, status: "running" },
        data: {
          // Never empty: Prisma answers an empty update with count 0 without asking the database.
          updatedAt: now,
          ...(run.status ? { status: run.status } : {}),
          ...(run.output !== undefined ? { output: run.output === null ? DbNull : json(run.output) } : {}),
          ...(run.error !== undefined ? { error: run.error === null ? DbNull : json(run.error) } : {}),
          ...(run.wakeAt !== undefined ? { wakeAt: run.wakeAt } : {}),
          ...(run.finished ? { finishedAt: now } : {}),
          ...(run.costTokens ? { costTokens: { increment: run.costTokens } } : {}),
          ...(run.costUnits ? { costUnits: { increment: run.costUnits } } : {}),
          ...(step.release ? { leaseOwner: null, leaseExpiresAt: null } : {}),
        },
      });
      if (count !== 1) throw new LeaseLostError(step.runId);
      if (step.effect) {
        await tx.effect.update({
          where: { key: step.effect.key },
          data: {
            status: step.effect.status,
            ...(step.effect.result !== undefined ? { result: json(step.effect.result) } : {}),
            ...(step.effect.error !== undefined ? { error: json(step.effect.error) } : {}),
            ...(step.effect.status === "completed" ? { completedAt: now } : {}),
            ...(step.effect.costTokens ? { costTokens: step.effect.costTokens } : {}),
            ...(step.effect.costUnits ? { costUnits: step.effect.costUnits } : {}),
          },
        });
      }
      if (step.events.length) {
        await tx.runEvent.createMany({
          data: step.events.map((event, i) => ({
            runId: step.runId,
            seq: step.firstSeq + i,
            type: event.type,
            nodeId: event.nodeId ?? null,
            payload: event.payload === undefined ? DbNull : json(event.payload),
            createdAt: now,
          })),
        });
      }
      if (step.checkpoint) {
        await tx.checkpoint.create({
          data: { runId: step.runId, seq: step.firstSeq + step.events.length - 1, snapshot: json(step.checkpoint.snapshot), machineHash: step.checkpoint.machineHash },
        });
      }
      if (step.approval) {
        await tx.approval.create({
          data: { ...(step.approval.id ? { id: step.approval.id } : {}), runId: step.runId, nodeId: step.approval.nodeId, visit: step.approval.visit, packet: json(step.approval.packet), risk: step.approval.risk, deadlineAt: step.approval.deadlineAt },
        });
      }
      if (step.timer) {
        await tx.timer.upsert({
          where: { key: step.timer.key },
          create: { key: step.timer.key, kind: step.timer.kind, runId: step.runId, nodeId: step.timer.nodeId, fireAt: step.timer.fireAt },
          update: {},
        });
      }
      if (step.wakeRun) {
        await tx.run.updateMany({ where: { id: step.wakeRun, status: "waiting" }, data: { status: "queued", wakeAt: null } });
      }
      if (step.approvalUpdate) {
        await tx.approval.updateMany({
          where: { id: step.approvalUpdate.id, status: "pending" },
          data: { status: step.approvalUpdate.status, decidedBy: step.approvalUpdate.decidedBy, decidedAt: now },
        });
      }
      if (step.deadLetter) {
        await tx.deadLetter.create({ data: { runId: step.runId, nodeId: step.deadLetter.nodeId, packet: json(step.deadLetter.packet) } });
      }
      if (step.notification) {
        await tx.notification.create({ data: { ...step.notification, runId: step.runId } });
      }
    }, TX_OPTIONS);
  }

  async release(runId: string, workerId: string): Promise<void> {
    await this.db.run.updateMany({ where: { id: runId, leaseOwner: workerId, status: "running" }, data: { status: "queued", leaseOwner: null, leaseExpiresAt: null } });
  }

  async approval(runId: string, nodeId: string, visit: number): Promise<ApprovalRecord | null> {
    const row = await this.db.approval.findUnique({
      where: { runId_nodeId_visit: { runId, nodeId, visit } },
      select: { id: true, runId: true, nodeId: true, visit: true, status: true, editedData: true, packet: true, decidedBy: true, deadlineAt: true },
    });
    return row as ApprovalRecord | null;
  }

  async fireTimer(key: string, now: Date): Promise<boolean> {
    const { count } = await this.db.timer.updateMany({ where: { key, firedAt: null, fireAt: { lte: now } }, data: { firedAt: now } });
    return count === 1;
  }

  async timer(key: string): Promise<{ fireAt: Date; firedAt: Date | null } | null> {
    return this.db.timer.findUnique({ where: { key }, select: { fireAt: true, firedAt: true } });
  }

  async nodeFailures(runId: string, nodeId: string): Promise<{ attempt: number; error: unknown }[]> {
    const rows = await this.db.runEvent.findMany({ where: { runId, nodeId, type: "node.failed" }, orderBy: { seq: "asc" }, select: { payload: true } });
    return rows.map((r) => r.payload as { attempt: number; error: unknown });
  }

  async requeueIfDecided(runId: string): Promise<boolean> {
    // Decided approvals whose node the run has not passed yet have no approval.* event after them.
    const decided = await this.db.approval.findMany({ where: { runId, status: { not: "pending" } }, select: { nodeId: true, visit: true } });
    if (decided.length === 0) return false;
    const acted = await this.db.runEvent.findMany({
      where: { runId, type: { in: ["approval.approved", "approval.rejected"] } },
      select: { nodeId: true },
    });
    const actedCount = new Map<string, number>();
    for (const e of acted) actedCount.set(e.nodeId ?? "", (actedCount.get(e.nodeId ?? "") ?? 0) + 1);
    const pending = decided.some((a) => (actedCount.get(a.nodeId) ?? 0) < a.visit);
    if (!pending) return false;
    const { count } = await this.db.run.updateMany({ where: { id: runId, status: "waiting" }, data: { status: "queued", wakeAt: null } });
    return count === 1;
  }

  async startChildRun(input: { parentRunId: string; parentNodeId: string; workflow: string; input: unknown; key: string }): Promise<{ id: string } | null> {
    const wf = await this.db.workflow.findFirst({ where: { OR: [{ id: input.workflow }, { slug: input.workflow }], archivedAt: null }, select: { id: true, currentVersionId: true } });
    if (!wf?.currentVersionId) return null;
    const { run } = await this.createRun({
      workflowId: wf.id,
      versionId: wf.currentVersionId,
      input: input.input,
      idempotencyKey: input.key,
      trigger: "subworkflow",
      parentRunId: input.parentRunId,
      parentNodeId: input.parentNodeId,
    });
    return { id: run.id };
  }

  async childRun(key: string): Promise<{ id: string; status: RunRecord["status"]; output: unknown; error: unknown } | null> {
    return this.db.run.findFirst({ where: { idempotencyKey: key, trigger: "subworkflow" }, select: { id: true, status: true, output: true, error: true } });
  }

  async requeue(runId: string): Promise<boolean> {
    const { count } = await this.db.run.updateMany({ where: { id: runId, status: "waiting" }, data: { status: "queued", wakeAt: null } });
    return count === 1;
  }
}
