import { NotFoundError } from "../../engine/errors";
import { evaluate } from "../../engine/expressions";
import { json, type Db } from "../../engine/store";
import { riskAtMost, type AutonomyConfig } from "../../nodes/human/approval";
import { AUTONOMY_ACTOR, approvalNodeSettings } from "./approvals";
import { audit } from "./audit";
import type { RunService } from "./runs";

// Progressive autonomy: the workers' ticker looks at waiting approvals whose node allows it and
// approves those its rule covers, through the run service's decide (as actor "autonomy", the
// rule as the comment), so an auto-approval is an ordinary decision in the history and the
// audit log. Taking autonomy back is one setting per workflow node: while taken back nothing is
// approved by itself, and the trust ramp counts only decisions made after the last change.

interface Packet {
  kind?: string;
  title?: unknown;
  instructions?: unknown;
  proposal?: unknown;
  input?: unknown;
  risk?: string;
}

interface Control {
  revoked: boolean;
  /** Decisions before this instant do not count towards the trust ramp. */
  since: string;
  by: string;
}

const controlKey = (workflowId: string, nodeId: string) => `autonomy:${workflowId}:${nodeId}`;

type Settings = ReturnType<typeof approvalNodeSettings>;

export function autonomyService(db: Db, deps: { runs: RunService; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  // Versions never change, so what a version's node allows is read once.
  const byVersionNode = new Map<string, Settings>();

  async function settingsOf(versionId: string, nodeId: string): Promise<Settings> {
    const key = `${versionId}:${nodeId}`;
    let settings = byVersionNode.get(key);
    if (!settings) {
      const version = await db.workflowVersion.findUnique({ where: { id: versionId }, select: { graph: true } });
      const nodes = ((version?.graph as { nodes?: { id: string; type: string; typeVersion: number; config: Record<string, unknown> }[] } | null)?.nodes ?? []);
      settings = approvalNodeSettings(nodes.find((n) => n.id === nodeId));
      byVersionNode.set(key, settings);
    }
    return settings;
  }

  async function control(workflowId: string, nodeId: string): Promise<Control | null> {
    const row = await db.setting.findUnique({ where: { key: controlKey(workflowId, nodeId) } });
    return (row?.value as Control | undefined) ?? null;
  }

  /** Operator approvals in a row without edits, newest first, since the last change of control; rules' own approvals neither count nor break it. */
  async function streak(workflowId: string, nodeId: string, since: Date | null, enough: number): Promise<number> {
    const rows = await db.approval.findMany({
      where: { nodeId, run: { workflowId }, status: { in: ["approved", "rejected"] }, decidedAt: since ? { gt: since } : { not: null } },
      orderBy: { decidedAt: "desc" },
      take: 1_000,
      select: { status: true, decidedBy: true, editedData: true, packet: true },
    });
    let count = 0;
    for (const r of rows) {
      if (r.decidedBy === AUTONOMY_ACTOR || r.decidedBy === "deadline" || (r.packet as Packet).kind === "form") continue;
      if (r.status !== "approved" || r.editedData !== null) break;
      if (++count >= enough) break;
    }
    return count;
  }

  /** The rule that approves this packet now, or null to ask the operator. */
  async function ruleFor(autonomy: AutonomyConfig, packet: Packet, workflowId: string, nodeId: string): Promise<string | null> {
    if (autonomy.mode === "ask") return null;
    const risk = packet.risk ?? "medium";
    if (!riskAtMost(risk, autonomy.maxRisk)) return null;
    const ctl = await control(workflowId, nodeId);
    if (ctl?.revoked) return null;
    if (autonomy.mode === "condition") {
      const data = { proposal: packet.proposal ?? null, input: packet.input ?? null, risk, title: packet.title ?? "", instructions: packet.instructions ?? "" };
      const held = await evaluate(autonomy.condition, data).catch(() => false);
      return held === true ? `condition ${autonomy.condition} held (risk ${risk}, at most ${autonomy.maxRisk})` : null;
    }
    const count = await streak(workflowId, nodeId, ctl ? new Date(ctl.since) : null, autonomy.after);
    return count >= autonomy.after ? `trust ramp: ${autonomy.after} approvals in a row without edits (risk ${risk}, at most ${autonomy.maxRisk})` : null;
  }

  async function setControl(input: { workflowId: string; nodeId: string }, revoked: boolean, actor: string) {
    const workflow = await db.workflow.findUnique({ where: { id: input.workflowId }, select: { id: true } });
    if (!workflow) throw new NotFoundError(`no workflow '${input.workflowId}'`);
    const value: Control = { revoked, since: now().toISOString(), by: actor };
    const key = controlKey(input.workflowId, input.nodeId);
    await db.setting.upsert({ where: { key }, create: { key, value: json(value) }, update: { value: json(value) } });
    await audit(db, { actor, action: revoked ? "autonomy.revoke" : "autonomy.restore", targetType: "workflow", targetId: input.workflowId, detail: { node: input.nodeId } });
    return { revoked, since: value.since };
  }

  return {
    /** One pass over the waiting approvals: approves those a rule covers. Returns how many. */
    async tick(): Promise<{ approved: number }> {
      const pending = await db.approval.findMany({
        where: { status: "pending", run: { status: { notIn: ["cancelled", "paused"] } } },
        orderBy: { createdAt: "asc" },
        take: 200,
        select: { id: true, nodeId: true, packet: true, run: { select: { workflowId: true, versionId: true } } },
      });
      let approved = 0;
      for (const a of pending) {
        const packet = a.packet as Packet;
        if (packet.kind === "form") continue;
        const { autonomy } = await settingsOf(a.run.versionId, a.nodeId);
        const rule = await ruleFor(autonomy, packet, a.run.workflowId, a.nodeId);
        if (!rule) continue;
        // Another worker's pass (or the operator) may have decided it a moment ago: then it stays theirs.
        const decided = await deps.runs.decide({ approvalId: a.id, decision: "approve", comment: rule }, AUTONOMY_ACTOR).then(
          () => true,
          () => false,
        );
        if (decided) approved++;
      }
      return { approved };
    },

    /** How much a workflow node decides by itself right now. */
    async status(input: { workflowId: string; nodeId: string }) {
      const workflow = await db.workflow.findUnique({ where: { id: input.workflowId }, select: { currentVersionId: true } });
      if (!workflow) throw new NotFoundError(`no workflow '${input.workflowId}'`);
      const { autonomy } = workflow.currentVersionId ? await settingsOf(workflow.currentVersionId, input.nodeId) : { autonomy: { mode: "ask" } as AutonomyConfig };
      const ctl = await control(input.workflowId, input.nodeId);
      const count = autonomy.mode === "trust" ? await streak(input.workflowId, input.nodeId, ctl ? new Date(ctl.since) : null, autonomy.after) : null;
      return { autonomy, revoked: ctl?.revoked ?? false, since: ctl?.since ?? null, streak: count };
    },

    /** Takes autonomy back: everything of this node is asked again, and the trust ramp starts from zero. */
    revoke: (input: { workflowId: string; nodeId: string }, actor = "operator") => setControl(input, true, actor),
    /** Gives it back; the trust ramp still starts from zero. */
    restore: (input: { workflowId: string; nodeId: string }, actor = "operator") => setControl(input, false, actor),
  };
}

export type AutonomyService = ReturnType<typeof autonomyService>;
