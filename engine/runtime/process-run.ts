import { initialTransition, transition } from "xstate";
import { parseDuration } from "../duration";
import { PermanentError, ThrottledError } from "../errors";
import { renderValue, runData } from "../expressions";
import { activeNodes, createWorkflowMachine, runStatus, type WorkflowContext, type WorkflowEvent } from "../graph/machine";
import type { CompiledWorkflow } from "../graph/compile";
import type { GraphNode } from "../graph/schema";
import { assertJsonWithin } from "../json-bytes";
import { LIMITS } from "../limits";
import type { AnyNodeMeta, CredentialResolver, NodeExecutor, NodeRegistry, RetryPolicy } from "../registry";
import { RUN_PAUSED_EVENT, type BudgetGate } from "./budget";
import { recordingResolver, Redactor } from "./redact";
import { appPath, childRunKey, stepKey, timerKey } from "./run-refs";
import { CHILD_SETTLED } from "./run-status";
import { backoffMs, describeError } from "./retry";
import { LeaseLostError, type LoadedRun, type NewEvent, type RunStore, type StepCommit } from "./store";

// One claimed run, advanced step by step. The machine decides which nodes are active; this
// module performs them (executors, approvals, timers), records each effect under
// `runId:nodeId:visit` before it runs, and commits result + events + checkpoint together.

export interface Clock {
  now(): Date;
}

/** Test seams for crash injection: each runs at the named point of an executor step. */
export interface StepHooks {
  beforeEffect?(key: string): void | Promise<void>;
  afterEffect?(key: string): void | Promise<void>;
  afterCommit?(key: string): void | Promise<void>;
}

export interface RuntimeDeps {
  store: RunStore;
  registry: NodeRegistry;
  executors: ReadonlyMap<string, NodeExecutor>;
  clock: Clock;
  random?: () => number;
  hooks?: StepHooks;
  /** Steps one claim may take before the run goes back to the queue, so others get a turn. */
  stepBudget?: number;
  /** Base URL for links in notifications. */
  publicUrl?: string;
  /** Opens credentials for steps; what it hands out is redacted from everything stored. */
  credentials?: CredentialResolver;
  /** Holds back steps that would spend past a budget. */
  budget?: BudgetGate;
}

export type ProcessOutcome = "finished" | "waiting" | "sleeping" | "yielded" | "dead" | "lost";

type Snapshot = ReturnType<typeof initialTransition>[0];

/**
 * Advances a claimed run until it finishes, waits, sleeps or has used its step budget.
 * `signal` aborts in-flight work when the lease is lost (cancel, pause, reclaim); `shouldStop`
 * asks it to hand the run back after the current step (graceful shutdown).
 */
export async function processRun(
  deps: RuntimeDeps,
  loaded: LoadedRun,
  workerId: string,
  signal: AbortSignal,
  shouldStop: () => boolean = () => false,
): Promise<ProcessOutcome> {
  const { store, clock } = deps;
  const claimed = loaded.run;
  const machine = machineFor(loaded.compiled);
  const nodes = new Map<string, GraphNode>(loaded.graph.nodes.map((n) => [n.id, n]));
  const metaOf = (id: string): AnyNodeMeta => {
    const node = nodes.get(id)!;
    const meta = deps.registry.get(node.type, node.typeVersion);
    if (!meta) throw new PermanentError(`node type ${node.type}@${node.typeVersion} is not installed`);
    return meta;
  };
  let seq = loaded.nextSeq;
  let snapshot: Snapshot;

  // Steps that touched nothing outside the run (pure nodes, triggers, fork/join) wait here and
  // commit with the next step that does, or when the batch is full: after a crash they are
  // simply computed again, to the same result. Each keeps its own events and checkpoint.
  let deferred: StepCommit[] = [];
  const flush = async () => {
    if (deferred.length === 0) return;
    const batch = deferred;
    deferred = [];
    await store.commit(...batch);
  };
  const commit: Commit = async (step, options) => {
    const { snapshot: next, ...rest } = step;
    deferred.push({
      ...rest,
      runId: claimed.id,
      workerId,
      firstSeq: seq,
      checkpoint: next ? { snapshot: machine.getPersistedSnapshot(next), machineHash: loaded.compiled.hash } : null,
    });
    seq += step.events.length;
    if (next) snapshot = next;
    if (!options?.deferrable || deferred.length >= MAX_DEFERRED_STEPS) await flush();
  };

  /** The events that say which nodes a transition entered: those whose visit count went up. */
  const entered = (after: Snapshot, from?: Snapshot): NewEvent[] => {
    const was = from ? (from.context as WorkflowContext).visits : {};
    const visits = (after.context as WorkflowContext).visits;
    return Object.keys(visits)
      .filter((n) => visits[n] !== was[n])
      .sort()
      .map((n) => ({ type: "node.entered", nodeId: n, payload: { visit: visits[n] } }));
  };

  const send = (event: WorkflowEvent) => {
    const [next] = transition(machine, snapshot, event);
    return next;
  };

  try {
    if (!loaded.checkpoint) {
      const triggers = loaded.graph.nodes.filter((n) => metaOf(n.id).behavior === "trigger").map((n) => n.id).sort();
      const trigger = claimed.triggerNodeId && triggers.includes(claimed.triggerNodeId) ? claimed.triggerNodeId : triggers[0]!;
      [snapshot] = initialTransition(machine);
      const start: WorkflowEvent = { type: "START", node: trigger, input: claimed.input };
      const started = send(start);
      await commit({ events: [{ type: "run.started", payload: { input: claimed.input, machineEvent: start } }, ...entered(started)], snapshot: started }, { deferrable: true });
    } else {
      snapshot = machine.resolveState(loaded.checkpoint.snapshot as never);
    }

    const deadline = loaded.maxRunMs && loaded.startedAt ? new Date(loaded.startedAt.getTime() + loaded.maxRunMs) : null;
    for (let steps = 0; steps < (deps.stepBudget ?? 200); steps++) {
      if (signal.aborted) return "lost";
      if (shouldStop()) break;
      if (deadline && clock.now() >= deadline && runStatus(snapshot).status !== "done") {
        const seconds = Math.round(loaded.maxRunMs! / 1000);
        await commit({
          events: [{ type: "run.timed_out", payload: { maxRunSeconds: seconds } }],
          run: { status: "failed", error: { message: `the run took longer than the workflow's maximum of ${seconds} s` }, finished: true, wakeAt: null },
          release: true,
          wakeRun: claimed.parentRunId,
        });
        return "finished";
      }
      const status = runStatus(snapshot);
      const context = snapshot.context as WorkflowContext;
      if (status.status === "done") {
        const succeeded = status.outcome === "success";
        const declared = status.end ? (nodes.get(status.end)?.config as { output?: unknown }).output : undefined;
        // An End's output (templates rendered) is the run's output; without one, every node's.
        const output = declared === undefined ? context.outputs : await renderValue(declared, runData(context.input, context.outputs));
        await commit({
          events: [{ type: succeeded ? "run.succeeded" : "run.failed", nodeId: status.end, payload: { outcome: status.outcome } }],
          run: { status: succeeded ? "succeeded" : "failed", output, finished: true, wakeAt: null, ...(succeeded ? {} : { error: { message: `ended at '${status.end}' with outcome failure` } }) },
          release: true,
          // A parent waiting for this run as its sub-workflow goes on.
          wakeRun: claimed.parentRunId,
        });
        return "finished";
      }

      // Mutated from the closures below, so kept in an object TypeScript does not narrow.
      const step = { progressed: false, wakeAt: null as Date | null, waitingForPerson: false, waitingForChildren: [] as string[] };
      const wakeNoLaterThan = (at: Date | null | undefined) => {
        if (at && (!step.wakeAt || at < step.wakeAt)) step.wakeAt = at;
      };
      for (const nodeId of activeNodes(snapshot)) {
        const meta = metaOf(nodeId);
        const node = nodes.get(nodeId)!;
        const visit = context.visits[nodeId] ?? 1;
        // A dead step the operator retried with edited config runs under a new key.
        const override = loaded.stepOverrides[nodeId]?.visit === visit ? loaded.stepOverrides[nodeId] : undefined;
        const key = stepKey(claimed.id, nodeId, visit, override?.generation);
        const advance: Advance = async (event, events, extra = {}, options) => {
          const next = send(event);
          // The log keeps the exact machine event, so a run's history replays to its checkpoints.
          const [first, ...rest] = events;
          const logged = { ...first!, payload: { ...((first!.payload as object | undefined) ?? {}), machineEvent: event } };
          await commit({ ...extra, events: [logged, ...rest, ...entered(next, snapshot)], snapshot: next }, options);
          step.progressed = true;
        };
        const instant = { deferrable: true };

        if (meta.behavior === "trigger") {
          await advance({ type: "NODE.DONE", node: nodeId, port: "out", output: context.input }, [{ type: "node.completed", nodeId, payload: { port: "out" } }], {}, instant);
        } else if (meta.behavior === "fork" || meta.behavior === "join") {
          // A join outputs what each branch's last node produced, by node id.
          const output = meta.behavior === "join" ? Object.fromEntries(loaded.graph.edges.filter((e) => e.target === nodeId).map((e) => [e.source, context.outputs[e.source] ?? null])) : null;
          await advance({ type: "NODE.DONE", node: nodeId, port: "out", output }, [{ type: "node.completed", nodeId, payload: { port: "out" } }], {}, instant);
        } else if (meta.behavior === "approval") {
          const outcome = await approvalStep(deps, claimed.id, node, decisionPorts(meta, node), visit, context, advance, commit);
          if (outcome.wait) {
            step.waitingForPerson = true;
            wakeNoLaterThan(outcome.wakeAt);
          }
        } else if (meta.behavior === "delay") {
          const delayKey = timerKey({ kind: "delay", step: key });
          const timer = await store.timer(delayKey);
          if (!timer) {
            const fireAt = new Date(clock.now().getTime() + parseDuration((node.config as { duration: string }).duration)!);
            await commit({ events: [{ type: "delay.started", nodeId, payload: { until: fireAt.toISOString() } }], timer: { key: delayKey, kind: "delay", nodeId, fireAt } });
            wakeNoLaterThan(fireAt);
          } else if (timer.firedAt || timer.fireAt <= clock.now()) {
            await store.fireTimer(delayKey, clock.now());
            await advance({ type: "WAKE", node: nodeId }, [{ type: "delay.finished", nodeId, payload: { port: "out" } }]);
          } else {
            wakeNoLaterThan(timer.fireAt);
          }
        } else if (meta.execution === "executor") {
          const edited = override ? { ...node, config: { ...node.config, ...override.config } } : node;
          const outcome = await executorStep(deps, { runId: claimed.id, workflowId: claimed.workflowId, workerId, node: edited, meta, visit, key, context, signal, snapshot, machineSend: send, flush }, advance, commit);
          if (outcome === "stop-sleeping") return "sleeping";
          if (outcome === "stop-dead") return "dead";
        } else {
          // A sub-workflow: a child run of another workflow's published version; this run waits.
          const outcome = await subworkflowStep(deps, { runId: claimed.id, node, visit, key, context, snapshot, machineSend: send }, advance, commit);
          if (outcome === "wait") {
            step.waitingForPerson = true;
            step.waitingForChildren.push(childRunKey(key));
          }
          if (outcome === "stop-dead") return "dead";
        }
        if (step.progressed) break;
      }
      if (!step.progressed) {
        wakeNoLaterThan(deadline);
        const status = step.waitingForPerson ? "waiting" : "sleeping";
        await commit({ events: [], run: { status, wakeAt: step.wakeAt }, release: true });
        // A decision that landed while this worker was still holding the run found it running
        // and could not queue it; look once more now that it waits.
        if (status === "waiting" && (await store.requeueIfDecided(claimed.id))) return "yielded";
        // Likewise a child that finished while this run still held its lease.
        for (const childKey of step.waitingForChildren) {
          const child = await store.childRun(childKey);
          if (child && CHILD_SETTLED.has(child.status) && (await store.requeue(claimed.id))) return "yielded";
        }
        return status;
      }
    }
    await commit({ events: [], run: { status: "queued" }, release: true });
    return "yielded";
  } catch (error) {
    if (error instanceof LeaseLostError) return "lost";
    throw error;
  }
}

// A machine per compiled version, built once: versions are immutable and the store hands out
// the same compiled object for a version while it keeps it cached.
const machines = new WeakMap<CompiledWorkflow, ReturnType<typeof createWorkflowMachine>>();
function machineFor(compiled: CompiledWorkflow) {
  let machine = machines.get(compiled);
  if (!machine) machines.set(compiled, (machine = createWorkflowMachine(compiled)));
  return machine;
}

// A node's parsed configuration, once per node of a published version (those never change; an
// operator's edit makes a new node object, parsed on its own). Frozen, since every run shares it.
const configs = new WeakMap<GraphNode, unknown>();
function parsedConfig(meta: AnyNodeMeta, node: GraphNode): unknown {
  if (!configs.has(node)) configs.set(node, deepFreeze(meta.config.parse(node.config)));
  return configs.get(node);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}


async function subworkflowStep(
  deps: RuntimeDeps,
  x: { runId: string; node: GraphNode; visit: number; key: string; context: WorkflowContext; snapshot: Snapshot; machineSend: (event: WorkflowEvent) => Snapshot },
  advance: Advance,
  commit: Commit,
): Promise<"wait" | "progressed" | "stop-dead"> {
  const childKey = childRunKey(x.key);
  const child = await deps.store.childRun(childKey);
  const config = x.node.config as { workflow: string; input?: Record<string, unknown> };
  const fail = async (error: { message: string; kind: "permanent" }) => {
    const failed = x.machineSend({ type: "NODE.FAILED", node: x.node.id, error });
    if (JSON.stringify(failed.value) !== JSON.stringify(x.snapshot.value)) {
      await advance({ type: "NODE.FAILED", node: x.node.id, error }, [{ type: "node.failed", nodeId: x.node.id, payload: { attempt: 1, error } }]);
      return "progressed" as const;
    }
    await deadLetter(commit, x.node.id, x.visit, [{ attempt: 1, error }], x.context);
    return "stop-dead" as const;
  };
  if (!child) {
    const input = await renderValue(config.input ?? {}, runData(x.context.input, x.context.outputs));
    const started = await deps.store.startChildRun({ parentRunId: x.runId, parentNodeId: x.node.id, workflow: config.workflow, input, key: childKey });
    if (!started) return fail({ message: `workflow '${config.workflow}' does not exist or has no published version`, kind: "permanent" });
    await commit({ events: [{ type: "subworkflow.started", nodeId: x.node.id, payload: { child: started.id, workflow: config.workflow } }] });
    return "wait";
  }
  if (child.status === "succeeded") {
    await advance({ type: "NODE.DONE", node: x.node.id, port: "out", output: child.output }, [{ type: "node.completed", nodeId: x.node.id, payload: { port: "out", child: child.id } }]);
    return "progressed";
  }
  if (child.status === "failed" || child.status === "cancelled") {
    return fail({ message: `sub-workflow run ${child.id} ${child.status}${(child.error as { message?: string } | null)?.message ? `: ${(child.error as { message: string }).message}` : ""}`, kind: "permanent" });
  }
  return "wait";
}

/** Steps of one claim committed together at most; bounds the work a crash makes the next worker redo. */
const MAX_DEFERRED_STEPS = 32;

/** `deferrable`: the step touched nothing outside the run, so it may commit with later ones. */
type CommitOptions = { deferrable?: boolean };
type Advance = (event: WorkflowEvent, events: NewEvent[], extra?: Partial<StepCommit>, options?: CommitOptions) => Promise<void>;
type Commit = (step: Omit<StepCommit, "runId" | "workerId" | "firstSeq" | "checkpoint"> & { snapshot?: Snapshot }, options?: CommitOptions) => Promise<void>;

/** Where the operator acts on a waiting approval or form: a path in Keel. */
function waitingLink(approvalId: string, form: boolean): string {
  return appPath({ to: form ? "form" : "approval", id: approvalId });
}

/** A decision node's [approve, reject] ports, as the compiler wires them: its first two outputs. */
function decisionPorts(meta: AnyNodeMeta, node: GraphNode): { yes: string; no: string } {
  const [yes = "approved", no = "rejected"] = meta.outputs(parsedConfig(meta, node)).map((p) => p.id);
  return { yes, no };
}

async function approvalStep(
  deps: RuntimeDeps,
  runId: string,
  node: GraphNode,
  ports: { yes: string; no: string },
  visit: number,
  context: WorkflowContext,
  advance: Advance,
  commit: Commit,
): Promise<{ wait: boolean; wakeAt?: Date | null }> {
  const config = node.config as {
    title: string;
    instructions?: string;
    proposal?: unknown;
    risk?: string;
    deadline?: string;
    onDeadline?: "reject" | "approve" | "escalate" | "decline" | "submitDefaults";
    /** A form's fields (human.form): the packet carries them, and its proposal is their defaults. */
    fields?: { name: string; type?: string; default?: unknown }[];
  };
  const approval = await deps.store.approval(runId, node.id, visit);
  const now = deps.clock.now();
  if (!approval) {
    const deadlineAt = config.deadline ? new Date(now.getTime() + parseDuration(config.deadline)!) : null;
    const data = runData(context.input, context.outputs);
    const fields = config.fields ? ((await renderValue(config.fields, data)) as { name: string; type?: string; default?: unknown }[]) : undefined;
    const packet = {
      ...(fields ? { kind: "form", fields } : {}),
      title: await renderValue(config.title, data),
      instructions: await renderValue(config.instructions ?? "", data),
      proposal: fields
        ? Object.fromEntries(fields.map((f) => [f.name, f.default ?? (f.type === "boolean" ? false : null)]))
        : config.proposal === undefined
          ? context.outputs
          : await renderValue(config.proposal, data),
      input: context.input,
      risk: config.risk ?? "medium",
      deadline: deadlineAt?.toISOString() ?? null,
    };
    // Chosen here so the notification can link to it in the same commit.
    const id = globalThis.crypto.randomUUID();
    await commit({
      events: [{ type: "approval.requested", nodeId: node.id, payload: { visit, deadline: packet.deadline } }],
      approval: { id, nodeId: node.id, visit, packet, risk: packet.risk, deadlineAt },
      notification: {
        kind: fields ? "form" : "approval",
        title: `${fields ? "Form to fill in" : "Approval needed"}: ${String(packet.title)}`,
        body: String(packet.instructions),
        link: waitingLink(id, !!fields),
      },
      // The operator is reminded once at 80% of the time to the deadline (the server's notifier fires it).
      ...(deadlineAt ? { timer: { key: timerKey({ kind: "remind", runId, nodeId: node.id, visit }), kind: "notification" as const, nodeId: node.id, fireAt: new Date(now.getTime() + Math.round((deadlineAt.getTime() - now.getTime()) * 0.8)) } } : {}),
    });
    return { wait: true, wakeAt: deadlineAt };
  }
  if (approval.status === "approved") {
    const edited = approval.editedData !== null && approval.editedData !== undefined;
    await advance(
      edited ? { type: "EDIT", node: node.id, output: approval.editedData } : { type: "APPROVE", node: node.id, output: (approval.packet as { proposal?: unknown } | null)?.proposal ?? null },
      [{ type: "approval.approved", nodeId: node.id, payload: { by: approval.decidedBy, edited, port: ports.yes } }],
    );
    return { wait: false };
  }
  if (approval.status === "rejected" || approval.status === "expired") {
    await advance({ type: "REJECT", node: node.id }, [{ type: "approval.rejected", nodeId: node.id, payload: { by: approval.decidedBy, port: ports.no } }]);
    return { wait: false };
  }
  if (approval.deadlineAt && approval.deadlineAt <= now) {
    const action = config.onDeadline ?? "escalate";
    if (action === "escalate") {
      await commit({
        events: [{ type: "approval.escalated", nodeId: node.id }],
        notification: {
          kind: config.fields ? "form_overdue" : "approval_overdue",
          title: `${config.fields ? "Overdue form" : "Overdue approval"}: ${config.title}`,
          body: "Its deadline passed; it still waits for you.",
          link: waitingLink(approval.id, !!config.fields),
        },
      });
      return { wait: true, wakeAt: null };
    }
    const approve = action === "approve" || action === "submitDefaults";
    await advance(
      approve ? { type: "APPROVE", node: node.id, output: (approval.packet as { proposal?: unknown } | null)?.proposal ?? null } : { type: "REJECT", node: node.id },
      [{ type: approve ? "approval.approved" : "approval.rejected", nodeId: node.id, payload: { by: "deadline", port: approve ? ports.yes : ports.no } }],
      { approvalUpdate: { id: approval.id, status: approve ? "approved" : "expired", decidedBy: "deadline" } },
    );
    return { wait: false };
  }
  return { wait: true, wakeAt: approval.deadlineAt };
}

interface ExecutorInput {
  runId: string;
  workflowId: string;
  workerId: string;
  node: GraphNode;
  meta: AnyNodeMeta;
  visit: number;
  key: string;
  context: WorkflowContext;
  signal: AbortSignal;
  snapshot: Snapshot;
  machineSend: (event: WorkflowEvent) => Snapshot;
  /** Commits the deferred steps now. */
  flush: () => Promise<void>;
}

async function executorStep(deps: RuntimeDeps, x: ExecutorInput, advance: Advance, commit: Commit): Promise<"progressed" | "stop-sleeping" | "stop-dead"> {
  const { store, clock } = deps;
  const pure = x.meta.effects === "none";
  const ledger = { key: x.key, runId: x.runId, nodeId: x.node.id, visit: x.visit, nodeType: `${x.meta.type}@${x.meta.version}`, request: { config: x.node.config } };
  // What an effect needs must be durable before it starts.
  if (!pure) await x.flush();
  if (!pure && deps.budget && (await budgetHeld(deps, deps.budget, x, commit))) return "stop-sleeping";
  await deps.hooks?.beforeEffect?.(x.key);
  // A pure step has no ledger row unless it fails (its attempts are counted there).
  const begun = pure ? null : await store.beginEffect(ledger);
  if (begun?.status === "completed") {
    // Recorded as done before a crash: replay its result, never run it again.
    const result = begun.result as { port: string; output: unknown };
    await advance({ type: "NODE.DONE", node: x.node.id, port: result.port, output: result.output }, [{ type: "node.completed", nodeId: x.node.id, payload: { port: result.port, replayed: true } }]);
    return "progressed";
  }
  let attempt = begun?.attempts ?? 1;
  const executor = deps.executors.get(`${x.meta.type}@${x.meta.version}`);
  const policy: RetryPolicy = { ...x.meta.retry, ...(x.node.retry ?? {}) };
  // A pure step is plain computation in this thread, which no signal could interrupt.
  const timeout = pure ? undefined : AbortSignal.timeout(policy.timeoutMs);
  // Secrets this attempt opens: redacted from its output and its error before either is stored.
  const redactor = new Redactor();
  try {
    if (!executor) throw new PermanentError(`no executor is installed for ${x.meta.type}@${x.meta.version}`);
    const config = parsedConfig(x.meta, x.node);
    const raw = await executor({
      runId: x.runId,
      nodeId: x.node.id,
      visit: x.visit,
      iteration: x.context.iterations?.[x.node.id] ?? x.visit,
      idempotencyKey: x.key,
      config,
      data: { input: x.context.input, outputs: x.context.outputs },
      signal: timeout ? AbortSignal.any([x.signal, timeout]) : x.signal,
      credential: recordingResolver(deps.credentials, redactor),
    });
    const result = { ...raw, output: redactor.apply(raw.output) };
    assertJsonWithin(`output of '${x.node.id}'`, result.output, LIMITS.stepPayloadBytes);
    await deps.hooks?.afterEffect?.(x.key);
    const cost = result.cost ? { run: { costTokens: result.cost.tokens ?? 0, costUnits: result.cost.units ?? 0 } } : {};
    if (pure) {
      await advance({ type: "NODE.DONE", node: x.node.id, port: result.port, output: result.output }, [{ type: "node.completed", nodeId: x.node.id, payload: { port: result.port, attempt, worker: x.workerId } }], cost, { deferrable: true });
      return "progressed";
    }
    await advance({ type: "NODE.DONE", node: x.node.id, port: result.port, output: result.output }, [{ type: "node.completed", nodeId: x.node.id, payload: { port: result.port, attempt, worker: x.workerId } }], {
      effect: {
        key: x.key,
        status: "completed",
        result: { port: result.port, output: result.output ?? null },
        ...(result.cost?.tokens ? { costTokens: result.cost.tokens } : {}),
        ...(result.cost?.units ? { costUnits: result.cost.units } : {}),
      },
      ...cost,
    });
    await deps.hooks?.afterCommit?.(x.key);
    return "progressed";
  } catch (error) {
    // Our own abort (the lease was lost): stop without recording a failure.
    if (error instanceof LeaseLostError || x.signal.aborted) throw new LeaseLostError(x.runId);
    const failure = redactor.apply(timeout?.aborted && !x.signal.aborted ? { message: `timed out after ${policy.timeoutMs} ms`, kind: "retryable" as const, name: "TimeoutError" } : describeError(error));
    if (pure) {
      await x.flush();
      attempt = (await store.beginEffect(ledger)).attempts;
    }
    const failedEvent: NewEvent = { type: "node.failed", nodeId: x.node.id, payload: { attempt, error: failure } };
    if (error instanceof ThrottledError) {
      // Keel's own rate limit held the call back: wait for the next token; no attempt is spent.
      const wakeAt = new Date(clock.now().getTime() + (error.retryAfterMs ?? 1_000));
      // Logged once per throttled step: a wake-up that finds the bucket still empty only moves
      // the wake time, so a backlog behind a limit does not grow the log with every wake-up.
      const logged = (await store.lastNodeEvent(x.runId, x.node.id)) === "node.throttled";
      await commit({
        events: logged ? [] : [{ type: "node.throttled", nodeId: x.node.id, payload: { attempt, message: failure.message, until: wakeAt.toISOString() } }],
        effect: { key: x.key, status: "failed", error: failure, attemptNotCounted: true },
        run: { status: "sleeping", wakeAt },
        release: true,
      });
      return "stop-sleeping";
    }
    if (failure.kind === "retryable" && attempt < policy.attempts) {
      const delay = backoffMs(policy, attempt, deps.random ?? Math.random, (error as { retryAfterMs?: number }).retryAfterMs);
      const wakeAt = new Date(clock.now().getTime() + delay);
      await commit({
        events: [failedEvent, { type: "node.retry_scheduled", nodeId: x.node.id, payload: { attempt: attempt + 1, at: wakeAt.toISOString(), delayMs: delay } }],
        effect: { key: x.key, status: "failed", error: failure },
        run: { status: "sleeping", wakeAt },
        release: true,
      });
      return "stop-sleeping";
    }
    const failedSnapshot = x.machineSend({ type: "NODE.FAILED", node: x.node.id, error: failure });
    if (failedSnapshot !== x.snapshot && JSON.stringify(failedSnapshot.value) !== JSON.stringify(x.snapshot.value)) {
      await advance({ type: "NODE.FAILED", node: x.node.id, error: failure }, [failedEvent], { effect: { key: x.key, status: "failed", error: failure } });
      return "progressed";
    }
    const attempts = await attemptHistory(deps, x.runId, x.node.id, attempt, failure);
    await deadLetter(commit, x.node.id, x.visit, attempts, x.context, { key: x.key, failure });
    return "stop-dead";
  }
}

/**
 * A step that would spend past a budget is not started: the run sleeps until the budget allows
 * it, with the reason in its log and a notification. A step already completed (its result is in
 * the ledger, a crash came before the commit) is never held: replaying it spends nothing.
 */
async function budgetHeld(deps: RuntimeDeps, gate: BudgetGate, x: ExecutorInput, commit: Commit): Promise<boolean> {
  const parsed = x.meta.config.safeParse(x.node.config);
  const hold = await gate.check({ runId: x.runId, workflowId: x.workflowId, nodeId: x.node.id, meta: x.meta, config: parsed.success ? parsed.data : x.node.config, now: deps.clock.now() });
  if (!hold || (await deps.store.effect(x.key))?.status === "completed") return false;
  await commit({
    events: [{ type: RUN_PAUSED_EVENT, nodeId: x.node.id, payload: { reason: hold.reason, budget: hold.budget, detail: hold.detail, until: hold.until.toISOString() } }],
    run: { status: "sleeping", wakeAt: hold.until },
    release: true,
    notification: { kind: "budget_exceeded", title: `Run held by budget: ${hold.budget}, before '${x.node.id}'`, body: hold.detail, link: `/runs/${x.runId}` },
  });
  return true;
}

/** Every attempt of this node visit with its error: the earlier ones from the event log. */
async function attemptHistory(deps: RuntimeDeps, runId: string, nodeId: string, attempt: number, last: unknown) {
  const earlier = await deps.store.nodeFailures(runId, nodeId);
  return [...earlier.filter((f) => f.attempt < attempt), { attempt, error: last }];
}

async function deadLetter(
  commit: Commit,
  nodeId: string,
  visit: number,
  attempts: { attempt: number; error: unknown }[],
  context: WorkflowContext,
  effect?: { key: string; failure: unknown },
): Promise<void> {
  const last = attempts[attempts.length - 1]?.error as { message?: string; kind?: string } | undefined;
  await commit({
    events: [{ type: "run.dead", nodeId, payload: { visit, error: last } }],
    ...(effect ? { effect: { key: effect.key, status: "failed" as const, error: effect.failure } } : {}),
    deadLetter: {
      nodeId,
      packet: {
        node: nodeId,
        visit,
        input: context.input,
        outputsSoFar: context.outputs,
        attempts,
        likelyCause: last?.kind === "retryable" ? "The service kept failing or timing out; retries are spent." : (last?.message ?? "The step failed permanently."),
      },
    },
    run: { status: "dead", error: last ?? null },
    release: true,
  });
}
