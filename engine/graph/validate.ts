import { parseJsonata, parseTemplate } from "../expressions";
import { formatBytes, LIMITS } from "../limits";
import type { AnyNodeMeta, NodeRegistry } from "../registry";
import { ERROR_PORT } from "../registry";
import type { Problem } from "./problems";
import { GraphEdgeSchema, GraphNodeSchema, GraphSchema, type Graph, type GraphEdge } from "./schema";
import { analyzeStructure } from "./structure";
import { upgradeGraph } from "./upgrade";

export type ValidationResult = { ok: true; graph: Graph; problems: [] } | { ok: false; problems: Problem[] };

const MAX_DEPTH = 64;
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function joinPath(parts: readonly PropertyKey[]): string {
  return parts.map(String).join(".");
}

/**
 * Depth, key and size checks on the raw document, before anything reads it as a graph. The walk
 * is iterative and comes first: JSON.stringify on a document nested thousands of levels deep
 * would overflow the stack.
 */
function screenRaw(raw: unknown): Problem[] {
  const problems: Problem[] = [];
  const stack: { value: unknown; path: string[] }[] = [{ value: raw, path: [] }];
  while (stack.length && problems.length < 20) {
    const { value, path } = stack.pop()!;
    if (typeof value === "bigint" || typeof value === "function" || typeof value === "symbol") {
      problems.push({ ...locate(raw, path), path: joinPath(path) || "(root)", code: "invalid_format", message: `A ${typeof value} is not JSON.` });
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (path.length > MAX_DEPTH) {
      problems.push({ ...locate(raw, path), path: joinPath(path), code: "too_deep", message: `Nested more than ${MAX_DEPTH} levels deep.` });
      continue;
    }
    for (const key of Object.keys(value)) {
      const child = [...path, key];
      if (FORBIDDEN_KEYS.has(key)) {
        problems.push({ ...locate(raw, child), path: joinPath(child), code: "forbidden_key", message: `The key '${key}' is not allowed.` });
        continue;
      }
      stack.push({ value: (value as Record<string, unknown>)[key], path: child });
    }
  }
  if (problems.length) return problems;
  let size: number;
  try {
    size = utf8Length(JSON.stringify(raw) ?? "");
  } catch (error) {
    return [{ path: "(root)", code: "invalid_format", message: `The document is not JSON: ${(error as Error).message}` }];
  }
  if (size > LIMITS.graphBytes) {
    return [{ path: "(root)", code: "too_large", message: `The graph is ${formatBytes(size)}; the limit is ${formatBytes(LIMITS.graphBytes)}.` }];
  }
  return [];
}

/** UTF-8 length without Buffer or an encoded copy: the editor validates in the browser on every change. */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 2; // a surrogate pair (2 UTF-16 units) is 4 bytes
      i++;
    } else if (c >= 0x800) bytes += 2;
    else if (c >= 0x80) bytes += 1;
  }
  return bytes;
}

const KNOWN_KEYS = {
  graph: new Set(Object.keys(GraphSchema.shape)),
  node: new Set(Object.keys(GraphNodeSchema.shape)),
  edge: new Set(Object.keys(GraphEdgeSchema.shape)),
};

/**
 * Keys the format does not know. Reading the graph would drop them, so a misspelt optional key
 * (`sourceport`) would silently become its default; naming them lets the operator fix the typo.
 */
function unknownKeys(doc: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  const check = (value: unknown, known: Set<string>, path: string[], what: string) => {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    for (const key of Object.keys(value)) {
      if (known.has(key)) continue;
      const near = [...known].find((k) => k.toLowerCase() === key.toLowerCase());
      problems.push({
        ...locate(doc, path),
        path: joinPath([...path, key]),
        code: "unknown_key",
        message: `${what} has an unknown key '${key}'${near ? ` (did you mean '${near}'?)` : ""}; it would be dropped.`,
      });
    }
  };
  check(doc, KNOWN_KEYS.graph, [], "The graph");
  for (const [collection, known, noun] of [
    ["nodes", KNOWN_KEYS.node, "Node"],
    ["edges", KNOWN_KEYS.edge, "Edge"],
  ] as const) {
    const list = doc[collection];
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => {
      const id = (item as { id?: unknown } | null)?.id;
      check(item, known, [collection, String(i)], `${noun} '${typeof id === "string" ? id.slice(0, 64) : `#${i}`}'`);
    });
  }
  return problems;
}

/** The node or edge a path points into, when the raw document names one. */
function locate(raw: unknown, path: readonly PropertyKey[]): { nodeId?: string; edgeId?: string } {
  const [collection, index] = path;
  if ((collection !== "nodes" && collection !== "edges") || index === undefined) return {};
  const list = (raw as Record<string, unknown> | null)?.[collection];
  const item = Array.isArray(list) ? list[Number(index)] : undefined;
  const id = (item as { id?: unknown } | undefined)?.id;
  const label = typeof id === "string" && id !== "" ? id.slice(0, 64) : `#${String(index)}`;
  return collection === "nodes" ? { nodeId: label } : { edgeId: label };
}

/**
 * Every problem with a graph document, at once. Never throws, whatever the input: wrong types,
 * huge sizes, deep nesting and prototype-pollution keys are problems like any other.
 */
export function validateGraph(raw: unknown, registry: NodeRegistry): ValidationResult {
  try {
    return validate(raw, registry);
  } catch (error) {
    // A bug, not bad input; still an answer rather than an exception.
    return { ok: false, problems: [{ path: "(root)", code: "invalid_format", message: `The graph could not be checked: ${(error as Error).message}` }] };
  }
}

function validate(raw: unknown, registry: NodeRegistry): ValidationResult {
  const screened = screenRaw(raw);
  if (screened.length) return { ok: false, problems: screened };

  const upgraded = upgradeGraph(raw);
  if (!upgraded.ok) return { ok: false, problems: [upgraded.problem] };

  const unknown = unknownKeys(upgraded.graph as Record<string, unknown>);
  const parsed = GraphSchema.safeParse(upgraded.graph);
  if (!parsed.success) {
    return {
      ok: false,
      problems: [
        ...parsed.error.issues.slice(0, 200).map((issue) => ({
          ...locate(upgraded.graph, issue.path),
          path: joinPath(issue.path) || "(root)",
          code: "invalid_format" as const,
          message: issue.message,
        })),
        ...unknown,
      ],
    };
  }
  const graph = parsed.data;
  const problems: Problem[] = [...unknown];

  // Nodes: unique ids, known types and versions, valid configuration, parseable expressions.
  const metas = new Map<string, AnyNodeMeta>();
  const ports = new Map<string, { outputs: Set<string>; inputs: Set<string> }>();
  const seenNodes = new Set<string>();
  graph.nodes.forEach((node, i) => {
    const path = `nodes.${i}`;
    if (seenNodes.has(node.id)) {
      problems.push({ nodeId: node.id, path: `${path}.id`, code: "duplicate_node_id", message: `Two nodes have the id '${node.id}'.` });
      return;
    }
    seenNodes.add(node.id);
    const meta = registry.get(node.type, node.typeVersion);
    if (!meta) {
      const versions = registry.versions(node.type);
      problems.push(
        versions.length
          ? {
              nodeId: node.id,
              path: `${path}.typeVersion`,
              code: "unknown_node_version",
              message: `Node '${node.id}': '${node.type}' has no version ${node.typeVersion} (known: ${versions.join(", ")}).`,
            }
          : { nodeId: node.id, path: `${path}.type`, code: "unknown_node_type", message: `Node '${node.id}': there is no node type '${node.type}'.` },
      );
      return;
    }
    const config = meta.config.safeParse(node.config);
    if (!config.success) {
      for (const issue of config.error.issues) {
        problems.push({
          nodeId: node.id,
          path: joinPath([path, "config", ...issue.path]),
          code: "invalid_config",
          message: `Node '${node.id}' (${meta.title}): ${issue.path.length ? `${joinPath(issue.path)} ` : ""}${issue.message}`,
        });
      }
      return;
    }
    for (const field of meta.expressions(config.data)) {
      const problem = field.kind === "jsonata" ? parseJsonata(field.source) : parseTemplate(field.source);
      if (problem) {
        problems.push({
          nodeId: node.id,
          path: `${path}.config.${field.path}`,
          code: "invalid_expression",
          message: `Node '${node.id}': ${field.path} ${problem.message}${problem.position !== undefined ? ` (at character ${problem.position})` : ""}.`,
        });
      }
    }
    metas.set(node.id, meta);
    const outputs = new Set(meta.outputs(config.data).map((p) => p.id));
    if (meta.errorPort) outputs.add(ERROR_PORT.id);
    ports.set(node.id, { outputs, inputs: new Set(meta.inputs.map((p) => p.id)) });
  });

  if (![...metas.values()].some((m) => m.behavior === "trigger") && !graph.nodes.some((n) => registry.get(n.type, n.typeVersion)?.behavior === "trigger")) {
    problems.push({ path: "nodes", code: "missing_trigger", message: "The workflow has no trigger: add a start node (for example Manual start)." });
  }

  // Edges: unique, between existing nodes, from a real output port to a real input port.
  const good: GraphEdge[] = [];
  const seenEdges = new Set<string>();
  const seenLinks = new Set<string>();
  const portUse = new Map<string, GraphEdge[]>();
  graph.edges.forEach((edge, i) => {
    const path = `edges.${i}`;
    if (seenEdges.has(edge.id)) {
      problems.push({ edgeId: edge.id, path: `${path}.id`, code: "duplicate_edge_id", message: `Two edges have the id '${edge.id}'.` });
      return;
    }
    seenEdges.add(edge.id);
    let ok = true;
    for (const end of ["source", "target"] as const) {
      if (!seenNodes.has(edge[end])) {
        problems.push({ edgeId: edge.id, path: `${path}.${end}`, code: "dangling_edge", message: `Edge '${edge.id}' ${end === "source" ? "starts at" : "leads to"} '${edge[end]}', which is not a node.` });
        ok = false;
      }
    }
    if (!ok) return;
    const from = ports.get(edge.source);
    const to = ports.get(edge.target);
    if (!from || !to) return; // the node itself has a problem, reported above
    if (!from.outputs.has(edge.sourcePort)) {
      problems.push({
        edgeId: edge.id,
        path: `${path}.sourcePort`,
        code: "unknown_port",
        message: `Edge '${edge.id}': '${edge.source}' has no output '${edge.sourcePort}' (it has ${[...from.outputs].join(", ") || "none"}).`,
      });
      ok = false;
    }
    if (!to.inputs.has(edge.targetPort)) {
      problems.push({
        edgeId: edge.id,
        path: `${path}.targetPort`,
        code: metas.get(edge.target)?.behavior === "trigger" ? "edge_into_trigger" : "unknown_port",
        message:
          metas.get(edge.target)?.behavior === "trigger"
            ? `Edge '${edge.id}' leads into trigger '${edge.target}'; a trigger only starts runs.`
            : `Edge '${edge.id}': '${edge.target}' has no input '${edge.targetPort}'.`,
      });
      ok = false;
    }
    if (!ok) return;
    const link = `${edge.source}\u0000${edge.sourcePort}\u0000${edge.target}\u0000${edge.targetPort}`;
    if (seenLinks.has(link)) {
      problems.push({ edgeId: edge.id, path: path, code: "duplicate_edge", message: `Edge '${edge.id}' repeats another edge between the same ports.` });
      return;
    }
    seenLinks.add(link);
    const portKey = `${edge.source}\u0000${edge.sourcePort}`;
    const users = portUse.get(portKey) ?? [];
    users.push(edge);
    portUse.set(portKey, users);
    if (users.length > 1 && metas.get(edge.source)!.behavior !== "fork") {
      problems.push({
        edgeId: edge.id,
        path: path,
        code: "port_has_many_edges",
        message: `Output '${edge.sourcePort}' of '${edge.source}' already has an edge ('${users[0]!.id}'); only a Parallel may start several.`,
      });
      return;
    }
    good.push(edge);
  });

  const structure = analyzeStructure(graph, metas, good);
  // A node with its own problem (unknown type, bad config, bad port) drops its edges from the
  // analysis; what lies beyond it is not unreachable for that, only unanalysed. Judge
  // reachability over every edge between existing nodes instead.
  const reached = new Set<string>();
  const queue = graph.nodes.filter((n) => registry.get(n.type, n.typeVersion)?.behavior === "trigger").map((n) => n.id);
  while (queue.length) {
    const id = queue.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const e of graph.edges) if (e.source === id && seenNodes.has(e.target)) queue.push(e.target);
  }
  problems.push(...structure.problems.filter((p) => p.code !== "unreachable_node" || !reached.has(p.nodeId!)));
  return problems.length ? { ok: false, problems } : { ok: true, graph, problems: [] };
}
