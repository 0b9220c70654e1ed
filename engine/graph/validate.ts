import { parseJsonata, parseTemplate } from "../expressions";
import { formatBytes, LIMITS } from "../limits";
import type { AnyNodeMeta, NodeRegistry } from "../registry";
import { ERROR_PORT } from "../registry";
import type { Problem } from "./problems";
import { GraphEdgeSchema, GraphNodeSchema, GraphSchema, type Graph, type GraphEdge } from "./schema";
import { analyzeStructure } from "./structure";
import { upgradeGraph } from "./upgrade";
import type { ConfigCheck, ValidationCache } from "./validation-cache";

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
interface Frame {
  value: unknown;
  key: string | null;
  parent: Frame | null;
  depth: number;
}

// A frame's path is rebuilt from its parents only when there is a problem to report: the
// editor screens the whole document on every edit, and a path array per value was most of it.
function pathOf(frame: Frame, extra?: string): string[] {
  const out = extra === undefined ? [] : [extra];
  for (let f: Frame | null = frame; f && f.key !== null; f = f.parent) out.push(f.key);
  return out.reverse();
}

function screenRaw(raw: unknown, cache?: ValidationCache): Problem[] {
  const problems: Problem[] = [];
  const stack: Frame[] = [{ value: raw, key: null, parent: null, depth: 0 }];
  const nodeList = cache ? (raw as { nodes?: unknown } | null)?.nodes : undefined;
  const edgeList = cache ? (raw as { edges?: unknown } | null)?.edges : undefined;
  // Nodes and edges screened clean before (and unchanged since: the cache's contract) are skipped.
  const skip = (value: unknown, child: unknown) =>
    cache !== undefined && (value === nodeList || value === edgeList) && typeof child === "object" && child !== null && cache.screened.has(child);
  while (stack.length && problems.length < 20) {
    const frame = stack.pop()!;
    const value = frame.value;
    if (typeof value === "bigint" || typeof value === "function" || typeof value === "symbol") {
      const path = pathOf(frame);
      problems.push({ ...locate(raw, path), path: joinPath(path) || "(root)", code: "invalid_format", message: `A ${typeof value} is not JSON.` });
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (frame.depth > MAX_DEPTH) {
      const path = pathOf(frame);
      problems.push({ ...locate(raw, path), path: joinPath(path), code: "too_deep", message: `Nested more than ${MAX_DEPTH} levels deep.` });
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) {
        const path = pathOf(frame, key);
        problems.push({ ...locate(raw, path), path: joinPath(path), code: "forbidden_key", message: `The key '${key}' is not allowed.` });
        continue;
      }
      const child = (value as Record<string, unknown>)[key];
      if (skip(value, child)) continue;
      // Strings, numbers, booleans and null can hold no problem: no frame for them.
      if ((child !== null && typeof child === "object") || typeof child === "bigint" || typeof child === "function" || typeof child === "symbol") {
        stack.push({ value: child, key, parent: frame, depth: frame.depth + 1 });
      }
    }
  }
  if (problems.length) return problems;
  if (Array.isArray(nodeList) && Array.isArray(edgeList) && clearlySmall(raw as Record<string, unknown>, nodeList, edgeList, cache!)) return [];
  let size: number;
  try {
    const text = JSON.stringify(raw) ?? "";
    // A UTF-16 unit is at most 3 UTF-8 bytes: most documents are clearly under the limit uncounted.
    size = text.length * 3 <= LIMITS.graphBytes ? text.length : utf8Length(text);
  } catch (error) {
    return [{ path: "(root)", code: "invalid_format", message: `The document is not JSON: ${(error as Error).message}` }];
  }
  if (size > LIMITS.graphBytes) {
    return [{ path: "(root)", code: "too_large", message: `The graph is ${formatBytes(size)}; the limit is ${formatBytes(LIMITS.graphBytes)}.` }];
  }
  return [];
}

/**
 * Whether a screened document is certainly under the size limit, from its nodes' JSON lengths
 * (remembered per node object) and the rest: a JSON array is its items joined by commas.
 */
function clearlySmall(raw: Record<string, unknown>, nodes: unknown[], edges: unknown[], cache: ValidationCache): boolean {
  let length = (JSON.stringify({ ...raw, nodes: [], edges: [] }) ?? "").length + Math.max(0, nodes.length - 1) + Math.max(0, edges.length - 1);
  for (const item of [...nodes, ...edges]) {
    if (typeof item !== "object" || item === null) return false;
    let known = cache.screened.get(item);
    if (known === undefined) {
      known = (JSON.stringify(item) ?? "null").length;
      cache.screened.set(item, known);
    }
    length += known;
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes.
  return length * 3 <= LIMITS.graphBytes;
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
export function validateGraph(raw: unknown, registry: NodeRegistry, cache?: ValidationCache): ValidationResult {
  try {
    return validate(raw, registry, cache && cache.registry === registry ? cache : undefined);
  } catch (error) {
    // A bug, not bad input; still an answer rather than an exception.
    return { ok: false, problems: [{ path: "(root)", code: "invalid_format", message: `The graph could not be checked: ${(error as Error).message}` }] };
  }
}

/**
 * The graph format, node by node where a cache knows the node objects: the result is what
 * GraphSchema.safeParse gives. Any node that does not parse sends the whole document through
 * GraphSchema, so problems are reported exactly as without a cache.
 */
function parseGraph(doc: unknown, cache: ValidationCache | undefined): ReturnType<typeof GraphSchema.safeParse> {
  const full = () => GraphSchema.safeParse(doc);
  const { nodes: rawNodes, edges: rawEdges } = (doc ?? {}) as { nodes?: unknown; edges?: unknown };
  if (!cache || !Array.isArray(rawNodes) || !Array.isArray(rawEdges) || rawNodes.length > LIMITS.graphNodes || rawEdges.length > LIMITS.graphEdges) return full();
  const each = <T>(list: unknown[], known: WeakMap<object, T>, schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }): T[] | null => {
    const out: T[] = [];
    for (const raw of list) {
      if (typeof raw !== "object" || raw === null) return null;
      let item = known.get(raw);
      if (!item) {
        const parsed = schema.safeParse(raw);
        if (!parsed.success) return null;
        item = parsed.data;
        known.set(raw, item);
      }
      out.push(item);
    }
    return out;
  };
  const nodes = each(rawNodes, cache.nodes, GraphNodeSchema);
  const edges = nodes && each(rawEdges, cache.edges, GraphEdgeSchema);
  if (!nodes || !edges) return full();
  const rest = GraphWithoutLists.safeParse({ ...(doc as Record<string, unknown>), nodes: [], edges: [] });
  if (!rest.success) return full();
  return { success: true, data: { ...rest.data, nodes, edges } } as ReturnType<typeof GraphSchema.safeParse>;
}

const GraphWithoutLists = GraphSchema.extend({ nodes: GraphSchema.shape.nodes.max(0), edges: GraphSchema.shape.edges.max(0) });

/** A node's config against its type: parse, expressions, ports (remembered per config object). */
function checkConfig(meta: AnyNodeMeta, config: Record<string, unknown>, raw: unknown, cache: ValidationCache | undefined): ConfigCheck {
  const known = cache && typeof raw === "object" && raw !== null ? cache.configs.get(raw) : undefined;
  if (known && known.meta === meta) return known.check;
  let check: ConfigCheck;
  const parsed = meta.config.safeParse(config);
  if (!parsed.success) check = { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })) };
  else {
    const expressions: { path: string; problem: NonNullable<ReturnType<typeof parseJsonata>> }[] = [];
    for (const field of meta.expressions(parsed.data)) {
      const problem = field.kind === "jsonata" ? parseJsonata(field.source) : parseTemplate(field.source);
      if (problem) expressions.push({ path: field.path, problem });
    }
    const outputs = new Set(meta.outputs(parsed.data).map((p) => p.id));
    if (meta.errorPort) outputs.add(ERROR_PORT.id);
    check = { ok: true, data: parsed.data, expressions, outputs, inputs: new Set(meta.inputs.map((p) => p.id)) };
  }
  if (cache && typeof raw === "object" && raw !== null) cache.configs.set(raw, { meta, check });
  return check;
}

function validate(raw: unknown, registry: NodeRegistry, cache: ValidationCache | undefined): ValidationResult {
  const screened = screenRaw(raw, cache);
  if (screened.length) return { ok: false, problems: screened };

  const upgraded = upgradeGraph(raw);
  if (!upgraded.ok) return { ok: false, problems: [upgraded.problem] };

  const unknown = unknownKeys(upgraded.graph as Record<string, unknown>);
  const parsed = parseGraph(upgraded.graph, cache);
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
  const ports = new Map<string, { outputs: ReadonlySet<string>; inputs: ReadonlySet<string> }>();
  const seenNodes = new Set<string>();
  const rawNodes = (upgraded.graph as { nodes: unknown[] }).nodes;
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
    const config = checkConfig(meta, node.config, (rawNodes[i] as { config?: unknown } | undefined)?.config, cache);
    if (!config.ok) {
      for (const issue of config.issues) {
        problems.push({
          nodeId: node.id,
          path: joinPath([path, "config", ...issue.path]),
          code: "invalid_config",
          message: `Node '${node.id}' (${meta.title}): ${issue.path.length ? `${joinPath(issue.path)} ` : ""}${issue.message}`,
        });
      }
      return;
    }
    for (const { path: field, problem } of config.expressions) {
      problems.push({
        nodeId: node.id,
        path: `${path}.config.${field}`,
        code: "invalid_expression",
        message: `Node '${node.id}': ${field} ${problem.message}${problem.position !== undefined ? ` (at character ${problem.position})` : ""}.`,
      });
    }
    metas.set(node.id, meta);
    ports.set(node.id, { outputs: config.outputs, inputs: config.inputs });
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
  const next = new Map<string, string[]>();
  for (const e of graph.edges) {
    if (!seenNodes.has(e.target)) continue;
    const list = next.get(e.source);
    if (list) list.push(e.target);
    else next.set(e.source, [e.target]);
  }
  const reached = new Set<string>();
  const queue = graph.nodes.filter((n) => registry.get(n.type, n.typeVersion)?.behavior === "trigger").map((n) => n.id);
  while (queue.length) {
    const id = queue.pop()!;
    if (reached.has(id)) continue;
    reached.add(id);
    for (const target of next.get(id) ?? []) queue.push(target);
  }
  problems.push(...structure.problems.filter((p) => p.code !== "unreachable_node" || !reached.has(p.nodeId!)));
  return problems.length ? { ok: false, problems } : { ok: true, graph, problems: [] };
}
