import type { Db } from "../../engine/store";
import { intentTrigger } from "../../nodes/triggers/intent";

// The workflows that accept intents: those whose CURRENT published version has an Intent
// trigger. A draft's trigger counts only once it is published, as runs start on versions.

export interface AcceptingWorkflow {
  workflowId: string;
  name: string;
  slug: string;
  label: string;
  description: string;
  /** The Intent trigger's node id: routed runs start there. */
  triggerNodeId: string;
  sample?: { text: string; email?: string | undefined; name?: string | undefined; fields?: Record<string, unknown> | undefined } | undefined;
}

type TriggerNode = { id: string; type: string; config?: Record<string, unknown> };

export async function acceptingWorkflows(db: Db): Promise<AcceptingWorkflow[]> {
  const rows = await db.workflow.findMany({
    where: { archivedAt: null, currentVersionId: { not: null } },
    select: { id: true, name: true, slug: true, currentVersion: { select: { graph: true } } },
    orderBy: { name: "asc" },
  });
  const out: AcceptingWorkflow[] = [];
  for (const row of rows) {
    const nodes = ((row.currentVersion?.graph as { nodes?: TriggerNode[] } | null)?.nodes ?? []).filter((n) => n.type === intentTrigger.type);
    const node = [...nodes].sort((a, b) => (a.id < b.id ? -1 : 1))[0];
    if (!node) continue;
    // Published configs were validated; parse again for the defaults and the types.
    const config = intentTrigger.config.safeParse(node.config ?? {});
    if (!config.success) continue;
    out.push({ workflowId: row.id, name: row.name, slug: row.slug, label: config.data.label, description: config.data.description, triggerNodeId: node.id, sample: config.data.sample });
  }
  return out;
}
