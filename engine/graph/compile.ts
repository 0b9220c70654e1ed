import { createHash } from "node:crypto";
import type { AnyNodeMeta, NodeRegistry } from "../registry";
import { ERROR_PORT } from "../registry";
import type { Graph, GraphEdge } from "./schema";
import { analyzeStructure, type Structure } from "./structure";

// Graph + registry → a JSON-serializable XState machine config, following SEMANTICS.md.
// Every node is a state whose id is the node id; internal states start with "__" (node ids
// cannot). Actions and guards are referenced by name and implemented in machine.ts, so the
// config stays plain JSON, and the same graph gives byte-identical output and hash.

export const COMPILER_VERSION = 1;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type MachineConfig = { [key: string]: Json };

export interface CompiledWorkflow {
  machine: MachineConfig;
  /** Node id → the XState state id (`#<nodeId>`). */
  stateMap: Record<string, string>;
  /** Node id → the type and version it was compiled with. */
  nodes: Record<string, { type: string; version: number; behavior: string }>;
  hash: string;
}

const END = "__end";
const branchDone = (fork: string, branch: number) => `${fork}__b${branch}__done`;
const branchesState = (fork: string) => `${fork}__branches`;

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** JSON with object keys sorted, so the hash does not depend on key order. */
function canonical(value: unknown): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return (value ?? null) as Json;
}

/** Compiles a graph that validateGraph accepted; throws on anything else. */
export function compileGraph(graph: Graph, registry: NodeRegistry): CompiledWorkflow {
  const metas = new Map<string, AnyNodeMeta>();
  for (const node of graph.nodes) {
    const meta = registry.get(node.type, node.typeVersion);
    if (!meta) throw new Error(`compileGraph: unknown node type ${node.type}@${node.typeVersion}; validate first`);
    metas.set(node.id, meta);
  }
  const structure = analyzeStructure(graph, metas, graph.edges);
  if (structure.problems.length) throw new Error(`compileGraph: ${structure.problems[0]!.message}; validate first`);

  const joinOf = new Map<string, string>();
  for (const info of structure.forks.values()) if (info.join) joinOf.set(info.join, info.fork);

  /** Where an edge leads: its target's state, or the branch end when it enters its join. */
  const targetOf = (edge: GraphEdge): string => {
    const fork = joinOf.get(edge.target);
    const region = structure.regionOf.get(edge.source);
    if (fork !== undefined && region?.fork === fork) return `#${branchDone(fork, region.branch)}`;
    return `#${edge.target}`;
  };
  /** Where a path ends when a port has no edge: the run's end, or the branch's end. */
  const implicitEnd = (node: string): string => {
    const region = structure.regionOf.get(node);
    return region ? `#${branchDone(region.fork, region.branch)}` : `#${END}`;
  };

  const nodeState = (id: string): MachineConfig => {
    const meta = metas.get(id)!;
    const node = structure.nodes.get(id)!.node;
    const out = structure.outgoing.get(id)!;
    const visit = { type: "visit", params: { node: id } };
    const state: MachineConfig = { id, tags: [`node:${id}`], entry: [visit] };
    const edgeFor = (port: string) => out.find((e) => e.sourcePort === port);
    const follow = (port: string) => {
      const edge = edgeFor(port);
      return edge ? targetOf(edge) : implicitEnd(id);
    };
    const on: Record<string, Json> = {};
    const done = (ports: string[]) =>
      ports.map((port) => ({
        guard: { type: "completed", params: { node: id, port } },
        target: follow(port),
        reenter: true,
        actions: [
          { type: "recordOutput", params: { node: id } },
          // A loop that finishes starts counting afresh the next time it is entered (nested loops).
          ...(meta.behavior === "loop" && port === "done" ? [{ type: "resetLoop", params: { node: id } }] : []),
        ],
      }));
    if (meta.behavior === "loop") state.entry = [visit, { type: "iterate", params: { node: id } }];

    switch (meta.behavior) {
      case "end":
        state.type = "final";
        state.entry = [visit, { type: "recordEnd", params: { node: id, outcome: String((node.config as { outcome?: string }).outcome ?? "success") } }];
        return state;
      case "approval": {
        // The first output port takes APPROVE and EDIT, the second REJECT: approved/rejected
        // for an approval, submitted/declined for a form.
        const [yes = "approved", no = "rejected"] = meta.outputs(meta.config.parse(node.config)).map((p) => p.id);
        for (const type of ["APPROVE", "EDIT"]) {
          on[type] = [{ guard: { type: "isNode", params: { node: id } }, target: follow(yes), reenter: true, actions: [{ type: "recordOutput", params: { node: id } }] }];
        }
        on.REJECT = [{ guard: { type: "isNode", params: { node: id } }, target: follow(no), reenter: true, actions: [{ type: "recordOutput", params: { node: id } }] }];
        break;
      }
      case "delay":
        on.WAKE = [{ guard: { type: "isNode", params: { node: id } }, target: follow("out"), reenter: true }];
        break;
      case "fork":
        on["NODE.DONE"] = [
          { guard: { type: "completed", params: { node: id, port: "out" } }, target: `#${branchesState(id)}`, reenter: true, actions: [{ type: "recordOutput", params: { node: id } }] },
        ];
        break;
      default:
        on["NODE.DONE"] = done(meta.outputs(meta.config.parse(node.config)).map((p) => p.id));
    }
    const errorEdge = meta.errorPort ? edgeFor(ERROR_PORT.id) : undefined;
    if (errorEdge) {
      on["NODE.FAILED"] = [{ guard: { type: "isNode", params: { node: id } }, target: targetOf(errorEdge), reenter: true, actions: [{ type: "recordError", params: { node: id } }] }];
    }
    state.on = on;
    return state;
  };

  /** The states of one level: top level (region undefined) or one branch of a fork. */
  const levelStates = (members: string[]): Record<string, Json> => {
    const states: Record<string, Json> = {};
    for (const id of [...members].sort()) {
      states[id] = nodeState(id);
      if (metas.get(id)!.behavior === "fork") states[branchesState(id)] = forkStates(id, structure);
    }
    return states;
  };

  const forkStates = (fork: string, s: Structure): MachineConfig => {
    const info = s.forks.get(fork)!;
    const regions: Record<string, Json> = {};
    info.branches.forEach((branch, i) => {
      const members = [...branch.nodes].filter((n) => s.regionOf.get(n)?.fork === fork && s.regionOf.get(n)?.branch === i);
      const first = branch.edge.target === info.join ? branchDone(fork, i) : branch.edge.target;
      regions[`b${i}`] = {
        initial: first,
        states: { ...levelStates(members), [branchDone(fork, i)]: { id: branchDone(fork, i), type: "final" } },
      };
    });
    return { id: branchesState(fork), type: "parallel", states: regions, onDone: { target: info.join ? `#${info.join}` : `#${END}`, reenter: true } };
  };

  const topLevel = [...metas.keys()].filter((id) => !structure.regionOf.has(id));
  const triggers = topLevel.filter((id) => metas.get(id)!.behavior === "trigger").sort();
  const machine: MachineConfig = {
    id: "workflow",
    initial: "__start",
    context: { input: null, outputs: {}, errors: {}, visits: {}, iterations: {}, ended: null },
    states: {
      __start: {
        on: {
          START: triggers.map((t) => ({ guard: { type: "isNode", params: { node: t } }, target: `#${t}`, actions: [{ type: "recordInput" }] })),
        },
      },
      ...levelStates(topLevel),
      [END]: { id: END, type: "final", entry: [{ type: "recordEnd", params: { node: null, outcome: "success" } }] },
    },
  };

  const stateMap: Record<string, string> = {};
  const nodes: CompiledWorkflow["nodes"] = {};
  for (const node of [...graph.nodes].sort(byId)) {
    stateMap[node.id] = `#${node.id}`;
    const meta = metas.get(node.id)!;
    nodes[node.id] = { type: meta.type, version: meta.version, behavior: meta.behavior };
  }
  // The hash names what runs: the machine and everything a step reads (configs, retry
  // overrides), so a changed URL or prompt is a new version; labels and positions are not.
  const behaviour = [...graph.nodes].sort(byId).map((n) => ({ id: n.id, config: canonical(n.config), retry: n.retry ? canonical(n.retry) : null }));
  const hash = createHash("sha256")
    .update(JSON.stringify({ compiler: COMPILER_VERSION, machine, stateMap, nodes, behaviour }))
    .digest("hex");
  return { machine, stateMap, nodes, hash };
}
