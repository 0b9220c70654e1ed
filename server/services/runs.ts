import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import { assertJsonWithin, LIMITS } from "../../engine/limits";
import type { Graph } from "../../engine/graph/schema";
import type { RunStore } from "../../engine/runtime/store";
import { json, workflowRef, type Db } from "../../engine/store";
import { audit } from "./audit";
import { appendRunEvent, wakeWaitingParent } from "./run-log";
import { assertManualInput } from "./trigger-input";

// Starting and steering runs. Runs pin the workflow's current version; an idempotency key
// returns the same run instead of starting a second. Decisions on approvals are atomic: two
// operators (or two tabs) approving at once resume the run exactly once.

export const StartRunInput = z.object({
  workflow: z.string().min(1),
  input: z.unknown().default({}),
  idempotencyKey: z.string().min(1).max(200).optional(),
});

export const DecideInput = z.object({
  approvalId: z.string().min(1),
  decision: z.enum(["approve", "reject", "edit"]),
  comment: z.string().max(5_000).optional(),
  data: z.unknown().optional(),
});

type RunStatusName = "queued" | "running" | "waiting" | "sleeping" | "paused" | "succeeded" | "failed" | "dead" | "cancelled";

export function runService(db: Db, deps: { store: RunStore; onRunnable?: () => void }) {
  return {
    async start(raw: z.input<typeof StartRunInput>, actor = "operator", trigger = "manual", triggerNodeId?: string) {
      const input = StartRunInput.parse(raw);
      assertJsonWithin("input", input.input, LIMITS.runInputBytes);
      const wf = await db.workflow.findFirst({ where: workflowRef(input.workflow, { archived: true }), select: { id: true, name: true, currentVersionId: true } });
      if (!wf) throw new NotFoundError(`no workflow '${input.workflow}'`);
      if (!wf.currentVersionId) throw new ValidationError(`'${wf.name}' has no published version: publish it first`, [{ path: "workflow", message: "has no published version" }]);
      // A manual start is checked against the trigger's input schema (trigger.manual@2), if any.
      if (trigger === "manual") assertManualInput((await db.workflowVersion.findUniqueOrThrow({ where: { id: wf.currentVersionId }, select: { graph: true } })).graph as Graph, input.input, triggerNodeId);
      const { run, created } = await deps.store.createRun({ workflowId: wf.id, versionId: wf.currentVersionId, input: input.input, idempotencyKey: input.idempotencyKey, trigger, triggerNodeId });
      if (created) {
        await audit(db, { actor, action: "run.start", targetType: "run", targetId: run.id, detail: { workflow: wf.name } });
        deps.onRunnable?.();
      }
      return { id: run.id, status: run.status, created };
    },

    /** A finished run again from the start, with the same input, on the workflow's current version. */
    async retryFromStart(id: string, actor = "operator") {
      const old = await db.run.findUnique({ where: { id }, select: { id: true, workflowId: true, input: true, status: true } });
      if (!old) throw new NotFoundError(`no run '${id}'`);
      if (!["succeeded", "failed", "dead", "cancelled"].includes(old.status)) throw new ConflictError(`A ${old.status} run has not finished; cancel it first.`);
      const started = await this.start({ workflow: old.workflowId, input: old.input }, actor, "retry");
      await db.run.update({ where: { id: started.id }, data: { originRunId: old.id } });
      return started;
    },

    /**
     * A new run that starts where another stood at one of its checkpoints (the latest at or
     * before `seq`), on the same version, optionally with edited input. Steps after that point
     * run afresh under the new run's own idempotency keys.
     */
    async fork(input: { id: string; seq?: number; input?: unknown }, actor = "operator") {
      const source = await db.run.findUnique({ where: { id: input.id }, select: { id: true, workflowId: true, versionId: true, input: true } });
      if (!source) throw new NotFoundError(`no run '${input.id}'`);
      const checkpoint = await db.checkpoint.findFirst({
        where: { runId: source.id, ...(input.seq === undefined ? {} : { seq: { lte: input.seq } }) },
        orderBy: { seq: "desc" },
        select: { seq: true, snapshot: true, machineHash: true },
      });
      if (!checkpoint) throw new ValidationError(`seq: run '${source.id}' has no checkpoint${input.seq === undefined ? "" : ` at or before ${input.seq}`}`, [{ path: "seq", message: "has no checkpoint" }]);
      const runInput = input.input === undefined ? source.input : input.input;
      assertJsonWithin("input", runInput, LIMITS.runInputBytes);
      const snapshot = checkpoint.snapshot as { context?: Record<string, unknown> };
      const seeded = { ...snapshot, context: { ...(snapshot.context ?? {}), input: runInput } };
      const run = await db.$transaction(async (tx) => {
        const created = await tx.run.create({
          data: { workflowId: source.workflowId, versionId: source.versionId, input: json(runInput), trigger: "fork", originRunId: source.id, originSeq: checkpoint.seq },
          select: { id: true, status: true },
        });
        await tx.runEvent.create({ data: { runId: created.id, seq: 1, type: "run.forked", payload: json({ from: source.id, seq: checkpoint.seq, by: actor, editedInput: input.input !== undefined }) } });
        await tx.checkpoint.create({ data: { runId: created.id, seq: 1, snapshot: json(seeded), machineHash: checkpoint.machineHash } });
        await audit(tx, { actor, action: "run.fork", targetType: "run", targetId: created.id, detail: { from: source.id, seq: checkpoint.seq } });
        return created;
      });
      deps.onRunnable?.();
      return { id: run.id, status: run.status, created: true };
    },

    /** Tokens and cost units, per workflow, over its runs. */
    async costByWorkflow() {
      const rows = await db.run.groupBy({ by: ["workflowId"], _sum: { costTokens: true, costUnits: true }, _count: { _all: true } });
      return rows.map((r) => ({ workflowId: r.workflowId, runs: r._count._all, tokens: r._sum.costTokens ?? 0, units: r._sum.costUnits ?? 0 }));
    },

    async get(id: string) {
      const run = await db.run.findUnique({
        where: { id },
        select: { id: true, status: true, input: true, output: true, error: true, workflowId: true, versionId: true, createdAt: true, finishedAt: true, costTokens: true, costUnits: true },
      });
      if (!run) throw new NotFoundError(`no run '${id}'`);
      return { ...run, createdAt: run.createdAt.toISOString(), finishedAt: run.finishedAt?.toISOString() ?? null };
    },

    async events(id: string) {
      const rows = await db.runEvent.findMany({ where: { runId: id }, orderBy: { seq: "asc" }, select: { seq: true, type: true, nodeId: true, payload: true, createdAt: true } });
      return rows.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() }));
    },

    async pendingApprovals() {
      const rows = await db.approval.findMany({ where: { status: "pending" }, orderBy: { createdAt: "asc" }, select: { id: true, runId: true, nodeId: true, packet: true, risk: true, deadlineAt: true, createdAt: true } });
      return rows.map((r) => ({
        ...r,
        // Forms wait as approvals too; a queue shows them apart and sends them to their form page.
        kind: (r.packet as { kind?: string } | null)?.kind === "form" ? ("form" as const) : ("approval" as const),
        deadlineAt: r.deadlineAt?.toISOString() ?? null,
        createdAt: r.createdAt.toISOString(),
      }));
    },

    /**
     * Cancel: the run stops for good; a worker holding it loses its lease at the next heartbeat
     * and aborts the call in flight. Pause: no worker picks it up until it is resumed.
     */
    async control(input: { id: string; action: "cancel" | "pause" | "resume" }, actor = "operator") {
      const from: Record<typeof input.action, RunStatusName[]> = {
        cancel: ["queued", "running", "waiting", "sleeping", "paused", "dead"],
        pause: ["queued", "running", "waiting", "sleeping"],
        resume: ["paused"],
      };
      const to = { cancel: "cancelled", pause: "paused", resume: "queued" } as const;
      const { count } = await db.$transaction(async (tx) => {
        const result = await tx.run.updateMany({
          where: { id: input.id, status: { in: from[input.action] } },
          data: { status: to[input.action], leaseOwner: null, leaseExpiresAt: null, ...(input.action === "cancel" ? { finishedAt: new Date() } : {}) },
        });
        if (result.count === 1) {
          await appendRunEvent(tx, input.id, `run.${to[input.action] === "queued" ? "resumed" : to[input.action]}`, { by: actor });
          if (input.action === "cancel") {
            await tx.deadLetter.updateMany({ where: { runId: input.id, status: "open" }, data: { status: "cancelled", resolvedBy: actor, resolvedAt: new Date() } });
            await wakeWaitingParent(tx, input.id);
          }
          await audit(tx, { actor, action: `run.${input.action}`, targetType: "run", targetId: input.id });
        }
        return result;
      });
      if (count !== 1) {
        const run = await db.run.findUnique({ where: { id: input.id }, select: { status: true } });
        if (!run) throw new NotFoundError(`no run '${input.id}'`);
        throw new ConflictError(`A ${run.status} run cannot be ${input.action === "resume" ? "resumed" : `${input.action}${input.action === "cancel" ? "led" : "d"}`}.`);
      }
      if (input.action === "resume") deps.onRunnable?.();
      return this.get(input.id);
    },

    /** Approve, reject or edit-and-approve; exactly one decision wins, and the run resumes once. */
    async decide(raw: z.input<typeof DecideInput>, actor = "operator", kind: "approval" | "form" = "approval") {
      const input = DecideInput.parse(raw);
      if (input.decision === "edit" && input.data === undefined) throw new ValidationError("data: is required to edit and approve", [{ path: "data", message: "is required" }]);
      // A form's values are checked against its fields (the form service) before they get here.
      const target = await db.approval.findUnique({ where: { id: input.approvalId }, select: { packet: true } });
      if (target && ((target.packet as { kind?: string } | null)?.kind === "form") !== (kind === "form")) {
        throw new ValidationError(`approvalId: '${input.approvalId}' is ${kind === "form" ? "an approval, not a form" : "a form: fill it in on its form page"}`, [{ path: "approvalId", message: "is of another kind" }]);
      }
      const decided = await db.$transaction(async (tx) => {
        const { count } = await tx.approval.updateMany({
          where: { id: input.approvalId, status: "pending" },
          data: {
            status: input.decision === "reject" ? "rejected" : "approved",
            decidedBy: actor,
            decidedAt: new Date(),
            comment: input.comment ?? null,
            ...(input.decision === "edit" ? { editedData: json(input.data) } : {}),
          },
        });
        if (count !== 1) return null;
        const approval = await tx.approval.findUniqueOrThrow({ where: { id: input.approvalId }, select: { runId: true, nodeId: true } });
        await tx.run.updateMany({ where: { id: approval.runId, status: "waiting" }, data: { status: "queued", wakeAt: null } });
        await audit(tx, { actor, action: `approval.${input.decision}`, targetType: "approval", targetId: input.approvalId, detail: { run: approval.runId, node: approval.nodeId } });
        return approval;
      });
      if (!decided) {
        const exists = await db.approval.findUnique({ where: { id: input.approvalId }, select: { status: true } });
        if (!exists) throw new NotFoundError(`no approval '${input.approvalId}'`);
        throw new ConflictError(`This approval was already decided (${exists.status}).`);
      }
      deps.onRunnable?.();
      return { runId: decided.runId };
    },
  };
}

export type RunService = ReturnType<typeof runService>;
