import { GRAPH_SCHEMA_VERSION, type Graph, type GraphEdge, type GraphNode } from "../../engine/graph/schema";
import { ERROR_PORT, type AnyNodeMeta } from "../../engine/registry";
import { portsOf } from "./node-samples";

// Turns a structured description of a workflow (blocks of steps) into graph JSON. Every
// construct is closed by construction: branches meet at their join, loop bodies lead back to
// their loop node, and a sequence stops after a step that leaves no way on.

export interface NodeChoice {
  meta: AnyNodeMeta;
  config: Record<string, unknown>;
  /** A per-node override of the type's retry policy. */
  retry?: GraphNode["retry"];
}

/** What follows one output port: the next step (pass), nothing (an implicit end), or a block. */
export type Arm = { kind: "pass" } | { kind: "dead" } | { kind: "block"; block: Block };

/** Any node that completes on its ports: trigger, task (if, switch, …), approval, delay. */
export interface NodeStep extends NodeChoice {
  kind: "node";
  /** One per output port, in the descriptor's order. */
  arms: Arm[];
  /** The `error` port, for descriptors that allow one; dead = no error edge. */
  error: Arm | null;
  /** A single-port node that gathers the step's ways out when there are several. */
  merge: NodeChoice | null;
}

export interface LoopStep extends NodeChoice {
  kind: "loop";
  /** One per port other than `done`; their ways out lead back to the loop node. */
  body: Arm[];
  /** The body's last way out leaves the loop (a break) when it has several. */
  breakOut: boolean;
}

export interface ForkStep {
  kind: "fork";
  fork: NodeChoice;
  join: NodeChoice;
  /** pass = an edge straight from the fork to its join. */
  branches: Arm[];
}

export interface EndStep extends NodeChoice {
  kind: "end";
}

export type Step = NodeStep | LoopStep | ForkStep | EndStep;
export type Block = Step[];

export interface GraphSpec {
  /** Starts with the trigger step. */
  steps: Block;
  /** A second trigger, leading to the same first step as the first one. */
  otherTrigger: NodeChoice | null;
  nodePrefix: string;
  edgePrefix: string;
  /** Seed of a permutation of the nodes and edges arrays (0 = as built). */
  shuffle: number;
}

interface Exit {
  node: string;
  port: string;
}

class Builder {
  readonly nodes: GraphNode[] = [];
  readonly edges: GraphEdge[] = [];
  private readonly metas = new Map<string, AnyNodeMeta>();
  constructor(private readonly spec: GraphSpec) {}

  add({ meta, config, retry }: NodeChoice): string {
    const index = this.nodes.length;
    const id = `${this.spec.nodePrefix}${index + 1}`;
    this.metas.set(id, meta);
    const position = { x: (index % 8) * 220, y: Math.floor(index / 8) * 140 };
    this.nodes.push({ id, type: meta.type, typeVersion: meta.version, label: meta.title, position, config, ...(retry ? { retry } : {}) });
    return id;
  }

  connect(exits: Exit[], target: string) {
    const targetPort = this.metas.get(target)!.inputs[0]!.id;
    for (const { node, port } of exits) {
      const id = `${this.spec.edgePrefix}${this.edges.length + 1}`;
      this.edges.push({ id, source: node, sourcePort: port, target, targetPort });
    }
  }
}

export function buildGraph(spec: GraphSpec): Graph {
  const b = new Builder(spec);
  const [trigger, ...rest] = spec.steps;
  const first = buildStep(b, trigger!);
  const second = spec.otherTrigger ? b.add(spec.otherTrigger) : undefined;
  if (rest.length > 0 && first.exits.length > 0) {
    const entry = buildBlock(b, rest).entry;
    b.connect(first.exits, entry);
    if (second) b.connect(portsOf(spec.otherTrigger!.meta, spec.otherTrigger!.config).map((port) => ({ node: second, port })), entry);
  }
  return { schemaVersion: GRAPH_SCHEMA_VERSION, nodes: permute(b.nodes, spec.shuffle), edges: permute(b.edges, spec.shuffle) };
}

function buildBlock(b: Builder, block: Block): { entry: string; exits: Exit[] } {
  let entry: string | undefined;
  let exits: Exit[] = [];
  for (const step of block) {
    const built = buildStep(b, step);
    if (entry === undefined) entry = built.entry;
    else b.connect(exits, built.entry);
    exits = built.exits;
    if (exits.length === 0) break; // anything after would be unreachable
  }
  if (entry === undefined) throw new Error("empty block");
  return { entry, exits };
}

function buildArm(b: Builder, from: Exit, arm: Arm): Exit[] {
  if (arm.kind === "pass") return [from];
  if (arm.kind === "dead") return [];
  const inner = buildBlock(b, arm.block);
  b.connect([from], inner.entry);
  return inner.exits;
}

function buildStep(b: Builder, step: Step): { entry: string; exits: Exit[] } {
  switch (step.kind) {
    case "node": {
      const id = b.add(step);
      let exits = portsOf(step.meta, step.config).flatMap((port, i) => buildArm(b, { node: id, port }, step.arms[i]!));
      if (step.error) exits.push(...buildArm(b, { node: id, port: ERROR_PORT.id }, step.error));
      if (step.merge && exits.length > 1) {
        const merge = b.add(step.merge);
        b.connect(exits, merge);
        exits = portsOf(step.merge.meta, step.merge.config).map((port) => ({ node: merge, port }));
      }
      return { entry: id, exits };
    }
    case "loop": {
      const id = b.add(step);
      const exits: Exit[] = [];
      const back: Exit[] = [];
      let arm = 0;
      for (const port of portsOf(step.meta, step.config)) {
        if (port === "done") exits.push({ node: id, port });
        else back.push(...buildArm(b, { node: id, port }, step.body[arm++]!));
      }
      if (step.breakOut && back.length > 1) exits.push(back.pop()!);
      b.connect(back, id);
      return { entry: id, exits };
    }
    case "fork": {
      const fork = b.add(step.fork);
      const port = portsOf(step.fork.meta, step.fork.config)[0]!;
      const arrivals = step.branches.flatMap((arm) => buildArm(b, { node: fork, port }, arm));
      const join = b.add(step.join);
      b.connect(arrivals, join);
      return { entry: fork, exits: portsOf(step.join.meta, step.join.config).map((p) => ({ node: join, port: p })) };
    }
    case "end":
      return { entry: b.add(step), exits: [] };
  }
}

/** A deterministic shuffle (the graph's meaning must not depend on array order). */
function permute<T>(items: T[], seed: number): T[] {
  if (seed === 0) return items;
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
