import { z } from "zod";
import { budgetHoldOf, RUN_PAUSED_EVENT } from "../../engine/runtime/budget";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import { assertJsonWithin } from "../../engine/json-bytes";
import { LIMITS } from "../../engine/limits";
import type { Graph } from "../../engine/graph/schema";
import { controlRun, decideApproval, forkRun, setRunOrigin } from "../../engine/runtime/prisma-store-actions";
import { isFinished, type ControlAction } from "../../engine/runtime/run-status";
import type { NewRun, RunStore } from "../../engine/runtime/store";
import type { Db } from "../../engine/store";
import { proposalDiff } from "../../nodes/human/proposal-diff";
import { audit } from "./audit";
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

export function runService(db: Db, deps: { store: RunStore; onRunnable?: () => void }) {
  return {
    /**
     * `delivery` is the webhook delivery that started it, stored in the run's own transaction
     * (both commit or neither); `claimedBy` creates the run already claimed by that worker.
     */
    async start(
      raw: z.input<typeof StartRunInput>,
      actor = "operator",
      trigger = "manual",
      triggerNodeId?: string,
      { delivery, claimedBy }: Pick<NewRun, "delivery" | "claimedBy"> = {},
    ) {
      const input = StartRunInput.parse(raw);
      assertJsonWithin("input", input.input, LIMITS.runInputBytes);
      // Read and written on the store's bare driver: starting runs is a hot path.
      const wf = await deps.store.startTarget(input.workflow, { archived: true, graph: trigger === "manual" });
      if (!wf) throw new NotFoundError(`no workflow '${input.workflow}'`);
      if (!wf.versionId) throw new ValidationError(`'${wf.name}' has no published version: publish it first`, [{ path: "workflow", message: "has no published version" }]);
      // A manual start is checked against the trigger's input schema (trigger.manual@2), if any.
      if (trigger === "manual") assertManualInput(wf.graph as Graph, input.input, triggerNodeId);
      const { run, created } = await deps.store.createRun({
        workflowId: wf.id,
        versionId: wf.versionId,
        input: input.input,
        idempotencyKey: input.idempotencyKey,
        trigger,
        triggerNodeId,
        audit: { actor, detail: { workflow: wf.name } },
        claimedBy,
        delivery,
      });
      if (created) deps.onRunnable?.();
      return { id: run.id, status: run.status, created };
    },

    /** A finished run again from the start, with the same input, on the workflow's current version. */
    async retryFromStart(id: string, actor = "operator") {
      const old = await db.run.findUnique({ where: { id }, select: { id: true, workflowId: true, input: true, status: true } });
      if (!old) throw new NotFoundError(`no run '${id}'`);
      if (!isFinished(old.status)) throw new ConflictError(`A ${old.status} run has not finished; cancel it first.`);
      const started = await this.start({ workflow: old.workflowId, input: old.input }, actor, "retry");
      await setRunOrigin(db, started.id, old.id);
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
      const run = await forkRun(db, {
        source,
        checkpoint: { seq: checkpoint.seq, snapshot: seeded, machineHash: checkpoint.machineHash },
        input: runInput,
        editedInput: input.input !== undefined,
        actor,
        also: (tx, id) => audit(tx, { actor, action: "run.fork", targetType: "run", targetId: id, detail: { from: source.id, seq: checkpoint.seq } }),
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
      // A run a budget holds sleeps with the reason in its last event (engine/runtime/budget.ts).
      const last = run.status === "sleeping" ? await db.runEvent.findFirst({ where: { runId: id }, orderBy: { seq: "desc" }, select: { type: true, payload: true } }) : null;
      const pause = last?.type === RUN_PAUSED_EVENT ? (last.payload as { reason?: string; detail?: string; until?: string } | null) : null;
      return {
        ...run,
        createdAt: run.createdAt.toISOString(),
        finishedAt: run.finishedAt?.toISOString() ?? null,
        pause: pause?.reason ? { reason: pause.reason, budget: budgetHoldOf(last)?.budget ?? null, detail: pause.detail ?? "", until: pause.until ?? null } : null,
      };
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
    async control(input: { id: string; action: ControlAction }, actor = "operator") {
      const result = await controlRun(db, {
        runId: input.id,
        action: input.action,
        actor,
        now: new Date(),
        also: (tx) => audit(tx, { actor, action: `run.${input.action}`, targetType: "run", targetId: input.id }),
      });
      if (!result.changed) {
        if (!result.status) throw new NotFoundError(`no run '${input.id}'`);
        throw new ConflictError(`A ${result.status} run cannot be ${input.action === "resume" ? "resumed" : `${input.action}${input.action === "cancel" ? "led" : "d"}`}.`);
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
      const decided = await decideApproval(db, {
        approvalId: input.approvalId,
        decision: input.decision,
        actor,
        comment: input.comment,
        data: input.data,
        now: new Date(),
        also: (tx, approval) => {
          // What changed is part of the decision's record: the edited paths, the reason, the rule.
          const changes = input.decision === "edit" ? proposalDiff((target?.packet as { proposal?: unknown } | null)?.proposal ?? null, input.data) : undefined;
          const detail = { run: approval.runId, node: approval.nodeId, ...(changes ? { changes } : {}), ...(input.comment ? { comment: input.comment } : {}) };
          return audit(tx, { actor, action: `approval.${input.decision}`, targetType: "approval", targetId: input.approvalId, detail });
        },
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
