import { clearExpressionCache } from "../engine/expressions";
import { compileGraph } from "../engine/graph/compile";
import { GraphSchema, type Graph } from "../engine/graph/schema";
import { validateGraph } from "../engine/graph/validate";
import { registry } from "../nodes/catalog";
import { report } from "./report";

// validate + compile for 10, 100 and 1,000-node graphs (goal: 1,000 nodes well under 100 ms),
// beside the bare zod parse of the same document as the baseline.

/** A realistic mix: chains of transforms with if/else diamonds and parallel sections. */
export function benchGraph(size: number): Graph {
  const nodes: Graph["nodes"] = [];
  const edges: Graph["edges"] = [];
  const node = (id: string, type: string, config: Record<string, unknown> = {}) => {
    nodes.push({ id, type, typeVersion: 1, label: id, position: { x: nodes.length * 10, y: 0 }, config });
    return id;
  };
  const edge = (source: string, target: string, sourcePort = "out") => edges.push({ id: `e${edges.length}`, source, sourcePort, target, targetPort: "in" });
  let last = node("start", "trigger.manual");
  let i = 0;
  while (nodes.length < size - 1) {
    const k = i++;
    if (k % 3 === 0) {
      const cond = node(`if${k}`, "logic.if", { condition: `input.n > ${k}` });
      const a = node(`a${k}`, "data.set", { fields: { branch: "a", n: "{{ input.n }}" } });
      const b = node(`b${k}`, "data.transform", { expression: "{ 'branch': 'b', 'n': input.n }" });
      const merge = node(`m${k}`, "logic.merge");
      edge(last, cond);
      edge(cond, a, "true");
      edge(cond, b, "false");
      edge(a, merge);
      edge(b, merge);
      last = merge;
    } else if (k % 3 === 1) {
      const fork = node(`f${k}`, "flow.fork");
      const x = node(`x${k}`, "data.transform", { expression: "input" });
      const y = node(`y${k}`, "data.transform", { expression: "input" });
      const join = node(`j${k}`, "flow.join");
      edge(last, fork);
      edge(fork, x);
      edge(fork, y);
      edge(x, join);
      edge(y, join);
      last = join;
    } else {
      const t = node(`t${k}`, "data.transform", { expression: `$sum(input.values) + ${k}` });
      edge(last, t);
      last = t;
    }
  }
  edge(last, node("done", "flow.end"));
  return { schemaVersion: 1, nodes, edges };
}

function timePerOp(iterations: number, op: () => unknown): number {
  for (let i = 0; i < Math.min(3, iterations); i++) op(); // warm up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) op();
  return (performance.now() - started) / iterations;
}

export async function benchGraphs(): Promise<void> {
  for (const size of [10, 100, 1000]) {
    const graph = JSON.parse(JSON.stringify(benchGraph(size))) as unknown;
    const check = validateGraph(graph, registry);
    if (!check.ok) throw new Error(`bench graph ${size} is invalid: ${check.problems[0]!.message}`);
    const iterations = size >= 1000 ? 20 : 200;
    const validateAndCompile = () => {
      const result = validateGraph(graph, registry);
      if (!result.ok) throw new Error("invalid");
      compileGraph(result.graph, registry);
    };
    const baseline = timePerOp(iterations, () => GraphSchema.parse(graph));
    // Cold: every expression parsed afresh (a graph seen for the first time).
    const cold = timePerOp(iterations, () => {
      clearExpressionCache();
      validateAndCompile();
    });
    // Warm: the expressions were seen before (the editor saving the same draft again).
    const warm = timePerOp(iterations, validateAndCompile);
    report(`graph.validate_compile.${size}_nodes`, cold, "ms", baseline);
    report(`graph.validate_compile.${size}_nodes.warm`, warm, "ms", baseline);
  }
}
