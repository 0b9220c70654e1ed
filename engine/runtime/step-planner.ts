import { createActor, initialTransition, type AnyActorScope } from "xstate";
import { parseDuration } from "../duration";
import { PermanentError } from "../errors";
import { renderValue, runData } from "../expressions";
import type { CompiledWorkflow } from "../graph/compile";
import { activeNodes, createWorkflowMachine, runStatus, type WorkflowContext, type WorkflowEvent, type WorkflowMachine } from "../graph/machine";
import type { GraphNode } from "../graph/schema";
import type { AnyNodeMeta, DecisionConfig, DecisionField, DelayConfig, EndConfig, NodeRegistry, RetryPolicy, StepResult, SubworkflowConfig } from "../registry";
import { RUN_PAUSED_EVENT, type BudgetHold } from "./budget";
import { backoffMs } from "./retry";
import { appPath, childRunKey, stepKey, timerKey } from "./run-refs";
import type { ApprovalRecord, LoadedRun, NewEvent, RunStatus, StepCommit } from "./store";

// Decide, then do: from the claimed run, its compiled machine and one event, the next state of
// the claim and the effects to perform, the way xstate's `transition` returns
// `[snapshot, actions]`. Nothing here reads the database, the clock or a random source, and no
// input is changed: the effect runner performs the effects, and what they find (a ledger row,
// an approval, an executor's result, the time) comes back as the next event.
// Async only because templates render through JSONata, whose evaluation is async.

export type ProcessOutcome = "finished" | "waiting" | "sleeping" | "yielded" | "dead" | "lost";

export type Snapshot = ReturnType<typeof initialTransition<WorkflowMachine>>[0];

/** What stays the same for a whole claim: the run as loaded, its machine and its nodes. */
export interface PlanWorld {
  run: LoadedRun;
  registry: NodeRegistry;
  workerId: string;
  machine: WorkflowMachine;
  nodes: ReadonlyMap<string, GraphNode>;
  /** When the run must have finished (the workflow's maximum duration); null: never. */
  deadline: Date | null;
}

/** The claim between two events: the machine's snapshot, and the round of active nodes in progress. */
export interface PlanState {
  snapshot: Snapshot;
  /** The active nodes still to look at this round, and what the ones looked at wait for. */
  round: Round | null;
  /** The node the last effect was about; its result is the next event. */
  focus: Focus | null;
}

interface Round {
  remaining: readonly string[];
  wakeAt: Date | null;
  /** Some node waits for a person (an approval, a form) or a child run: the run waits, not sleeps. */
  person: boolean;
  /** Child runs waited for, by their key, looked at again once the run has released its lease. */
  children: readonly string[];
}

interface Focus {
  nodeId: string;
  visit: number;
  key: string;
  /** For an executor step: what it was asked to run. */
  step?: ExecutorStep;
  /** A failure on its way to a dead letter, waiting for the earlier attempts. */
  failure?: { attempt: number; error: Failure; settle: NonNullable<StepCommit["effect"]> };
}

/** A failure as the ledger and the log keep it (secrets already redacted). */
export interface Failure {
  message: string;
  kind: "retryable" | "permanent";
  name?: string;
}

/** A step's ledger row, written as `started` before its effect runs. */
export interface LedgerRow {
  key: string;
  runId: string;
  nodeId: string;
  visit: number;
  nodeType: string;
  request: unknown;
}

/** An executor node's step, everything the runner needs to perform it. */
export interface ExecutorStep {
  nodeId: string;
  visit: number;
  iteration: number;
  key: string;
  meta: AnyNodeMeta;
  /** The node's configuration as the registry's schema parsed it (an edited retry's included). */
  config: { ok: true; value: unknown } | { ok: false; error: unknown };
  /** A pure step (effects "none"): no ledger row unless it fails, and its commit may wait. */
  pure: boolean;
  /** Whether a budget must be asked before it runs (the node type says it spends). */
  spends: boolean;
  policy: RetryPolicy;
  ledger: LedgerRow;
}

/** A step's commit as the planner sees it; the runner adds the run, the worker and the seq. */
export type PlannedCommit = Omit<StepCommit, "runId" | "workerId" | "firstSeq" | "checkpoint"> & { checkpoint?: StepCommit["checkpoint"] };

export type Effect =
  /**
   * Commit a step. `hold`: it touched nothing outside the run, so it may be written together with
   * later steps. `reserve`: the next step's ledger row (its attempt not yet counted), written in
   * the same transaction when the runner knows it will go on. `settles`: the effect key this
   * commit completes (the runner's after-commit hook).
   */
  | { type: "commit"; step: PlannedCommit; hold: boolean; reserve?: LedgerRow; settles?: string }
  | { type: "fire-timer"; key: string }
  // The effects below end a plan; what they find is the next event.
  | { type: "read-approval"; nodeId: string; visit: number }
  | { type: "read-timer"; key: string }
  | { type: "read-child"; key: string }
  | { type: "read-failures"; nodeId: string }
  | { type: "start-child"; nodeId: string; workflow: string; input: unknown; key: string }
  | { type: "execute"; step: ExecutorStep }
  /** Ask for the next step (the runner checks the lease, the step budget and shutdown first). */
  | { type: "tick" }
  /** The run released its lease to wait or sleep; look once more for what may already have woken it. */
  | { type: "settle"; status: "waiting" | "sleeping"; children: readonly string[] }
  | { type: "stop"; outcome: ProcessOutcome };

export type ApprovalFound = Pick<ApprovalRecord, "id" | "status" | "editedData" | "packet" | "decidedBy" | "deadlineAt">;

export type PlanEvent =
  | { type: "begin" }
  | { type: "tick"; now: Date }
  | { type: "yield" }
  /** `newId`: the id a new approval gets (chosen before the commit that writes it, so its notification links to it). */
  | { type: "approval"; approval: ApprovalFound | null; now: Date; newId: string }
  | { type: "timer"; timer: { fireAt: Date; firedAt: Date | null } | null; now: Date }
  | { type: "child"; child: { id: string; status: RunStatus; output: unknown; error: unknown } | null }
  | { type: "child-started"; child: { id: string } | null }
  | { type: "failures"; earlier: readonly { attempt: number; error: unknown }[] }
  /** The ledger held the step as completed before a crash: its result, never run again. */
  | { type: "replayed"; result: { port: string; output: unknown } }
  /** `reserved`: its attempt was not counted when its row was written (it rode the previous commit). */
  | { type: "executed"; result: StepResult; attempt: number; reserved: boolean }
  | { type: "failed"; failure: Failure; attempt: number; reserved: boolean; retryAfterMs?: number | undefined; jitter: number; now: Date }
  | { type: "throttled"; failure: Failure; attempt: number; reserved: boolean; retryAfterMs?: number | undefined; alreadyLogged: boolean; now: Date }
  | { type: "held"; hold: BudgetHold };

export interface Plan {
  state: PlanState;
  effects: Effect[];
}

// A machine per compiled version, built once: versions are immutable and the store hands out
// the same compiled object for a version while it keeps it cached.
const machines = new WeakMap<CompiledWorkflow, WorkflowMachine>();
const nodeMaps = new WeakMap<LoadedRun["graph"], ReadonlyMap<string, GraphNode>>();

export function planWorld(run: LoadedRun, registry: NodeRegistry, workerId: string): PlanWorld {
  let machine = machines.get(run.compiled);
  if (!machine) machines.set(run.compiled, (machine = createWorkflowMachine(run.compiled)));
  let nodes = nodeMaps.get(run.graph);
  if (!nodes) nodeMaps.set(run.graph, (nodes = new Map(run.graph.nodes.map((n) => [n.id, n]))));
  const deadline = run.maxRunMs && run.startedAt ? new Date(run.startedAt.getTime() + run.maxRunMs) : null;
  return { run, registry, workerId, machine, nodes, deadline };
}

/** The next state and effects of a claim, given one event. */
export async function planStep(world: PlanWorld, state: PlanState | null, event: PlanEvent): Promise<Plan> {
  if (event.type === "begin") return begin(world);
  if (!state) throw new Error(`a claim begins with 'begin', not '${event.type}'`);
  switch (event.type) {
    case "tick":
      return tick(world, state, event.now);
    case "yield":
      return { state, effects: [commit({ events: [], run: { status: "queued" }, release: true }), { type: "stop", outcome: "yielded" }] };
    case "approval":
      return decision(world, state, event);
    case "timer":
      return delay(world, state, event.timer, event.now);
    case "child":
      return child(world, state, event.child);
    case "child-started":
      return childStarted(world, state, event.child);
    case "replayed":
      return executed(world, state, { port: event.result.port, output: event.result.output }, { replayed: true });
    case "executed":
      return executed(world, state, event.result, { attempt: event.attempt, reserved: event.reserved });
    case "failed":
      return failed(world, state, event);
    case "throttled":
      return throttled(world, state, event);
    case "held":
      return held(world, state, event.hold);
    case "failures":
      return deadAfterFailures(world, state, event.earlier);
  }
}

// ---------------------------------------------------------------------------------------------
// The claim and its rounds

function begin(world: PlanWorld): Plan {
  const { run, machine } = world;
  if (run.checkpoint) {
    const snapshot = machine.resolveState(run.checkpoint.snapshot as never);
    return { state: { snapshot, round: null, focus: null }, effects: [{ type: "tick" }] };
  }
  const triggers = run.graph.nodes.filter((n) => metaOf(world, n.id).behavior === "trigger").map((n) => n.id).sort();
  const trigger = run.run.triggerNodeId && triggers.includes(run.run.triggerNodeId) ? run.run.triggerNodeId : triggers[0]!;
  const [initial] = initialTransition(machine);
  const start: WorkflowEvent = { type: "START", node: trigger, input: run.run.input };
  const started = transit(machine, initial, start);
  const step: PlannedCommit = { events: [{ type: "run.started", payload: { input: run.run.input, machineEvent: start } }, ...entered(started)], checkpoint: checkpointOf(world, started) };
  return { state: { snapshot: started, round: null, focus: null }, effects: [commit(step, { hold: true }), { type: "tick" }] };
}

async function tick(world: PlanWorld, state: PlanState, now: Date): Promise<Plan> {
  const status = runStatus(state.snapshot);
  const parent = world.run.run.parentRunId;
  if (world.deadline && now >= world.deadline && status.status !== "done") {
    const seconds = Math.round(world.run.maxRunMs! / 1000);
    const step: PlannedCommit = {
      events: [{ type: "run.timed_out", payload: { maxRunSeconds: seconds } }],
      run: { status: "failed", error: { message: `the run took longer than the workflow's maximum of ${seconds} s` }, finished: true, wakeAt: null },
      release: true,
      wakeRun: parent,
    };
    return { state, effects: [commit(step), { type: "stop", outcome: "finished" }] };
  }
  if (status.status === "done") return finish(world, state, status);
  const round: Round = { remaining: activeNodes(state.snapshot), wakeAt: null, person: false, children: [] };
  return nextInRound(world, { ...state, round, focus: null });
}

/** The run reached an End (or ended implicitly): its output, and a parent waiting for it goes on. */
async function finish(world: PlanWorld, state: PlanState, status: { end: string | null; outcome: "success" | "failure" }): Promise<Plan> {
  const context = state.snapshot.context as WorkflowContext;
  const parent = world.run.run.parentRunId;
  const config = status.end ? configOf<EndConfig>(world, status.end) : null;
  if (config && !config.ok) {
    const step: PlannedCommit = {
      events: [{ type: "run.failed", nodeId: status.end, payload: { outcome: "failure" } }],
      run: { status: "failed", finished: true, wakeAt: null, error: { message: `End '${status.end}': ${messageOf(config.error)}` } },
      release: true,
      wakeRun: parent,
    };
    return { state, effects: [commit(step), { type: "stop", outcome: "finished" }] };
  }
  const succeeded = status.outcome === "success";
  const declared = config?.value.output;
  // An End's output (templates rendered) is the run's output; without one, every node's.
  const output = declared === undefined ? context.outputs : await renderValue(declared, runData(context.input, context.outputs));
  const step: PlannedCommit = {
    events: [{ type: succeeded ? "run.succeeded" : "run.failed", nodeId: status.end, payload: { outcome: status.outcome } }],
    run: { status: succeeded ? "succeeded" : "failed", output, finished: true, wakeAt: null, ...(succeeded ? {} : { error: { message: `ended at '${status.end}' with outcome failure` } }) },
    release: true,
    wakeRun: parent,
  };
  return { state, effects: [commit(step), { type: "stop", outcome: "finished" }] };
}

/**
 * The next active node of this round. A node that moves the run on ends the round (the next
 * tick starts a new one); one that waits (a person, a timer, a child run) lets the round look
 * at the others; when none moved, the run releases its lease to wait or sleep.
 */
function nextInRound(world: PlanWorld, state: PlanState, effects: Effect[] = []): Plan {
  const round = state.round!;
  const [nodeId, ...remaining] = round.remaining;
  if (nodeId === undefined) {
    const wakeAt = earliest(round.wakeAt, world.deadline);
    const status = round.person ? "waiting" : "sleeping";
    return {
      state: { ...state, round: null, focus: null },
      effects: [...effects, commit({ events: [], run: { status, wakeAt }, release: true }), { type: "settle", status, children: round.children }],
    };
  }
  const next: PlanState = { ...state, round: { ...round, remaining }, focus: null };
  const meta = metaOf(world, nodeId);
  const context = state.snapshot.context as WorkflowContext;
  const visit = context.visits[nodeId] ?? 1;
  const key = keyOf(world, nodeId, visit);
  const focus: Focus = { nodeId, visit, key };
  if (meta.behavior === "trigger") {
    const done = advance(world, next, { type: "NODE.DONE", node: nodeId, port: "out", output: context.input }, [{ type: "node.completed", nodeId, payload: { port: "out" } }]);
    return { state: done.state, effects: [...effects, commit(done.step, { hold: true }), { type: "tick" }] };
  }
  if (meta.behavior === "fork" || meta.behavior === "join") {
    // A join outputs what each branch's last node produced, by node id.
    const output = meta.behavior === "join" ? Object.fromEntries(world.run.graph.edges.filter((e) => e.target === nodeId).map((e) => [e.source, context.outputs[e.source] ?? null])) : null;
    const done = advance(world, next, { type: "NODE.DONE", node: nodeId, port: "out", output }, [{ type: "node.completed", nodeId, payload: { port: "out" } }]);
    return { state: done.state, effects: [...effects, commit(done.step, { hold: true }), { type: "tick" }] };
  }
  if (meta.behavior === "approval") return { state: { ...next, focus }, effects: [...effects, { type: "read-approval", nodeId, visit }] };
  if (meta.behavior === "delay") return { state: { ...next, focus }, effects: [...effects, { type: "read-timer", key: timerKey({ kind: "delay", step: key }) }] };
  if (meta.execution === "executor") {
    const step = executorStep(world, state.snapshot, nodeId, meta, visit, key);
    return { state: { ...next, focus: { ...focus, step } }, effects: [...effects, { type: "execute", step }] };
  }
  // A sub-workflow: a child run of another workflow's published version; this run waits.
  return { state: { ...next, focus }, effects: [...effects, { type: "read-child", key: childRunKey(key) }] };
}

/** This node waits (for a person, a timer or a child run): the round goes on with the others. */
function waits(world: PlanWorld, state: PlanState, why: { wakeAt?: Date | null; person?: boolean; child?: string }, effects: Effect[] = []): Plan {
  const round = state.round!;
  const next: Round = {
    ...round,
    wakeAt: earliest(round.wakeAt, why.wakeAt ?? null),
    person: round.person || Boolean(why.person),
    children: why.child ? [...round.children, why.child] : round.children,
  };
  return nextInRound(world, { ...state, round: next, focus: null }, effects);
}

/** The node moved the run on: commit it and take the next step. */
function moved(world: PlanWorld, state: PlanState, event: WorkflowEvent, logged: NewEvent[], extra: Partial<PlannedCommit> = {}, options: { hold?: boolean; settles?: string; before?: Effect[] } = {}): Plan {
  const done = advance(world, state, event, logged, extra);
  // A step into an End is held: the run's finish, computed next with no I/O between, commits
  // with it in one transaction, as if they were one step.
  const hold = options.hold ?? done.state.snapshot.status === "done";
  const reserve = hold ? undefined : reservationAfter(world, done.state.snapshot);
  return {
    state: { ...done.state, round: null, focus: null },
    effects: [...(options.before ?? []), commit(done.step, { hold, ...(reserve ? { reserve } : {}), ...(options.settles ? { settles: options.settles } : {}) }), { type: "tick" }],
  };
}

// ---------------------------------------------------------------------------------------------
// Nodes the engine performs itself

/** A decision node's [approve, reject] ports, as the compiler wires them: its first two outputs. */
function decisionPorts(meta: AnyNodeMeta, config: DecisionConfig): { yes: string; no: string } {
  const [yes = "approved", no = "rejected"] = meta.outputs(config).map((p) => p.id);
  return { yes, no };
}

async function decision(world: PlanWorld, state: PlanState, event: Extract<PlanEvent, { type: "approval" }>): Promise<Plan> {
  const { nodeId, visit } = state.focus!;
  const parsed = configOf<DecisionConfig>(world, nodeId);
  if (!parsed.ok) return nodeFailed(world, state, permanent(`configuration: ${messageOf(parsed.error)}`));
  const config = parsed.value;
  const ports = decisionPorts(metaOf(world, nodeId), config);
  const { approval, now } = event;
  const context = state.snapshot.context as WorkflowContext;
  const runId = world.run.run.id;
  const form = config.fields !== undefined;
  if (!approval) {
    const ms = config.deadline ? parseDuration(config.deadline) : undefined;
    const deadlineAt = ms === undefined ? null : new Date(now.getTime() + ms);
    const data = runData(context.input, context.outputs);
    const fields = config.fields ? ((await renderValue(config.fields, data)) as DecisionField[]) : undefined;
    const packet = {
      ...(fields ? { kind: "form", fields } : {}),
      title: await renderValue(config.title, data),
      instructions: await renderValue(config.instructions, data),
      proposal: fields
        ? Object.fromEntries(fields.map((f) => [f.name, f.default ?? (f.type === "boolean" ? false : null)]))
        : config.proposal === undefined
          ? context.outputs
          : await renderValue(config.proposal, data),
      input: context.input,
      risk: config.risk ?? "medium",
      deadline: deadlineAt?.toISOString() ?? null,
    };
    const id = event.newId;
    const step: PlannedCommit = {
      events: [{ type: "approval.requested", nodeId, payload: { visit, deadline: packet.deadline } }],
      approval: { id, nodeId, visit, packet, risk: packet.risk, deadlineAt },
      notifications: [
        {
          kind: form ? "form" : "approval",
          title: `${form ? "Form to fill in" : "Approval needed"}: ${String(packet.title)}`,
          body: String(packet.instructions),
          link: waitingLink(id, form),
        },
      ],
      // The operator is reminded once at 80% of the time to the deadline (the server's notifier fires it).
      ...(deadlineAt ? { timer: { key: timerKey({ kind: "remind", runId, nodeId, visit }), kind: "notification" as const, nodeId, fireAt: new Date(now.getTime() + Math.round((deadlineAt.getTime() - now.getTime()) * 0.8)) } } : {}),
    };
    return waits(world, state, { person: true, wakeAt: deadlineAt }, [commit(step)]);
  }
  const proposal = (approval.packet as { proposal?: unknown } | null)?.proposal ?? null;
  if (approval.status === "approved") {
    const edited = approval.editedData !== null && approval.editedData !== undefined;
    return moved(world, state, edited ? { type: "EDIT", node: nodeId, output: approval.editedData } : { type: "APPROVE", node: nodeId, output: proposal }, [
      { type: "approval.approved", nodeId, payload: { by: approval.decidedBy, edited, port: ports.yes } },
    ]);
  }
  if (approval.status === "rejected" || approval.status === "expired") {
    return moved(world, state, { type: "REJECT", node: nodeId }, [{ type: "approval.rejected", nodeId, payload: { by: approval.decidedBy, port: ports.no } }]);
  }
  if (approval.deadlineAt && approval.deadlineAt <= now) {
    const action = config.onDeadline;
    if (action === "escalate") {
      const step: PlannedCommit = {
        events: [{ type: "approval.escalated", nodeId }],
        notifications: [
          {
            kind: form ? "form_overdue" : "approval_overdue",
            title: `${form ? "Overdue form" : "Overdue approval"}: ${config.title}`,
            body: "Its deadline passed; it still waits for you.",
            link: waitingLink(approval.id, form),
          },
        ],
      };
      return waits(world, state, { person: true }, [commit(step)]);
    }
    const approve = action === "approve" || action === "submitDefaults";
    return moved(
      world,
      state,
      approve ? { type: "APPROVE", node: nodeId, output: proposal } : { type: "REJECT", node: nodeId },
      [{ type: approve ? "approval.approved" : "approval.rejected", nodeId, payload: { by: "deadline", port: approve ? ports.yes : ports.no } }],
      { approvalUpdate: { id: approval.id, status: approve ? "approved" : "expired", decidedBy: "deadline" } },
    );
  }
  return waits(world, state, { person: true, wakeAt: approval.deadlineAt });
}

function delay(world: PlanWorld, state: PlanState, timer: { fireAt: Date; firedAt: Date | null } | null, now: Date): Plan {
  const { nodeId, key } = state.focus!;
  const parsed = configOf<DelayConfig>(world, nodeId);
  if (!parsed.ok) return nodeFailed(world, state, permanent(`configuration: ${messageOf(parsed.error)}`));
  const delayKey = timerKey({ kind: "delay", step: key });
  if (!timer) {
    const fireAt = new Date(now.getTime() + (parseDuration(parsed.value.duration) ?? 0));
    const step: PlannedCommit = { events: [{ type: "delay.started", nodeId, payload: { until: fireAt.toISOString() } }], timer: { key: delayKey, kind: "delay", nodeId, fireAt } };
    return waits(world, state, { wakeAt: fireAt }, [commit(step)]);
  }
  if (timer.firedAt || timer.fireAt <= now) {
    return moved(world, state, { type: "WAKE", node: nodeId }, [{ type: "delay.finished", nodeId, payload: { port: "out" } }], {}, { before: [{ type: "fire-timer", key: delayKey }] });
  }
  return waits(world, state, { wakeAt: timer.fireAt });
}

async function child(world: PlanWorld, state: PlanState, found: Extract<PlanEvent, { type: "child" }>["child"]): Promise<Plan> {
  const { nodeId, key } = state.focus!;
  const parsed = configOf<SubworkflowConfig>(world, nodeId);
  if (!parsed.ok) return nodeFailed(world, state, permanent(`configuration: ${messageOf(parsed.error)}`));
  const childKey = childRunKey(key);
  if (!found) {
    const context = state.snapshot.context as WorkflowContext;
    const input = await renderValue(parsed.value.input, runData(context.input, context.outputs));
    return { state, effects: [{ type: "start-child", nodeId, workflow: parsed.value.workflow, input, key: childKey }] };
  }
  if (found.status === "succeeded") {
    return moved(world, state, { type: "NODE.DONE", node: nodeId, port: "out", output: found.output }, [{ type: "node.completed", nodeId, payload: { port: "out", child: found.id } }]);
  }
  if (found.status === "failed" || found.status === "cancelled") {
    const reason = (found.error as { message?: unknown } | null)?.message;
    return nodeFailed(world, state, permanent(`sub-workflow run ${found.id} ${found.status}${typeof reason === "string" && reason ? `: ${reason}` : ""}`));
  }
  return waits(world, state, { person: true, child: childKey });
}

function childStarted(world: PlanWorld, state: PlanState, started: { id: string } | null): Plan {
  const { nodeId, key } = state.focus!;
  const parsed = configOf<SubworkflowConfig>(world, nodeId);
  if (!parsed.ok) return nodeFailed(world, state, permanent(`configuration: ${messageOf(parsed.error)}`));
  const { workflow } = parsed.value;
  if (!started) return nodeFailed(world, state, permanent(`workflow '${workflow}' does not exist or has no published version`));
  const step: PlannedCommit = { events: [{ type: "subworkflow.started", nodeId, payload: { child: started.id, workflow } }] };
  return waits(world, state, { person: true, child: childRunKey(key) }, [commit(step)]);
}

/** A node the engine performs failed for good (no retries): its error edge, else a dead letter. */
function nodeFailed(world: PlanWorld, state: PlanState, error: Failure): Plan {
  const { nodeId, visit } = state.focus!;
  const event: WorkflowEvent = { type: "NODE.FAILED", node: nodeId, error };
  if (routes(world, state.snapshot, event)) return moved(world, state, event, [{ type: "node.failed", nodeId, payload: { attempt: 1, error } }]);
  return { state: { ...state, round: null, focus: null }, effects: [commit(deadLetter(state, nodeId, visit, [{ attempt: 1, error }])), { type: "stop", outcome: "dead" }] };
}

// ---------------------------------------------------------------------------------------------
// Executor steps

function executorStep(world: PlanWorld, snapshot: Snapshot, nodeId: string, meta: AnyNodeMeta, visit: number, key: string): ExecutorStep {
  const original = world.nodes.get(nodeId)!;
  const context = snapshot.context as WorkflowContext;
  // A dead step the operator retried with edited config runs under a new key, with that config.
  const override = overrideOf(world, nodeId, visit);
  const node = override ? { ...original, config: { ...original.config, ...override.config } } : original;
  const config = parsedConfig(meta, node);
  return {
    nodeId,
    visit,
    iteration: context.iterations?.[nodeId] ?? visit,
    key,
    meta,
    config,
    pure: meta.effects === "none",
    spends: config.ok && spends(meta, config.value),
    policy: { ...meta.retry, ...(node.retry ?? {}) },
    ledger: { key, runId: world.run.run.id, nodeId, visit, nodeType: `${meta.type}@${meta.version}`, request: { config: node.config } },
  };
}

function executed(world: PlanWorld, state: PlanState, result: StepResult, how: { replayed: true } | { attempt: number; reserved: boolean }): Plan {
  const { nodeId, key, step } = state.focus!;
  const event: WorkflowEvent = { type: "NODE.DONE", node: nodeId, port: result.port, output: result.output };
  if ("replayed" in how) return moved(world, state, event, [{ type: "node.completed", nodeId, payload: { port: result.port, replayed: true } }]);
  const logged: NewEvent[] = [{ type: "node.completed", nodeId, payload: { port: result.port, attempt: how.attempt, worker: world.workerId } }];
  const cost = result.cost ? { run: { costTokens: result.cost.tokens ?? 0, costUnits: result.cost.units ?? 0 } } : {};
  if (step!.pure) return moved(world, state, event, logged, cost, { hold: true });
  const effect: NonNullable<StepCommit["effect"]> = {
    key,
    status: "completed",
    result: { port: result.port, output: result.output ?? null },
    ...(result.cost?.tokens ? { costTokens: result.cost.tokens } : {}),
    ...(result.cost?.units ? { costUnits: result.cost.units } : {}),
    ...(how.reserved ? { countAttempt: true as const } : {}),
  };
  return moved(world, state, event, logged, { effect, ...cost }, { settles: key });
}

function failed(world: PlanWorld, state: PlanState, event: Extract<PlanEvent, { type: "failed" }>): Plan {
  const { nodeId, key, step } = state.focus!;
  const { failure, attempt } = event;
  const settle: NonNullable<StepCommit["effect"]> = { key, status: "failed", error: failure, ...(event.reserved ? { countAttempt: true as const } : {}) };
  const failedEvent: NewEvent = { type: "node.failed", nodeId, payload: { attempt, error: failure } };
  if (failure.kind === "retryable" && attempt < step!.policy.attempts) {
    const delayMs = backoffMs(step!.policy, attempt, () => event.jitter, event.retryAfterMs);
    const wakeAt = new Date(event.now.getTime() + delayMs);
    const commitStep: PlannedCommit = {
      events: [failedEvent, { type: "node.retry_scheduled", nodeId, payload: { attempt: attempt + 1, at: wakeAt.toISOString(), delayMs } }],
        effect: settle,
      run: { status: "sleeping", wakeAt },
      release: true,
    };
    return { state: { ...state, round: null, focus: null }, effects: [commit(commitStep), { type: "stop", outcome: "sleeping" }] };
  }
  const routed: WorkflowEvent = { type: "NODE.FAILED", node: nodeId, error: failure };
  if (routes(world, state.snapshot, routed)) return moved(world, state, routed, [failedEvent], { effect: settle });
  // A dead letter lists every attempt: the earlier ones are in the log.
  return { state: { ...state, focus: { ...state.focus!, failure: { attempt, error: failure, settle } } }, effects: [{ type: "read-failures", nodeId }] };
}

function deadAfterFailures(_world: PlanWorld, state: PlanState, earlier: readonly { attempt: number; error: unknown }[]): Plan {
  const { nodeId, visit, failure } = state.focus!;
  const attempts = [...earlier.filter((f) => f.attempt < failure!.attempt), { attempt: failure!.attempt, error: failure!.error }];
  return { state: { ...state, round: null, focus: null }, effects: [commit(deadLetter(state, nodeId, visit, attempts, failure!.settle)), { type: "stop", outcome: "dead" }] };
}

/** Keel's own rate limit held the call back: wait for the next token; no attempt is spent. */
function throttled(_world: PlanWorld, state: PlanState, event: Extract<PlanEvent, { type: "throttled" }>): Plan {
  const { nodeId, key } = state.focus!;
  const wakeAt = new Date(event.now.getTime() + (event.retryAfterMs ?? 1_000));
  // Logged once per throttled step: a wake-up that finds the bucket still empty only moves the
  // wake time, so a backlog behind a limit does not grow the log with every wake-up.
  const step: PlannedCommit = {
    events: event.alreadyLogged ? [] : [{ type: "node.throttled", nodeId, payload: { attempt: event.attempt, message: event.failure.message, until: wakeAt.toISOString() } }],
    // A reserved row never counted this attempt; a begun one takes it back.
    effect: { key, status: "failed", error: event.failure, ...(event.reserved ? {} : { attemptNotCounted: true as const }) },
    run: { status: "sleeping", wakeAt },
    release: true,
  };
  return { state: { ...state, round: null, focus: null }, effects: [commit(step), { type: "stop", outcome: "sleeping" }] };
}

/**
 * A step that would spend past a budget is not started: the run sleeps until the budget allows
 * it, with the reason in its log and a notification.
 */
function held(world: PlanWorld, state: PlanState, hold: BudgetHold): Plan {
  const { nodeId } = state.focus!;
  const step: PlannedCommit = {
    events: [{ type: RUN_PAUSED_EVENT, nodeId, payload: { reason: hold.reason, budget: hold.budget, detail: hold.detail, until: hold.until.toISOString() } }],
    run: { status: "sleeping", wakeAt: hold.until },
    release: true,
    notifications: [{ kind: "budget_exceeded", title: `Run held by budget: ${hold.budget}, before '${nodeId}'`, body: hold.detail, link: `/runs/${world.run.run.id}` }],
  };
  return { state: { ...state, round: null, focus: null }, effects: [commit(step), { type: "stop", outcome: "sleeping" }] };
}

function deadLetter(state: PlanState, nodeId: string, visit: number, attempts: { attempt: number; error: unknown }[], effect?: NonNullable<StepCommit["effect"]>): PlannedCommit {
  const context = state.snapshot.context as WorkflowContext;
  const last = attempts[attempts.length - 1]?.error as { message?: string; kind?: string } | undefined;
  return {
    events: [{ type: "run.dead", nodeId, payload: { visit, error: last } }],
    ...(effect ? { effect } : {}),
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
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function commit(step: PlannedCommit, options: { hold?: boolean; reserve?: LedgerRow; settles?: string } = {}): Effect {
  return { type: "commit", step: { ...step, checkpoint: step.checkpoint ?? null }, hold: options.hold ?? false, ...(options.reserve ? { reserve: options.reserve } : {}), ...(options.settles ? { settles: options.settles } : {}) };
}

/** The machine moved by `event`, with the log entries that say so. */
function advance(world: PlanWorld, state: PlanState, event: WorkflowEvent, logged: NewEvent[], extra: Partial<PlannedCommit> = {}): { state: PlanState; step: PlannedCommit } {
  const next = transit(world.machine, state.snapshot, event);
  // The log keeps the exact machine event, so a run's history replays to its checkpoints.
  const [first, ...rest] = logged;
  const withEvent = { ...first!, payload: { ...((first!.payload as object | undefined) ?? {}), machineEvent: event } };
  return { state: { ...state, snapshot: next }, step: { ...extra, events: [withEvent, ...rest, ...entered(next, state.snapshot)], checkpoint: checkpointOf(world, next) } };
}

/** Whether a failure moves the machine (the node has an error edge). */
function routes(world: PlanWorld, snapshot: Snapshot, event: WorkflowEvent): boolean {
  const next = transit(world.machine, snapshot, event);
  return next !== snapshot && JSON.stringify(next.value) !== JSON.stringify(snapshot.value);
}

// xstate's pure `transition` builds a throwaway actor (computing the machine's initial state)
// on every call. A workflow machine has only assign actions, no children and no delays, so one
// inert scope per machine serves every transition and nothing is ever recorded on it.
const scopes = new WeakMap<WorkflowMachine, AnyActorScope>();
function transit(machine: WorkflowMachine, snapshot: Snapshot, event: WorkflowEvent): Snapshot {
  let scope = scopes.get(machine);
  if (!scope) {
    const self = createActor(machine);
    scope = { self, id: "", sessionId: "", logger: () => {}, defer: () => {}, emit: () => {}, system: self.system, stopChild: () => {}, actionExecutor: () => {} };
    scopes.set(machine, scope);
  }
  return machine.transition(snapshot, event, scope);
}

function checkpointOf(world: PlanWorld, snapshot: Snapshot): StepCommit["checkpoint"] {
  return { snapshot: world.machine.getPersistedSnapshot(snapshot), machineHash: world.run.compiled.hash };
}

/** The events that say which nodes a transition entered: those whose visit count went up. */
function entered(after: Snapshot, from?: Snapshot): NewEvent[] {
  const was = from ? (from.context as WorkflowContext).visits : {};
  const visits = (after.context as WorkflowContext).visits;
  return Object.keys(visits)
    .filter((n) => visits[n] !== was[n])
    .sort()
    .map((n) => ({ type: "node.entered", nodeId: n, payload: { visit: visits[n] } }));
}

/**
 * The ledger row of the step the next round starts with, when it is an effect whose row can be
 * written with this commit: an executor with effects that no budget needs to be asked about.
 */
function reservationAfter(world: PlanWorld, snapshot: Snapshot): LedgerRow | undefined {
  if (snapshot.status !== "active") return undefined;
  const [nodeId] = activeNodes(snapshot);
  const node = nodeId === undefined ? undefined : world.nodes.get(nodeId);
  const meta = node && world.registry.get(node.type, node.typeVersion);
  if (!nodeId || !meta || meta.behavior === "approval" || meta.behavior === "delay" || meta.behavior === "trigger" || meta.behavior === "fork" || meta.behavior === "join") return undefined;
  if (meta.execution !== "executor" || meta.effects === "none") return undefined;
  const visit = (snapshot.context as WorkflowContext).visits[nodeId] ?? 1;
  const step = executorStep(world, snapshot, nodeId, meta, visit, keyOf(world, nodeId, visit));
  return step.spends ? undefined : step.ledger;
}

function metaOf(world: PlanWorld, nodeId: string): AnyNodeMeta {
  const node = world.nodes.get(nodeId)!;
  const meta = world.registry.get(node.type, node.typeVersion);
  if (!meta) throw new PermanentError(`node type ${node.type}@${node.typeVersion} is not installed`);
  return meta;
}

function overrideOf(world: PlanWorld, nodeId: string, visit: number) {
  const override = world.run.stepOverrides[nodeId];
  return override?.visit === visit ? override : undefined;
}

function keyOf(world: PlanWorld, nodeId: string, visit: number): string {
  return stepKey(world.run.run.id, nodeId, visit, overrideOf(world, nodeId, visit)?.generation);
}

/** An engine-performed node's configuration, as the registry's schema parsed it. */
function configOf<Config>(world: PlanWorld, nodeId: string): { ok: true; value: Config } | { ok: false; error: unknown } {
  return parsedConfig(metaOf(world, nodeId), world.nodes.get(nodeId)!);
}

// A node's parsed configuration, once per node of a published version (those never change; an
// operator's edit makes a new node object, parsed on its own). Frozen, since every run shares it.
const configs = new WeakMap<GraphNode, { ok: true; value: unknown } | { ok: false; error: unknown }>();
function parsedConfig(meta: AnyNodeMeta, node: GraphNode): { ok: true; value: any } | { ok: false; error: unknown } { // eslint-disable-line @typescript-eslint/no-explicit-any -- typed by the caller's config type, which the node's schema satisfies
  let parsed = configs.get(node);
  if (!parsed) {
    const result = meta.config.safeParse(node.config);
    parsed = result.success ? { ok: true, value: deepFreeze(result.data) } : { ok: false, error: result.error };
    configs.set(node, parsed);
  }
  return parsed;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

/** Whether a step with this configuration spends money, as its node type says (a type that cannot read it spends nothing: its executor fails). */
function spends(meta: AnyNodeMeta, config: unknown): boolean {
  try {
    return meta.spends?.(config) ?? false;
  } catch {
    return false;
  }
}

function earliest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return b < a ? b : a;
}

function permanent(message: string): Failure {
  return { message, kind: "permanent" };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Where the operator acts on a waiting approval or form: a path in Keel. */
function waitingLink(approvalId: string, form: boolean): string {
  return appPath({ to: form ? "form" : "approval", id: approvalId });
}
