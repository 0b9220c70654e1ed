import { GRAPH_SCHEMA_VERSION, type Graph } from "../../engine/graph/schema";
import type { AnyNodeMeta, NodeBehavior } from "../../engine/registry";
import { exampleConfig, findMeta, portsOf } from "./node-samples";

// Small hand-written graphs for examples: nodes are named by role, and the role picks a
// registered node type by behavior and ports, never by its type name.

const ports = (m: AnyNodeMeta) => portsOf(m, exampleConfig(m));

export const ROLES = {
  trigger: findMeta("trigger"),
  /** A task with one way out and no error port (a merge). */
  step: findMeta("task", (m) => !m.errorPort && ports(m).length === 1),
  /** A task with one way out that may route failures through `error`. */
  fallible: findMeta("task", (m) => m.errorPort && ports(m).length === 1),
  /** A task choosing between two ports (an if/else). */
  choice: findMeta("task", (m) => !m.errorPort && ports(m).length === 2),
  loop: findMeta("loop"),
  fork: findMeta("fork"),
  join: findMeta("join"),
  approval: findMeta("approval"),
  delay: findMeta("delay"),
  end: findMeta("end"),
} satisfies Record<string, AnyNodeMeta>;

export type Role = keyof typeof ROLES;

/** Port names of a role, in the descriptor's order (e.g. the choice's true/false). */
export function portsOfRole(role: Role): string[] {
  return ports(ROLES[role]);
}

/** The port of a loop that goes round the body (`item` / `again`). */
export const LOOP_BODY = portsOfRole("loop").find((p) => p !== "done")!;

export function behaviorOf(role: Role): NodeBehavior {
  return ROLES[role].behavior;
}

/**
 * `graph({ t: "trigger", a: "step" }, ["t", "a"], ["a.out", "b"])`: edges as [source(.port), target].
 * A source without a port uses the role's first port.
 */
export function graph(nodes: Record<string, Role | [Role, Record<string, unknown>]>, ...edges: [string, string][]): Graph {
  const roles = new Map<string, Role>();
  const graphNodes = Object.entries(nodes).map(([id, spec], i) => {
    const [role, config] = Array.isArray(spec) ? spec : [spec, exampleConfig(ROLES[spec])];
    roles.set(id, role);
    const meta = ROLES[role];
    return { id, type: meta.type, typeVersion: meta.version, label: "", position: { x: i * 100, y: 0 }, config };
  });
  const graphEdges = edges.map(([from, target], i) => {
    const [source, port] = from.split(".") as [string, string | undefined];
    const role = roles.get(source);
    if (!role) throw new Error(`no node ${source}`);
    return { id: `e${i + 1}`, source, sourcePort: port ?? portsOfRole(role)[0]!, target, targetPort: "in" };
  });
  return { schemaVersion: GRAPH_SCHEMA_VERSION, nodes: graphNodes, edges: graphEdges };
}
