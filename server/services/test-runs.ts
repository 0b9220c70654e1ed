import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import { initialTransition, transition } from "xstate";
import { compileGraph, createWorkflowMachine, validateGraph, type Graph, type Problem, type WorkflowContext } from "../../engine/graph";
import { assertJsonWithin } from "../../engine/json-bytes";
import { LIMITS } from "../../engine/limits";
import type { NodeRegistry } from "../../engine/registry";
import { createSeededTestRun, markTestRun, skipDelay } from "../../engine/runtime/prisma-store-test-runs";
import type { RunStore } from "../../engine/runtime/store";
import { json, type Db } from "../../engine/store";
import { audit } from "./audit";
import { assertCapabilities, capabilitiesNow, type CapabilitySource } from "./capabilities";

// Test runs from the editor: the draft as it is now, pinned as a hidden test version (left out
// of the version history and numbering), run as a real run on the same ledger and marked as a
// test so dashboards and run lists can leave it out.

export const StartTestRunInput = z.object({
  id: z.string().min(1),
  input: z.unknown().default({}),
  /** Email steps keep their messages in the outbox instead of sending them over SMTP. */
  emailToOutbox: z.boolean().default(true),
});

export const SaveTestInput = z.object({ id: z.string().min(1), input: z.unknown() });

export const RunStepInput = z.object({ id: z.string().min(1), nodeId: z.string().min(1, "is required") });

// The trigger of a one-step run's graph (the stepped node is the only other node in it).
const STEP_TRIGGER = "keelStepTrigger";

export interface TestRunWarning {
  nodeId: string;
  kind: "email" | "endpoint";
  message: string;
}

// Hosts a test may call without a warning: this machine, and the names reserved for tests.
const TEST_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1)$|\.(test|example|invalid|localhost)$|^example\.(com|org|net)$/i;

/** The host a URL calls, or null when a template decides it at run time (or it is no URL). */
function hostOf(url: string): string | null {
  const authority = url.match(/^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i)?.[1];
  if (authority === undefined || authority.includes("{{")) return null;
  try {
    return new URL(url.replace(/\{\{[\s\S]*?\}\}/g, "x")).hostname;
  } catch {
    return null;
  }
}

/**
 * What a test run of this graph would do to the outside world: email sent for real (an SMTP
 * credential, and email not kept in the outbox) and HTTP calls to hosts that are not test
 * hosts. A URL built from a template is named as unknown rather than guessed.
 */
export function testRunWarnings(graph: Graph, options: { emailToOutbox: boolean }): TestRunWarning[] {
  const warnings: TestRunWarning[] = [];
  for (const node of graph.nodes) {
    const config = (node.config ?? {}) as Record<string, unknown>;
    const name = node.label || node.id;
    if (node.type === "email.send" && typeof config.credential === "string" && config.credential && !options.emailToOutbox) {
      warnings.push({ nodeId: node.id, kind: "email", message: `'${name}' sends real email through '${config.credential}'.` });
    }
    if (node.type === "notify.operator" && config.email === true) {
      warnings.push({ nodeId: node.id, kind: "email", message: `'${name}' also emails the operator.` });
    }
    if (node.type === "http.request" && typeof config.url === "string") {
      const host = hostOf(config.url);
      if (host === null) warnings.push({ nodeId: node.id, kind: "endpoint", message: `'${name}' calls a URL built at run time: ${config.url}` });
      else if (!TEST_HOST.test(host)) warnings.push({ nodeId: node.id, kind: "endpoint", message: `'${name}' calls ${host}, not a test endpoint.` });
    }
  }
  return warnings;
}

/** The graph a test run pins: email steps lose their SMTP credential when email stays in the outbox. */
function testGraph(graph: Graph, emailToOutbox: boolean): Graph {
  if (!emailToOutbox) return graph;
  return {
    ...graph,
    nodes: graph.nodes.map((node) => {
      if (node.type !== "email.send") return node;
      const { credential: _dropped, ...config } = (node.config ?? {}) as Record<string, unknown>;
      return { ...node, config };
    }),
  };
}

function problemsError(problems: Problem[], name: string): ValidationError {
  const first = problems[0]!;
  return new ValidationError(
    `'${name}' cannot be test-run: ${problems.length} problem${problems.length === 1 ? "" : "s"}; first: ${first.path}: ${first.message}`,
    problems.map((p) => ({ path: p.path, message: p.message })),
  );
}

export function testRunService(db: Db, deps: { registry: NodeRegistry; store: RunStore; capabilities: CapabilitySource; onRunnable?: () => void }) {
  async function workflow(id: string) {
    const wf = await db.workflow.findUnique({ where: { id }, select: { id: true, name: true, draftGraph: true, testInput: true } });
    if (!wf) throw new NotFoundError(`no workflow '${id}'`);
    return wf;
  }

  /** The hidden version for this graph: reused while the draft is unchanged, else numbered below the last. */
  async function testVersion(workflowId: string, graph: Graph): Promise<string> {
    const compiled = compileGraph(graph, deps.registry);
    const same = await db.workflowVersion.findFirst({ where: { workflowId, test: true, hash: compiled.hash }, select: { id: true } });
    if (same) return same.id;
    for (let attempt = 0; ; attempt++) {
      const lowest = await db.workflowVersion.findFirst({ where: { workflowId, test: true }, orderBy: { number: "asc" }, select: { number: true } });
      try {
        const created = await db.workflowVersion.create({
          data: {
            workflowId,
            number: Math.min(lowest?.number ?? 0, 0) - 1,
            graph: json(graph),
            machine: json({ machine: compiled.machine, stateMap: compiled.stateMap, nodes: compiled.nodes }),
            hash: compiled.hash,
            notes: "test run",
            test: true,
          },
          select: { id: true },
        });
        return created.id;
      } catch (error) {
        // Two test runs started at once took the same number: take the next one.
        if ((error as { code?: string }).code !== "P2002" || attempt >= 3) throw error;
      }
    }
  }

  return {
    /** What a test run would send out for real, for the editor to say before it starts one. */
    async preflight(input: { id: string; emailToOutbox?: boolean }) {
      const wf = await workflow(input.id);
      const result = validateGraph(wf.draftGraph, deps.registry);
      return {
        problems: result.ok ? [] : result.problems,
        warnings: result.ok ? testRunWarnings(result.graph, { emailToOutbox: input.emailToOutbox ?? true }) : [],
        input: wf.testInput ?? {},
      };
    },

    async saveInput(raw: z.input<typeof SaveTestInput>, actor = "operator") {
      const input = SaveTestInput.parse(raw);
      assertJsonWithin("input", input.input, LIMITS.runInputBytes);
      const { count } = await db.workflow.updateMany({ where: { id: input.id }, data: { testInput: json(input.input ?? {}) } });
      if (!count) throw new NotFoundError(`no workflow '${input.id}'`);
      await audit(db, { actor, action: "workflow.test_input", targetType: "workflow", targetId: input.id });
      return { input: input.input ?? {} };
    },

    /** Runs the draft with this input (saved as the workflow's sample input) as a test run. */
    async start(raw: z.input<typeof StartTestRunInput>, actor = "operator") {
      const input = StartTestRunInput.parse(raw);
      assertJsonWithin("input", input.input, LIMITS.runInputBytes);
      const wf = await workflow(input.id);
      const result = validateGraph(wf.draftGraph, deps.registry);
      if (!result.ok) throw problemsError(result.problems, wf.name);
      assertCapabilities(wf.name, result.graph, deps.registry, await capabilitiesNow(deps.capabilities));
      const versionId = await testVersion(wf.id, testGraph(result.graph, input.emailToOutbox));
      await db.workflow.update({ where: { id: wf.id }, data: { testInput: json(input.input ?? {}) } });
      const { run } = await deps.store.createRun({ workflowId: wf.id, versionId, input: input.input, trigger: "test" });
      await markTestRun(db, run.id);
      await audit(db, { actor, action: "run.test", targetType: "run", targetId: run.id, detail: { workflow: wf.name, emailToOutbox: input.emailToOutbox } });
      deps.onRunnable?.();
      return { id: run.id };
    },

    /** The workflow's latest full test run (not a one-step run), if any: its data is what steps and templates are tried against. */
    async latest(workflowId: string) {
      const run = await db.run.findFirst({ where: { workflowId, test: true, trigger: "test" }, orderBy: { createdAt: "desc" }, select: { id: true } });
      return run ? this.detail(run.id) : null;
    },

    /**
     * Runs one node of the draft on its own, as a test run, with the run input and every
     * upstream output pinned from the latest full test run: a graph of a manual trigger and
     * that node, started from a checkpoint whose context already holds the pinned outputs.
     */
    async runStep(raw: z.input<typeof RunStepInput>, actor = "operator") {
      const input = RunStepInput.parse(raw);
      const wf = await workflow(input.id);
      const result = validateGraph(wf.draftGraph, deps.registry);
      if (!result.ok) throw problemsError(result.problems, wf.name);
      const node = result.graph.nodes.find((n) => n.id === input.nodeId);
      if (!node) throw new ValidationError(`nodeId: the draft has no node '${input.nodeId}'`, [{ path: "nodeId", message: "is not in the draft" }]);
      const meta = deps.registry.get(node.type, node.typeVersion);
      if (meta?.behavior === "trigger" || node.id === STEP_TRIGGER) throw new ValidationError(`nodeId: '${node.label || node.id}' is a trigger: run the whole test instead`, [{ path: "nodeId", message: "is a trigger" }]);
      const pinned = await db.run.findFirst({ where: { workflowId: wf.id, test: true, trigger: "test" }, orderBy: { createdAt: "desc" }, select: { id: true, input: true } });
      if (!pinned) throw new ConflictError("Run a test of the whole workflow first: its outputs are what the step runs with.");
      const checkpoint = await db.checkpoint.findFirst({ where: { runId: pinned.id }, orderBy: { seq: "desc" }, select: { snapshot: true } });
      const outputs = ((checkpoint?.snapshot as { context?: Partial<WorkflowContext> } | undefined)?.context?.outputs ?? {}) as Record<string, unknown>;
      const graph: Graph = {
        schemaVersion: result.graph.schemaVersion,
        nodes: [{ id: STEP_TRIGGER, type: "trigger.manual", typeVersion: 1, label: "Run one step", position: { x: node.position.x - 240, y: node.position.y }, config: {} }, node],
        edges: [{ id: `${STEP_TRIGGER}-edge`, source: STEP_TRIGGER, sourcePort: "out", target: node.id, targetPort: "in" }],
      } as Graph;
      const compiled = compileGraph(graph, deps.registry);
      const versionId = await testVersion(wf.id, graph);
      const machine = createWorkflowMachine(compiled);
      const [initial] = initialTransition(machine);
      const [started] = transition(machine, initial, { type: "START", node: STEP_TRIGGER, input: pinned.input });
      const persisted = machine.getPersistedSnapshot(started) as unknown as { context: WorkflowContext };
      const seeded = { ...persisted, context: { ...persisted.context, outputs: { ...outputs, ...persisted.context.outputs } } };
      const run = await createSeededTestRun(db, {
        workflowId: wf.id,
        versionId,
        input: pinned.input,
        trigger: "step",
        originRunId: pinned.id,
        event: { type: "run.started", payload: { input: pinned.input, step: node.id, pinnedFrom: pinned.id } },
        snapshot: seeded,
        machineHash: compiled.hash,
        also: (tx, id) => audit(tx, { actor, action: "run.test_step", targetType: "run", targetId: id, detail: { workflow: wf.name, node: node.id, pinnedFrom: pinned.id } }),
      });
      deps.onRunnable?.();
      return { id: run.id };
    },

    /**
     * Everything the editor shows of a test run: status, the run input, each node's output and
     * error (from the latest checkpoint), attempts per node (from the ledger), the approvals
     * waiting and whether a wait can be skipped, and the event log for the node states.
     */
    async detail(runId: string) {
      const run = await db.run.findUnique({
        where: { id: runId },
        select: { id: true, workflowId: true, status: true, test: true, input: true, output: true, error: true, createdAt: true, finishedAt: true, version: { select: { graph: true } } },
      });
      if (!run) throw new NotFoundError(`no run '${runId}'`);
      const [checkpoint, effects, approvals, events] = await Promise.all([
        db.checkpoint.findFirst({ where: { runId }, orderBy: { seq: "desc" }, select: { snapshot: true } }),
        db.effect.findMany({ where: { runId }, orderBy: { startedAt: "asc" }, select: { nodeId: true, visit: true, status: true, attempts: true, error: true } }),
        db.approval.findMany({ where: { runId, status: "pending" }, select: { id: true, nodeId: true, packet: true } }),
        db.runEvent.findMany({ where: { runId }, orderBy: { seq: "asc" }, select: { seq: true, type: true, nodeId: true, payload: true, createdAt: true } }),
      ]);
      const context = ((checkpoint?.snapshot as { context?: Partial<WorkflowContext> } | undefined)?.context ?? {}) as Partial<WorkflowContext> & { errors?: Record<string, unknown> };
      const attempts: Record<string, number> = {};
      for (const effect of effects) attempts[effect.nodeId] = effect.attempts;
      return {
        id: run.id,
        workflowId: run.workflowId,
        status: run.status,
        test: run.test,
        input: run.input,
        output: run.output,
        error: run.error,
        createdAt: run.createdAt.toISOString(),
        finishedAt: run.finishedAt?.toISOString() ?? null,
        graph: run.version.graph as Graph,
        outputs: (context.outputs ?? {}) as Record<string, unknown>,
        errors: (context.errors ?? {}) as Record<string, unknown>,
        attempts,
        approvals: approvals.map((a) => ({ id: a.id, nodeId: a.nodeId, packet: a.packet })),
        sleeping: run.status === "sleeping",
        events: events.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })),
      };
    },

    /** A sleeping test run's delay ends now instead of at its time. Only test runs: real runs keep their schedule. */
    async skipWait(runId: string, actor = "operator") {
      const run = await db.run.findUnique({ where: { id: runId }, select: { test: true, status: true } });
      if (!run) throw new NotFoundError(`no run '${runId}'`);
      if (!run.test) throw new ConflictError("Only a test run's wait can be skipped.");
      if (run.status !== "sleeping") throw new ConflictError(`A ${run.status} run is not waiting on a delay.`);
      if (!(await skipDelay(db, runId, new Date()))) throw new ConflictError("The run is no longer waiting on a delay.");
      await audit(db, { actor, action: "run.skip_wait", targetType: "run", targetId: runId });
      deps.onRunnable?.();
      return { id: runId };
    },
  };
}

export type TestRunService = ReturnType<typeof testRunService>;
