import type { Graph } from "../../engine/graph/schema";
import { ERROR_PORT, type AnyNodeMeta, type NodeBehavior, type NodeRegistry } from "../../engine/registry";

// A second, deliberately plain reading of engine/graph/SEMANTICS.md: tokens walking the graph.
// It shares nothing with compile.ts / machine.ts, so a property test can hold them against
// each other. Each active node carries the stack of forks it runs inside (innermost last);
// a fork counts its unfinished branches, and its join becomes active when the count reaches 0.

export type WorkflowEvent =
  | { type: "START"; node: string; input?: unknown }
  | { type: "NODE.DONE"; node: string; port: string; output?: unknown }
  | { type: "NODE.FAILED"; node: string; error?: unknown }
  | { type: "APPROVE"; node: string; output?: unknown }
  | { type: "EDIT"; node: string; output?: unknown }
  | { type: "REJECT"; node: string }
  | { type: "WAKE"; node: string };

export type RunStatus = { status: "active" } | { status: "done"; end: string | null; outcome: "success" | "failure" };

interface ProgramNode {
  id: string;
  meta: AnyNodeMeta;
  /** The ports NODE.DONE may name: the descriptor's outputs for the node's config. */
  outputs: string[];
  /** Every port an edge may leave from: the outputs, plus `error` when the descriptor allows it. */
  ports: string[];
  outcome: "success" | "failure";
}

export interface Program {
  nodes: Map<string, ProgramNode>;
  /** Targets of the edges leaving `node port`. */
  targets(node: string, port: string): string[];
  /** The join where a fork's branches meet; null when no branch reaches one. */
  joinOf(fork: string): string | null;
}

interface Token {
  node: string;
  forks: readonly string[];
}

export interface RefState {
  readonly program: Program;
  readonly started: boolean;
  readonly tokens: readonly Token[];
  /** Unfinished branches of each running fork. */
  readonly pending: Readonly<Record<string, number>>;
  readonly visits: Readonly<Record<string, number>>;
  readonly status: RunStatus;
}

const DONE_BEHAVIORS: ReadonlySet<NodeBehavior> = new Set(["trigger", "task", "loop", "fork", "join"]);

export function load(graph: Graph, registry: NodeRegistry): Program {
  const nodes = new Map<string, ProgramNode>();
  for (const node of graph.nodes) {
    const meta = registry.get(node.type, node.typeVersion);
    if (!meta) throw new Error(`unknown node type ${node.type}@${node.typeVersion}`);
    const config = meta.config.parse(node.config) as { outcome?: unknown };
    const outputs = meta.outputs(config).map((p) => p.id);
    const ports = meta.errorPort ? [...outputs, ERROR_PORT.id] : outputs;
    nodes.set(node.id, { id: node.id, meta, outputs, ports, outcome: config.outcome === "failure" ? "failure" : "success" });
  }
  const edges = new Map<string, string[]>();
  for (const edge of graph.edges) {
    const key = `${edge.source}\u0000${edge.sourcePort}`;
    edges.set(key, [...(edges.get(key) ?? []), edge.target]);
  }
  const targets = (node: string, port: string) => edges.get(`${node}\u0000${port}`) ?? [];
  const successors = (node: string) => nodes.get(node)!.ports.flatMap((p) => targets(node, p));

  const joins = new Map<string, string | null>();
  const joinOf = (fork: string): string | null => {
    if (joins.has(fork)) return joins.get(fork)!;
    joins.set(fork, null); // a fork reached again while looking for its own join has none
    const found = new Set<string>();
    const seen = new Set<string>();
    const walk = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      const behavior = nodes.get(id)!.meta.behavior;
      if (behavior === "join") found.add(id);
      else if (behavior === "fork") {
        const inner = joinOf(id);
        if (inner) successors(inner).forEach(walk);
      } else successors(id).forEach(walk);
    };
    successors(fork).forEach(walk);
    if (found.size > 1) throw new Error(`the branches of ${fork} meet at several joins: ${[...found].join(", ")}`);
    const join = found.size === 1 ? [...found][0]! : null;
    joins.set(fork, join);
    return join;
  };
  return { nodes, targets, joinOf };
}

export function initial(graph: Graph, registry: NodeRegistry): RefState {
  return { program: load(graph, registry), started: false, tokens: [], pending: {}, visits: {}, status: { status: "active" } };
}

export function start(graph: Graph, registry: NodeRegistry, triggerId: string): RefState {
  return send(initial(graph, registry), { type: "START", node: triggerId, input: {} });
}

export function activeNodes(state: RefState): string[] {
  return state.tokens.map((t) => t.node).sort();
}

/** The port an event completes its node on, or undefined when the event changes nothing. */
function portFor(state: RefState, event: WorkflowEvent): string | undefined {
  const node = state.program.nodes.get(event.node);
  if (!node || !state.tokens.some((t) => t.node === event.node)) return undefined;
  const behavior = node.meta.behavior;
  switch (event.type) {
    case "NODE.DONE":
      // `error` is reached by NODE.FAILED only: a node that is done did not fail. (SEMANTICS.md
      // counts `error` among a node's ports, for edges; its event table routes it by FAILED.)
      return DONE_BEHAVIORS.has(behavior) && node.outputs.includes(event.port) ? event.port : undefined;
    case "NODE.FAILED":
      return state.program.targets(node.id, ERROR_PORT.id).length > 0 ? ERROR_PORT.id : undefined;
    case "APPROVE":
    case "EDIT":
      return behavior === "approval" ? node.outputs[0] : undefined;
    case "REJECT":
      return behavior === "approval" ? node.outputs[1] : undefined;
    case "WAKE":
      return behavior === "delay" ? "out" : undefined;
    case "START":
      return undefined;
  }
}

interface Draft {
  program: Program;
  started: boolean;
  tokens: Token[];
  pending: Record<string, number>;
  visits: Record<string, number>;
  status: RunStatus;
}

export function send(state: RefState, event: WorkflowEvent): RefState {
  if (state.status.status === "done") return state;
  const draft: Draft = { ...state, tokens: [...state.tokens], pending: { ...state.pending }, visits: { ...state.visits } };
  if (event.type === "START") {
    const node = state.program.nodes.get(event.node);
    if (state.started || node?.meta.behavior !== "trigger") return state;
    draft.started = true;
    enter(draft, event.node, []);
    return draft;
  }
  const port = portFor(state, event);
  if (port === undefined) return state;
  const index = draft.tokens.findIndex((t) => t.node === event.node);
  const [token] = draft.tokens.splice(index, 1);
  complete(draft, token!, port);
  return draft;
}

function complete(draft: Draft, token: Token, port: string): void {
  const program = draft.program;
  const targets = program.targets(token.node, port);
  if (program.nodes.get(token.node)!.meta.behavior === "fork") {
    if (targets.length === 0) return endPath(draft, token.forks);
    draft.pending[token.node] = targets.length;
    const inside = [...token.forks, token.node];
    for (const target of targets) enter(draft, target, inside);
    return;
  }
  if (targets.length > 1) throw new Error(`${token.node}.${port} has ${targets.length} edges`);
  if (targets.length === 0) return endPath(draft, token.forks);
  enter(draft, targets[0]!, token.forks);
}

function enter(draft: Draft, id: string, forks: readonly string[]): void {
  if (draft.status.status === "done") return;
  const node = draft.program.nodes.get(id)!;
  const fork = forks[forks.length - 1];
  if (fork !== undefined && draft.program.joinOf(fork) === id) return finishBranch(draft, forks);
  if (node.meta.behavior === "join") throw new Error(`join ${id} entered outside its fork`);
  draft.visits[id] = (draft.visits[id] ?? 0) + 1;
  if (node.meta.behavior === "end") {
    draft.status = { status: "done", end: id, outcome: node.outcome };
    draft.tokens = [];
    draft.pending = {};
    return;
  }
  if (draft.tokens.some((t) => t.node === id)) throw new Error(`${id} would be active twice`);
  draft.tokens.push({ node: id, forks });
}

/** A path ended on a port without an edge: the run at top level, else the innermost branch. */
function endPath(draft: Draft, forks: readonly string[]): void {
  if (forks.length > 0) return finishBranch(draft, forks);
  draft.status = { status: "done", end: null, outcome: "success" };
  draft.tokens = [];
  draft.pending = {};
}

function finishBranch(draft: Draft, forks: readonly string[]): void {
  const fork = forks[forks.length - 1]!;
  const left = draft.pending[fork]! - 1;
  if (left > 0) {
    draft.pending[fork] = left;
    return;
  }
  delete draft.pending[fork];
  const outer = forks.slice(0, -1);
  const join = draft.program.joinOf(fork);
  if (join === null) return endPath(draft, outer);
  draft.visits[join] = (draft.visits[join] ?? 0) + 1;
  draft.tokens.push({ node: join, forks: outer });
}
