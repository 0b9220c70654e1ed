import { initialTransition, transition } from "xstate";
import { renderValue, runData } from "../expressions";
import type { CompiledWorkflow } from "../graph/compile";
import { activeNodes, createWorkflowMachine, runStatus, type WorkflowContext, type WorkflowEvent } from "../graph/machine";
import type { Graph, GraphNode } from "../graph/schema";
import type { EndConfig, NodeExecutor, NodeRegistry } from "../registry";

// Backtest: a draft replayed over the inputs of recorded runs with no effect performed. The
// compiled draft decides (xstate's pure transitions); pure nodes are computed; every effect
// node is answered from the recorded run's ledger under the same node and visit, approvals
// from its recorded decisions, delays end at once. A step the recorded run cannot answer (a
// new or newly reached effect node, a sub-workflow) stops that run's backtest and says what
// would have happened. Nothing here touches a database or the network.

export interface RecordedRun {
  id: string;
  input: unknown;
  triggerNodeId: string | null;
  status: string;
  output: unknown;
  /** Node ids in the order the run entered them (its node.entered events). */
  path: string[];
  /** Completed effects by `nodeId:visit`. */
  effects: ReadonlyMap<string, { port: string; output: unknown }>;
  /** Decided approvals by `nodeId:visit`. */
  approvals: ReadonlyMap<string, { status: "approved" | "rejected" | "expired"; editedData: unknown; proposal: unknown }>;
}

export type BacktestOutcome =
  | { runId: string; result: "same"; path: string[] }
  | {
      runId: string;
      result: "changed";
      pathChanged: boolean;
      outputChanged: boolean;
      before: { path: string[]; output: unknown };
      after: { path: string[]; output: unknown };
      /** The new path reached a step the recorded run cannot answer: the path so far is known, the output is not. */
      stopped?: { nodeId: string; reason: string };
    }
  | { runId: string; result: "stopped"; nodeId: string; reason: string; path: string[] };

export interface BacktestDeps {
  registry: NodeRegistry;
  /** Executors; only those of pure node types (effects "none") are called. */
  executors: ReadonlyMap<string, NodeExecutor>;
  /** At most this many steps per run (a loop that no longer ends). */
  stepBudget?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameJson(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!sameJson(a[k], b[k])) return false;
    return true;
  }
  return false;
}

const FINISHED = new Set(["succeeded", "failed"]);

export async function backtestRun(graph: Graph, compiled: CompiledWorkflow, recorded: RecordedRun, deps: BacktestDeps): Promise<BacktestOutcome> {
  const machine = createWorkflowMachine(compiled);
  const nodes = new Map<string, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  const metaOf = (id: string) => {
    const node = nodes.get(id)!;
    return { node, meta: deps.registry.get(node.type, node.typeVersion)! };
  };
  const path: string[] = [];
  const name = (node: GraphNode) => `'${node.label || node.id}'`;
  type Snapshot = ReturnType<typeof initialTransition<typeof machine>>[0];
  const enter = (after: Snapshot, before?: Snapshot) => {
    const was = before ? (before.context as WorkflowContext).visits : {};
    const visits = (after.context as WorkflowContext).visits;
    path.push(...Object.keys(visits).filter((n) => visits[n] !== was[n]).sort());
  };
  const stop = (nodeId: string, reason: string): BacktestOutcome => {
    // Where the draft already left the recorded path, the branch change is the finding.
    const diverged = path.some((id, i) => i < recorded.path.length && recorded.path[i] !== id);
    if (diverged) {
      return { runId: recorded.id, result: "changed", pathChanged: true, outputChanged: false, before: { path: recorded.path, output: recorded.output }, after: { path, output: null }, stopped: { nodeId, reason } };
    }
    return { runId: recorded.id, result: "stopped", nodeId, reason, path };
  };

  const triggers = graph.nodes.filter((n) => metaOf(n.id).meta?.behavior === "trigger").map((n) => n.id).sort();
  const trigger = recorded.triggerNodeId && triggers.includes(recorded.triggerNodeId) ? recorded.triggerNodeId : triggers[0];
  if (!trigger) return stop("", "the draft has no trigger");
  let [snapshot] = initialTransition(machine);
  const send = (event: WorkflowEvent) => {
    const [next] = transition(machine, snapshot, event);
    enter(next, snapshot);
    snapshot = next;
  };
  send({ type: "START", node: trigger, input: recorded.input });

  for (let steps = 0; steps < (deps.stepBudget ?? 500); steps++) {
    const status = runStatus(snapshot);
    const context = snapshot.context as WorkflowContext;
    if (status.status === "done") {
      // The End's output, read through the registry's parse like every node's configuration.
      const end = status.end ? metaOf(status.end) : null;
      const parsed = end?.meta.config.safeParse(end.node.config);
      if (parsed && !parsed.success) return stop(status.end!, `the End's configuration is invalid: ${parsed.error.message}`);
      const config: EndConfig | null = parsed ? parsed.data : null;
      const declared = config?.output;
      const output = declared === undefined ? context.outputs : await renderValue(declared, runData(context.input, context.outputs));
      const pathChanged = !sameJson(path, recorded.path);
      // A run that never finished has no output to compare.
      const outputChanged = FINISHED.has(recorded.status) && !sameJson(output, recorded.output);
      if (!pathChanged && !outputChanged) return { runId: recorded.id, result: "same", path };
      return { runId: recorded.id, result: "changed", pathChanged, outputChanged, before: { path: recorded.path, output: recorded.output }, after: { path, output } };
    }
    const [nodeId] = activeNodes(snapshot);
    if (!nodeId) return stop("", "the draft stops without reaching an end");
    const { node, meta } = metaOf(nodeId);
    const visit = context.visits[nodeId] ?? 1;
    const key = `${nodeId}:${visit}`;
    if (meta.behavior === "trigger") {
      send({ type: "NODE.DONE", node: nodeId, port: "out", output: context.input });
    } else if (meta.behavior === "fork" || meta.behavior === "join") {
      const output = meta.behavior === "join" ? Object.fromEntries(graph.edges.filter((e) => e.target === nodeId).map((e) => [e.source, context.outputs[e.source] ?? null])) : null;
      send({ type: "NODE.DONE", node: nodeId, port: "out", output });
    } else if (meta.behavior === "delay") {
      send({ type: "WAKE", node: nodeId });
    } else if (meta.behavior === "approval") {
      const decision = recorded.approvals.get(key);
      if (!decision) return stop(nodeId, `would wait for ${name(node)}: the recorded run has no decision there`);
      const edited = decision.status === "approved" && decision.editedData !== null && decision.editedData !== undefined;
      if (decision.status === "approved") send(edited ? { type: "EDIT", node: nodeId, output: decision.editedData } : { type: "APPROVE", node: nodeId, output: decision.proposal ?? null });
      else send({ type: "REJECT", node: nodeId });
    } else if (meta.execution === "executor" && meta.effects === "none") {
      const executor = deps.executors.get(`${meta.type}@${meta.version}`);
      if (!executor) return stop(nodeId, `no executor is installed for ${meta.type}@${meta.version}`);
      try {
        const result = await executor({
          runId: recorded.id,
          nodeId,
          visit,
          iteration: context.iterations?.[nodeId] ?? visit,
          idempotencyKey: `backtest:${recorded.id}:${key}`,
          config: meta.config.parse(node.config),
          data: { input: context.input, outputs: context.outputs },
          signal: new AbortController().signal,
          credential: () => Promise.reject(new Error("a backtest opens no credentials")),
        } as Parameters<NodeExecutor>[0]);
        send({ type: "NODE.DONE", node: nodeId, port: result.port, output: result.output });
      } catch (error) {
        const message = (error as Error).message;
        if (!graph.edges.some((e) => e.source === nodeId && e.sourcePort === "error")) return stop(nodeId, `would fail at ${name(node)}: ${message}`);
        send({ type: "NODE.FAILED", node: nodeId, error: { message } });
      }
    } else if (meta.execution === "executor") {
      const effect = recorded.effects.get(key);
      if (!effect) return stop(nodeId, `would call ${name(node)} (${node.type}): the recorded run has no result for it`);
      send({ type: "NODE.DONE", node: nodeId, port: effect.port, output: effect.output });
    } else {
      return stop(nodeId, `would start ${name(node)} (${node.type})`);
    }
  }
  return stop("", "the draft did not end within the step budget");
}
