import { ConfigurationError } from "../../engine/errors";
import type { Graph } from "../../engine/graph/schema";
import type { NodeRegistry } from "../../engine/registry";
import type { KeelConfig } from "../config";

// What this server can provide to node types that declare `requires` (browser-safe metadata on
// the descriptor), and what the operator must configure for a capability it lacks. Publishing
// checks a graph against it, so a workflow that could only fail is refused with instructions.

const CAPABILITIES: Record<string, { what: string; variable: string; configure: string }> = {
  llm: {
    what: "an LLM endpoint",
    variable: "OPENAI_BASE_URL",
    configure:
      "set OPENAI_BASE_URL to an OpenAI-compatible endpoint (OpenAI, Ollama, vLLM, LM Studio; it usually ends in /v1) and OPENAI_API_KEY if it needs a key, then restart Keel",
  },
};

export function serverCapabilities(config: Pick<KeelConfig, "openai">): ReadonlySet<string> {
  return new Set(config.openai ? ["llm"] : []);
}

/** Refuses a graph with nodes that need what this server lacks, naming the nodes and what to set. */
export function assertCapabilities(name: string, graph: Graph, registry: NodeRegistry, available: ReadonlySet<string>): void {
  const missing = new Map<string, string[]>();
  for (const node of graph.nodes) {
    for (const need of registry.get(node.type, node.typeVersion)?.requires ?? []) {
      if (!available.has(need)) missing.set(need, [...(missing.get(need) ?? []), `'${node.label || node.id}' (${node.type})`]);
    }
  }
  const [first] = missing;
  if (!first) return;
  const [need, nodes] = first;
  const about = CAPABILITIES[need] ?? { what: `the capability '${need}'`, variable: need, configure: "configure it, then restart Keel" };
  throw new ConfigurationError(`'${name}' cannot be published: ${nodes.join(", ")} need${nodes.length === 1 ? "s" : ""} ${about.what} and none is configured: ${about.configure}, and publish again`, about.variable);
}
