import { ValidationError } from "../../engine/errors";
import type { Graph } from "../../engine/graph/schema";
import { workflowRef, type Db } from "../../engine/store";
import { validateAgainst } from "../../nodes/llm/json-schema";

// A manual trigger (trigger.manual@2) may carry an input schema: the Run button's form is built
// from it, and a manual start's input is checked against it here, once, before a run exists.

const MANUAL = "trigger.manual";

interface ManualTrigger {
  nodeId: string;
  description: string;
  inputSchema: Record<string, unknown> | null;
}

/** The manual triggers of a graph, in the order a manual start picks them (by id). */
export function manualTriggers(graph: Graph): ManualTrigger[] {
  return graph.nodes
    .filter((n) => n.type === MANUAL)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((n) => {
      const config = (n.config ?? {}) as { description?: unknown; inputSchema?: unknown };
      const schema = config.inputSchema;
      return {
        nodeId: n.id,
        description: typeof config.description === "string" ? config.description : "",
        inputSchema: n.typeVersion >= 2 && schema && typeof schema === "object" && !Array.isArray(schema) ? (schema as Record<string, unknown>) : null,
      };
    });
}

/** Throws a ValidationError naming each field when a manual start's input misses the schema. */
export function assertManualInput(graph: Graph, input: unknown, triggerNodeId?: string): void {
  const triggers = manualTriggers(graph);
  const trigger = triggerNodeId ? triggers.find((t) => t.nodeId === triggerNodeId) : triggers[0];
  if (!trigger?.inputSchema) return;
  const issues = validateAgainst(trigger.inputSchema, input);
  if (issues.length === 0) return;
  const named = issues.slice(0, 10).map((i) => ({ path: i.path === "(root)" ? "input" : `input.${i.path}`, message: i.message }));
  throw new ValidationError(named.map((i) => `${i.path}: ${i.message}`).join("; "), named);
}

/** What the Run button needs: the published version's manual trigger and its input schema. */
export async function runInputForm(db: Db, workflow: string) {
  const wf = await db.workflow.findFirst({ where: workflowRef(workflow, { archived: true }), select: { id: true, name: true, currentVersion: { select: { number: true, graph: true } } } });
  if (!wf) return null;
  const trigger = wf.currentVersion ? (manualTriggers(wf.currentVersion.graph as Graph)[0] ?? null) : null;
  return { workflowId: wf.id, name: wf.name, version: wf.currentVersion?.number ?? null, trigger };
}
