import { randomUUID } from "node:crypto";
import { PermanentError, ThrottledError } from "../errors";
import { assertJsonWithin } from "../json-bytes";
import { LIMITS } from "../limits";
import type { WorkflowContext } from "../graph/machine";
import type { ExecutionContext, StepWrites } from "../registry";
import { orderedId } from "../store";
import type { RuntimeDeps } from "./process-run";
import { recordingResolver, Redactor } from "./redact";
import { describeError } from "./retry";
import { CHILD_SETTLED } from "./run-status";
import type { Effect, ExecutorStep, LedgerRow, PlanEvent, PlanWorld, ProcessOutcome, Snapshot } from "./step-planner";
import { LeaseLostError, type EffectRecord, type StepCommit } from "./store";

// Performs what the step planner decided, through the run store and the executors, and turns
// what it finds into the planner's next event. It owns the claim's I/O state: the event seq,
// the commits held back for batching, and a ledger row written ahead with the last commit.

/** Steps of one claim committed together at most; bounds the work a crash makes the next worker redo. */
const MAX_HELD_STEPS = 32;

/** What a plan's effects came to: the planner's next event, a request for the next step, or the claim's end. */
export type Performed = { next: "event"; event: PlanEvent } | { next: "tick" } | { next: "stop"; outcome: ProcessOutcome };

export class EffectRunner {
  private seq: number;
  private held: StepCommit[] = [];
  /** The ledger row the last commit wrote for the step the next round starts with. */
  private reserved: { key: string; record: EffectRecord } | null = null;
  /** Rows the last step that completed wrote through ctx.writes: they go in with its commit. */
  private staged: Staged | null = null;

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly world: PlanWorld,
    private readonly signal: AbortSignal,
    /** Whether the claim will take another step after this commit (a row written ahead is only worth it then). */
    private readonly goesOn: () => boolean,
  ) {
    this.seq = world.run.nextSeq;
  }

  /** Performs a plan's effects in order; the first that ends the plan says what comes next. */
  async perform(effects: readonly Effect[], snapshot: Snapshot): Promise<Performed> {
    const { store, clock } = this.deps;
    const runId = this.world.run.run.id;
    for (const effect of effects) {
      switch (effect.type) {
        case "commit":
          await this.commit(effect);
          break;
        case "fire-timer":
          await store.fireTimer(effect.key, clock.now());
          break;
        case "read-approval":
          return { next: "event", event: { type: "approval", approval: await store.approval(runId, effect.nodeId, effect.visit), now: clock.now(), newId: randomUUID() } };
        case "read-timer":
          return { next: "event", event: { type: "timer", timer: await store.timer(effect.key), now: clock.now() } };
        case "read-child":
          return { next: "event", event: { type: "child", child: await store.childRun(effect.key) } };
        case "read-failures":
          return { next: "event", event: { type: "failures", earlier: await store.nodeFailures(runId, effect.nodeId) } };
        case "start-child":
          return { next: "event", event: { type: "child-started", child: await store.startChildRun({ parentRunId: runId, parentNodeId: effect.nodeId, workflow: effect.workflow, input: effect.input, key: effect.key }) } };
        case "execute":
          return { next: "event", event: await this.execute(effect.step, snapshot) };
        case "tick":
          return { next: "tick" };
        case "settle":
          return { next: "stop", outcome: await this.settle(effect.status, effect.children) };
        case "stop":
          return { next: "stop", outcome: effect.outcome };
      }
    }
    throw new Error("a plan must end with an effect that says what comes next");
  }

  private async commit(effect: Extract<Effect, { type: "commit" }>): Promise<void> {
    const settled = effect.step.effect;
    const staged = settled?.status === "completed" && this.staged?.key === settled.key ? this.staged : null;
    if (staged) this.staged = null;
    const notifications = [...(effect.step.notifications ?? []), ...(staged?.notifications ?? [])];
    this.held.push({
      ...effect.step,
      ...(notifications.length ? { notifications } : {}),
      checkpoint: effect.step.checkpoint ?? null,
      runId: this.world.run.run.id,
      workerId: this.world.workerId,
      firstSeq: this.seq,
    });
    this.seq += effect.step.events.length;
    if (effect.settles) this.settles.push(effect.settles);
    if (effect.hold && this.held.length < MAX_HELD_STEPS) return;
    // The next step's ledger row rides on this commit when the claim goes on to run it; its
    // attempt is counted when the step's outcome is committed, or when it is begun again after
    // a crash, so a row written ahead for a step that never ran counts nothing.
    const begin = effect.reserve && this.goesOn() ? { ...effect.reserve, counted: false } : undefined;
    const record = await this.flush(begin);
    if (begin && record) this.reserved = { key: begin.key, record };
  }

  /** Effects whose completion is held, for the after-commit hook once it is written. */
  private settles: string[] = [];

  /** Writes the held commits in one transaction, with a ledger row to begin when given. */
  private async flush(begin?: LedgerRow & { counted: boolean }): Promise<EffectRecord | null> {
    if (this.held.length === 0) return null;
    const batch = this.held;
    this.held = [];
    if (begin) batch[batch.length - 1] = { ...batch[batch.length - 1]!, begin };
    const record = (await this.deps.store.commit(...batch)) ?? null;
    const settled = this.settles;
    this.settles = [];
    for (const key of settled) await this.deps.hooks?.afterCommit?.(key);
    return record;
  }

  /** The ledger row of a step about to run: written ahead with the last commit, or now, with the held commits when there are any. */
  private async begin(step: ExecutorStep): Promise<{ record: EffectRecord; reserved: boolean }> {
    const ahead = this.reserved?.key === step.key ? this.reserved.record : null;
    this.reserved = null;
    if (ahead) return { record: ahead, reserved: ahead.status !== "completed" };
    // What an effect needs must be durable before it starts: the held steps commit with its row.
    const record = (await this.flush({ ...step.ledger, counted: true })) ?? (await this.deps.store.beginEffect(step.ledger));
    return { record, reserved: false };
  }

  private async execute(step: ExecutorStep, snapshot: Snapshot): Promise<PlanEvent> {
    const { deps } = this;
    const { store, clock } = deps;
    const runId = this.world.run.run.id;
    if (!step.pure && step.spends && deps.budget) {
      const hold = await deps.budget.check({ runId, workflowId: this.world.run.run.workflowId, nodeId: step.nodeId, meta: step.meta, config: step.config.ok ? step.config.value : undefined, now: clock.now() });
      // A step already completed (its result is in the ledger, a crash came before the commit)
      // is never held: replaying it spends nothing.
      if (hold && (await store.effect(step.key))?.status !== "completed") return { type: "held", hold };
    }
    await deps.hooks?.beforeEffect?.(step.key);
    // A pure step has no ledger row unless it fails (its attempts are counted there).
    const begun = step.pure ? null : await this.begin(step);
    if (begun?.record.status === "completed") {
      // Recorded as done before a crash: replay its result, never run it again.
      const result = begun.record.result as { port: string; output: unknown };
      return { type: "replayed", result };
    }
    const reserved = begun?.reserved ?? false;
    let attempt = begun ? begun.record.attempts + (reserved ? 1 : 0) : 1;
    const executor = deps.executors.get(`${step.meta.type}@${step.meta.version}`);
    // A pure step is plain computation in this thread, which no signal could interrupt.
    const limit = step.pure ? undefined : attemptSignal(this.signal, step.policy.timeoutMs);
    // Secrets this attempt opens: redacted from its output and its error before either is stored.
    const redactor = new Redactor();
    // What this attempt writes with its outcome; dropped with it when it fails. A pure step has
    // no ledger row to settle, so nothing to ride on: its executor writes nothing.
    this.staged = null;
    const staged: Staged = { key: step.key, notifications: [] };
    try {
      if (!executor) throw new PermanentError(`no executor is installed for ${step.meta.type}@${step.meta.version}`);
      if (!step.config.ok) throw step.config.error;
      const ctx = executionContext(deps, runId, step, step.config.value, snapshot.context as WorkflowContext, limit?.signal ?? this.signal, redactor, step.pure ? undefined : stepWrites(staged));
      const raw = await executor(ctx);
      const result = { ...raw, output: redactor.apply(raw.output) };
      assertJsonWithin(`output of '${step.nodeId}'`, result.output, LIMITS.stepPayloadBytes);
      this.staged = staged;
      await deps.hooks?.afterEffect?.(step.key);
      return { type: "executed", result, attempt, reserved };
    } catch (error) {
      // Our own abort (the lease was lost): stop without recording a failure.
      if (error instanceof LeaseLostError || this.signal.aborted) throw new LeaseLostError(runId);
      const failure = redactor.apply(limit?.timedOut() && !this.signal.aborted ? { message: `timed out after ${step.policy.timeoutMs} ms`, kind: "retryable" as const, name: "TimeoutError" } : describeError(error));
      if (step.pure) attempt = (await this.begin(step)).record.attempts;
      const retryAfterMs = (error as { retryAfterMs?: number } | null)?.retryAfterMs;
      if (error instanceof ThrottledError) {
        const alreadyLogged = (await store.lastNodeEvent(runId, step.nodeId)) === "node.throttled";
        return { type: "throttled", failure, attempt, reserved, retryAfterMs, alreadyLogged, now: clock.now() };
      }
      return { type: "failed", failure, attempt, reserved, retryAfterMs, jitter: (deps.random ?? Math.random)(), now: clock.now() };
    } finally {
      limit?.dispose();
    }
  }

  /**
   * After the lease was released to wait: a decision that landed while this worker still held
   * the run found it running and could not queue it, and so could a child that finished; look
   * once more now that it waits.
   */
  private async settle(status: "waiting" | "sleeping", children: readonly string[]): Promise<ProcessOutcome> {
    const { store } = this.deps;
    const runId = this.world.run.run.id;
    if (status === "waiting" && (await store.requeueIfDecided(runId))) return "yielded";
    for (const key of children) {
      const child = await store.childRun(key);
      if (child && CHILD_SETTLED.has(child.status) && (await store.requeue(runId))) return "yielded";
    }
    return status;
  }
}

/** Rows one attempt wrote through ctx.writes, for the commit that settles its ledger row. */
interface Staged {
  key: string;
  notifications: NonNullable<StepCommit["notifications"]>;
}

function stepWrites(staged: Staged): StepWrites {
  return {
    notification(row) {
      const id = orderedId();
      staged.notifications.push({ id, ...row });
      return id;
    },
  };
}

/** What an executor gets for one attempt of one step: built here only. */
function executionContext(
  deps: RuntimeDeps,
  runId: string,
  step: ExecutorStep,
  config: unknown,
  context: WorkflowContext,
  signal: AbortSignal,
  redactor: Redactor,
  writes: StepWrites | undefined,
): ExecutionContext {
  return {
    ...(writes ? { writes } : {}),
    ...deps.capabilities,
    runId,
    nodeId: step.nodeId,
    visit: step.visit,
    iteration: step.iteration,
    idempotencyKey: step.key,
    config,
    data: { input: context.input, outputs: context.outputs },
    signal,
    credential: recordingResolver(deps.credentials, redactor),
  };
}

/**
 * An attempt's signal: aborted when the claim's is (the lease was lost) or when the attempt's
 * time limit passes, whichever comes first. One controller and one timer, cleared when the
 * attempt ends (AbortSignal.any and AbortSignal.timeout cost more per step, and leave the timer).
 */
function attemptSignal(claim: AbortSignal, ms: number): { signal: AbortSignal; timedOut(): boolean; dispose(): void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException("The operation was aborted due to timeout", "TimeoutError"));
  }, ms);
  timer.unref?.();
  const onAbort = () => controller.abort(claim.reason);
  if (claim.aborted) onAbort();
  else claim.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose() {
      clearTimeout(timer);
      claim.removeEventListener("abort", onAbort);
    },
  };
}
