import { ConfigurationError } from "../../engine/errors";
import type { Graph } from "../../engine/graph/schema";
import type { NodeRegistry } from "../../engine/registry";
import type { KeelConfig } from "../config";
import type { LlmEndpointResolver } from "../llm/endpoint";

// What this server can provide to node types that declare `requires` (browser-safe metadata on
// the descriptor), and what the operator must configure for a capability it lacks. Publishing
// checks a graph against it, so a workflow that could only fail is refused with instructions.

const CAPABILITIES: Record<string, { what: string; variable: string; configure: string }> = {
  llm: {
    what: "an LLM endpoint",
    variable: "OPENAI_BASE_URL",
    configure:
      "set an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio; it usually ends in /v1) in Settings → LLM (no restart needed), or OPENAI_BASE_URL and OPENAI_API_KEY",
  },
};

export function serverCapabilities(config: Pick<KeelConfig, "openai">): ReadonlySet<string> {
  return new Set(config.openai ? ["llm"] : []);
}

/** What a server provides, fixed or asked at use time (the LLM endpoint can be set in Settings). */
export type CapabilitySource = ReadonlySet<string> | (() => Promise<ReadonlySet<string>>);

export const capabilitiesNow = (source: CapabilitySource): Promise<ReadonlySet<string>> => (typeof source === "function" ? source() : Promise.resolve(source));

/** The capabilities as they are at each publish: "llm" while an endpoint resolves. */
export function resolvedCapabilities(llm: Pick<LlmEndpointResolver, "current">): () => Promise<ReadonlySet<string>> {
  return async () => new Set((await llm.current()) ? ["llm"] : []);
}

/**
 * The nodes a run can reach on this server: from the triggers along every edge, except the
 * port of a capability branch (`guards`) whose capability this server lacks.
 */
function reachable(graph: Graph, registry: NodeRegistry, available: ReadonlySet<string>): Set<string> {
  const types = new Map(graph.nodes.map((n) => [n.id, registry.get(n.type, n.typeVersion)]));
  const seen = new Set(graph.nodes.filter((n) => types.get(n.id)?.behavior === "trigger").map((n) => n.id));
  const queue = [...seen];
  while (queue.length) {
    const id = queue.pop()!;
    const guards = types.get(id)?.guards;
    for (const edge of graph.edges) {
      if (edge.source !== id || seen.has(edge.target)) continue;
      if (guards && edge.sourcePort === guards.port && !available.has(guards.capability)) continue;
      seen.add(edge.target);
      queue.push(edge.target);
    }
  }
  return seen;
}

/**
 * Refuses a graph with nodes that need what this server lacks, naming the nodes and what to
 * set; nodes a capability branch (e.g. "LLM available?") keeps runs away from are fine.
 */
export function assertCapabilities(name: string, graph: Graph, registry: NodeRegistry, available: ReadonlySet<string>): void {
  const missing = new Map<string, string[]>();
  let reach: Set<string> | undefined;
  for (const node of graph.nodes) {
    for (const need of registry.get(node.type, node.typeVersion)?.requires ?? []) {
      if (available.has(need)) continue;
      reach ??= reachable(graph, registry, available);
      if (reach.has(node.id)) missing.set(need, [...(missing.get(need) ?? []), `'${node.label || node.id}' (${node.type})`]);
    }
  }
  const [first] = missing;
  if (!first) return;
  const [need, nodes] = first;
  const about = CAPABILITIES[need] ?? { what: `the capability '${need}'`, variable: need, configure: "configure it, then restart Keel" };
  throw new ConfigurationError(
    `'${name}' cannot be published: ${nodes.join(", ")} need${nodes.length === 1 ? "s" : ""} ${about.what} and none is configured: ${about.configure}, and publish again (or put the node${nodes.length === 1 ? "" : "s"} behind an "LLM available?" branch with a path for when there is none)`,
    about.variable,
  );
}
