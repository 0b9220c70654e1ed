import { NotFoundError } from "../../engine/errors";
import { workflowRef, type Db } from "../../engine/store";
import { emailSendNode } from "../../nodes/adapters/email-send";

// Which email steps of a workflow's draft will not reach anyone as things stand: no SMTP
// credential named, or one named that does not exist. The editor shows these on the node, so
// the operator learns before a run why mail would land in the outbox as not sent.

export interface EmailDeliveryWarning {
  nodeId: string;
  label: string;
  /** outbox: the email stays in the outbox, not sent; fail: the step fails. */
  outcome: "outbox" | "fail";
  reason: string;
}

type DraftNode = { id: string; type: string; label?: string; config?: Record<string, unknown> };

export async function emailDeliveryWarnings(db: Db, workflow: string): Promise<EmailDeliveryWarning[]> {
  const wf = await db.workflow.findFirst({ where: workflowRef(workflow, { archived: true }), select: { draftGraph: true } });
  if (!wf) throw new NotFoundError(`no workflow '${workflow}'`);
  const nodes = ((wf.draftGraph as { nodes?: DraftNode[] } | null)?.nodes ?? []).filter((n) => n.type === emailSendNode.type);
  const named = [...new Set(nodes.map((n) => n.config?.credential).filter((c): c is string => typeof c === "string" && c !== "" && !c.includes("{{")))];
  const existing = new Set((await db.credential.findMany({ where: { name: { in: named }, kind: "smtp" }, select: { name: true } })).map((c) => c.name));
  const warnings: EmailDeliveryWarning[] = [];
  for (const node of nodes) {
    const label = node.label || node.id;
    const credential = node.config?.credential;
    if (typeof credential !== "string" || credential === "") {
      warnings.push({ nodeId: node.id, label, outcome: "outbox", reason: "names no SMTP credential: its email stays in the outbox, not sent" });
    } else if (!credential.includes("{{") && !existing.has(credential)) {
      const outbox = node.config?.ifCredentialMissing === "outbox";
      warnings.push({
        nodeId: node.id,
        label,
        outcome: outbox ? "outbox" : "fail",
        reason: `there is no SMTP credential named '${credential}': ${outbox ? "its email stays in the outbox, not sent, until you add it in Settings" : "the step will fail until you add it in Settings"}`,
      });
    }
  }
  return warnings;
}
