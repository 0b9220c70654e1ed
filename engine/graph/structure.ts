import type { AnyNodeMeta } from "../registry";
import type { Problem } from "./problems";
import type { Graph, GraphEdge, GraphNode } from "./schema";

// The control-flow structure of a graph whose nodes and edges are individually valid: which
// nodes sit in which parallel branch, where each fork's branches meet, and whether every cycle
// is guarded by a loop node. Validation reports what is wrong with it; the compiler lays states
// out by it.

export interface Branch {
  /** The edge from the fork that starts this branch. */
  edge: GraphEdge;
  nodes: Set<string>;
}

export interface ForkInfo {
  fork: string;
  join: string | undefined;
  branches: Branch[];
}

export interface Region {
  fork: string;
  branch: number;
}

export interface Structure {
  nodes: Map<string, { node: GraphNode; meta: AnyNodeMeta; index: number }>;
  outgoing: Map<string, GraphEdge[]>;
  incoming: Map<string, GraphEdge[]>;
  forks: Map<string, ForkInfo>;
  /** The innermost branch a node sits in; absent for top-level nodes (joins sit with their fork). */
  regionOf: Map<string, Region>;
  problems: Problem[];
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function analyzeStructure(graph: Graph, metas: Map<string, AnyNodeMeta>, edges: GraphEdge[]): Structure {
  const problems: Problem[] = [];
  const nodes = new Map<string, { node: GraphNode; meta: AnyNodeMeta; index: number }>();
  graph.nodes.forEach((node, index) => {
    const meta = metas.get(node.id);
    if (meta) nodes.set(node.id, { node, meta, index });
  });
  const nodePath = (id: string) => `nodes.${nodes.get(id)!.index}`;
  const edgeIndex = new Map(graph.edges.map((e, i) => [e.id, i]));
  const edgePath = (e: GraphEdge) => `edges.${edgeIndex.get(e.id)}`;

  const outgoing = new Map<string, GraphEdge[]>();
  const incoming = new Map<string, GraphEdge[]>();
  for (const id of nodes.keys()) {
    outgoing.set(id, []);
    incoming.set(id, []);
  }
  // Sorted once: every pass below walks nodes and edges in id order, so its problems come out
  // in the same order whatever order the document lists them in.
  const sortedEdges = [...edges].sort(byId);
  const sortedIds = [...nodes.keys()].sort();
  for (const edge of sortedEdges) {
    outgoing.get(edge.source)!.push(edge);
    incoming.get(edge.target)!.push(edge);
  }
  const behavior = (id: string) => nodes.get(id)!.meta.behavior;

  // Reachability from the triggers.
  const reached = new Set<string>();
  const queue = [...nodes.keys()].filter((id) => behavior(id) === "trigger");
  while (queue.length) {
    const id = queue.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const e of outgoing.get(id)!) queue.push(e.target);
  }
  // Without any trigger, "missing trigger" says it all.
  if (reached.size > 0) {
    for (const id of sortedIds) {
      if (!reached.has(id)) {
        problems.push({ nodeId: id, path: nodePath(id), code: "unreachable_node", message: `Node '${id}' cannot be reached from any trigger.` });
      }
    }
  }

  // Every cycle must pass through a loop node: look for a cycle among the other nodes.
  const guarded = (id: string) => behavior(id) === "loop";
  const color = new Map<string, 1 | 2>();
  const reportedCycle = new Set<string>();
  for (const root of sortedIds) {
    if (guarded(root) || color.has(root)) continue;
    const stack: [string, number][] = [[root, 0]];
    color.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const out = outgoing.get(top[0])!;
      if (top[1] >= out.length) {
        color.set(top[0], 2);
        stack.pop();
        continue;
      }
      const edge = out[top[1]++]!;
      const next = edge.target;
      if (guarded(next)) continue;
      if (color.get(next) === 1) {
        if (!reportedCycle.has(next)) {
          reportedCycle.add(next);
          problems.push({
            nodeId: next,
            edgeId: edge.id,
            path: edgePath(edge),
            code: "loop_without_guard",
            message: `Edge '${edge.id}' closes a loop through '${next}' that has no loop node (For each / Repeat until) to bound it.`,
          });
        }
      } else if (!color.has(next)) {
        color.set(next, 1);
        stack.push([next, 0]);
      }
    }
  }

  // Forks: each branch is what is reachable from its first node before a join; nested forks
  // are taken whole and continue after their own join.
  const forks = new Map<string, ForkInfo>();
  const inProgress = new Set<string>();
  const analyzeFork = (fork: string): ForkInfo => {
    const known = forks.get(fork);
    if (known) return known;
    inProgress.add(fork);
    const info: ForkInfo = { fork, join: undefined, branches: [] };
    const joinsByBranch: Set<string>[] = [];
    for (const edge of outgoing.get(fork)!) {
      const branchNodes = new Set<string>();
      const joins = new Set<string>();
      const stack = [edge.target];
      while (stack.length) {
        const id = stack.pop()!;
        if (branchNodes.has(id)) continue;
        if (behavior(id) === "join") {
          joins.add(id);
          continue;
        }
        if (id === fork || inProgress.has(id)) continue; // a loop back to a fork: reported as leaving the branch
        branchNodes.add(id);
        if (behavior(id) === "fork") {
          const nested = analyzeFork(id);
          for (const b of nested.branches) for (const n of b.nodes) branchNodes.add(n);
          if (nested.join) {
            branchNodes.add(nested.join);
            for (const e of outgoing.get(nested.join)!) stack.push(e.target);
          }
        } else {
          for (const e of outgoing.get(id)!) stack.push(e.target);
        }
      }
      info.branches.push({ edge, nodes: branchNodes });
      joinsByBranch.push(joins);
    }
    const allJoins = new Set(joinsByBranch.flatMap((j) => [...j]));
    const forkPath = nodePath(fork);
    if (info.branches.length === 0) {
      problems.push({ nodeId: fork, path: forkPath, code: "join_incomplete", message: `Parallel '${fork}' has no branches.` });
    } else if (allJoins.size > 1) {
      problems.push({
        nodeId: fork,
        path: forkPath,
        code: "branches_do_not_meet",
        message: `The branches of parallel '${fork}' end in different joins (${[...allJoins].sort().join(", ")}); they must meet in one.`,
      });
    } else if (allJoins.size === 0) {
      problems.push({ nodeId: fork, path: forkPath, code: "join_incomplete", message: `The branches of parallel '${fork}' never reach a Join.` });
    } else {
      info.join = [...allJoins][0];
      joinsByBranch.forEach((joins, i) => {
        if (joins.size === 0) {
          const edge = info.branches[i]!.edge;
          problems.push({
            nodeId: fork,
            edgeId: edge.id,
            path: edgePath(edge),
            code: "join_incomplete",
            message: `The branch of parallel '${fork}' starting with edge '${edge.id}' never reaches join '${info.join}'.`,
          });
        }
      });
    }
    // Branches must not share nodes.
    const owner = new Map<string, number>();
    info.branches.forEach((b, i) => {
      for (const n of b.nodes) {
        if (owner.has(n) && owner.get(n) !== i && !problems.some((p) => p.code === "branches_share_nodes" && p.nodeId === n)) {
          problems.push({ nodeId: n, path: nodePath(n), code: "branches_share_nodes", message: `Node '${n}' is on two branches of parallel '${fork}'.` });
        }
        owner.set(n, i);
      }
    });
    inProgress.delete(fork);
    forks.set(fork, info);
    return info;
  };
  for (const id of sortedIds) if (behavior(id) === "fork") analyzeFork(id);

  // Innermost region of every node: a node's region is the deepest branch containing it.
  const regionOf = new Map<string, Region>();
  // Assign outermost first, then deeper forks overwrite: order forks by how many others contain them.
  const containment = new Map<string, number>();
  for (const info of forks.values()) {
    let count = 0;
    for (const other of forks.values()) if (other !== info && other.branches.some((b) => b.nodes.has(info.fork))) count++;
    containment.set(info.fork, count);
  }
  for (const info of [...forks.values()].sort((a, b) => containment.get(a.fork)! - containment.get(b.fork)! || (a.fork < b.fork ? -1 : 1))) {
    info.branches.forEach((b, branch) => {
      for (const n of b.nodes) {
        if (n === info.join) continue;
        regionOf.set(n, { fork: info.fork, branch });
      }
    });
  }
  for (const info of forks.values()) {
    if (!info.join) continue;
    const r = regionOf.get(info.fork);
    if (r) regionOf.set(info.join, r);
    else regionOf.delete(info.join);
  }

  const sameRegion = (a: Region | undefined, b: Region | undefined) => a?.fork === b?.fork && a?.branch === b?.branch;
  const joinOwner = new Map<string, string>();
  for (const info of forks.values()) if (info.join) joinOwner.set(info.join, info.fork);

  for (const [id] of nodes) {
    const b = behavior(id);
    if (b === "join" && !joinOwner.has(id) && reached.has(id)) {
      problems.push({ nodeId: id, path: nodePath(id), code: "join_without_fork", message: `Join '${id}' does not close any Parallel.` });
    }
    if ((b === "end" || b === "trigger") && regionOf.has(id)) {
      problems.push({
        nodeId: id,
        path: nodePath(id),
        code: "not_allowed_in_branch",
        message: `${b === "end" ? "An End" : "A trigger"} ('${id}') cannot sit inside a parallel branch; end the branch at its Join.`,
      });
    }
  }

  // Edges stay inside their branch, except a fork's edges into its branches and a branch's
  // edges into its join.
  for (const edge of sortedEdges) {
    const from = regionOf.get(edge.source);
    const to = regionOf.get(edge.target);
    const sourceFork = behavior(edge.source) === "fork" ? forks.get(edge.source) : undefined;
    const intoOwnBranch = sourceFork?.branches.some((b) => b.edge.id === edge.id);
    const targetJoinOf = joinOwner.get(edge.target);
    const intoOwnJoin = targetJoinOf !== undefined && from?.fork === targetJoinOf;
    if (intoOwnBranch || intoOwnJoin) continue;
    if (targetJoinOf !== undefined) {
      problems.push({
        edgeId: edge.id,
        path: edgePath(edge),
        code: "edge_leaves_branch",
        message: `Edge '${edge.id}' enters join '${edge.target}' from outside the branches of parallel '${targetJoinOf}'.`,
      });
    } else if (!sameRegion(from, to)) {
      problems.push({
        edgeId: edge.id,
        path: edgePath(edge),
        code: "edge_leaves_branch",
        message: from
          ? `Edge '${edge.id}' leaves a branch of parallel '${from.fork}' other than through its Join.`
          : `Edge '${edge.id}' jumps into a branch of parallel '${to!.fork}' from outside it.`,
      });
    }
  }

  return { nodes, outgoing, incoming, forks, regionOf, problems };
}
