import { z } from "zod";
import { NotFoundError, ValidationError } from "../../engine/errors";
import type { Db } from "../../engine/store";
import { approvalNodeV2, Autonomy, type AutonomyConfig } from "../../nodes/human/approval";
import { formValuesSchema, FormField, type FormFieldSpec } from "../../nodes/human/form";
import { proposalDiff } from "../../nodes/human/proposal-diff";
import { memoryIdsOf, memoryItemLinks } from "./memory-provenance";
import type { RunService } from "./runs";
import { zodIssues } from "./zod-issues";

// The approval queue: what waits (nearest deadline first, then oldest), the context packet of
// one item (what is proposed, why, risk, deadline, the run and workflow), decisions with the
// edit checked against the node's proposal schema, bulk approval of low-risk items and the
// history of decided ones with who or which rule decided. Deciding itself is the run service's
// atomic decide: of two decisions exactly one wins and the run resumes once.

export const DecideApprovalInput = z.discriminatedUnion("decision", [
  z.object({ id: z.string().min(1), decision: z.literal("approve") }),
  z.object({ id: z.string().min(1), decision: z.literal("reject"), reason: z.string().trim().min(1, "is required: say why").max(5_000) }),
  z.object({ id: z.string().min(1), decision: z.literal("edit"), data: z.unknown() }),
]);

export const BulkApproveInput = z.object({ ids: z.array(z.string().min(1)).min(1, "select at least one").max(200) });

/** Who decided an approval the server approved by itself: `autonomy`, with the rule as comment. */
export const AUTONOMY_ACTOR = "autonomy";

interface Packet {
  kind?: string;
  title?: unknown;
  instructions?: unknown;
  proposal?: unknown;
  input?: unknown;
  risk?: string;
  deadline?: string | null;
}

interface GraphNodeLite {
  id: string;
  type: string;
  typeVersion: number;
  label?: string;
  config: Record<string, unknown>;
}

/** The node's proposal fields and autonomy, from its pinned version (version 1 has neither). */
export function approvalNodeSettings(node: GraphNodeLite | undefined): { schema: FormFieldSpec[]; autonomy: AutonomyConfig } {
  if (!node || node.type !== approvalNodeV2.type || node.typeVersion < 2) return { schema: [], autonomy: { mode: "ask" } };
  const schema = z.array(FormField).safeParse(node.config.proposalSchema ?? []);
  const autonomy = Autonomy.safeParse(node.config.autonomy ?? { mode: "ask" });
  return { schema: schema.success ? schema.data : [], autonomy: autonomy.success ? autonomy.data : { mode: "ask" } };
}

const RISK_RANK: Record<string, number> = { low: 0, medium: 1, high: 2 };

export function approvalService(db: Db, deps: { runs: RunService; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  async function load(id: string) {
    const row = await db.approval.findUnique({
      where: { id },
      select: {
        id: true,
        runId: true,
        nodeId: true,
        visit: true,
        status: true,
        packet: true,
        risk: true,
        decidedBy: true,
        decidedAt: true,
        comment: true,
        editedData: true,
        deadlineAt: true,
        createdAt: true,
        run: { select: { status: true, workflow: { select: { id: true, name: true } }, version: { select: { number: true, graph: true } } } },
      },
    });
    const packet = (row?.packet ?? {}) as Packet;
    if (!row || packet.kind === "form") throw new NotFoundError(`no approval '${id}'`);
    const graph = row.run.version.graph as unknown as { nodes: GraphNodeLite[] };
    const node = graph.nodes.find((n) => n.id === row.nodeId);
    return { row, packet, graph, node };
  }

  /** The upstream steps behind the proposal: each node that ran before, its output and the event that recorded it. */
  async function why(runId: string, nodeId: string, graph: { nodes: GraphNodeLite[] }) {
    // Only what happened before the approval was asked for: that is what it was asked on.
    const asked = await db.runEvent.findFirst({ where: { runId, nodeId, type: "approval.requested" }, orderBy: { seq: "desc" }, select: { seq: true } });
    const events = await db.runEvent.findMany({
      where: { runId, type: { in: ["node.completed", "approval.approved", "node.skipped"] }, ...(asked ? { seq: { lt: asked.seq } } : {}) },
      orderBy: { seq: "asc" },
      select: { seq: true, nodeId: true },
    });
    const checkpoint = await db.checkpoint.findFirst({ where: { runId }, orderBy: { seq: "desc" }, select: { snapshot: true } });
    const outputs = ((checkpoint?.snapshot as { context?: { outputs?: Record<string, unknown> } } | null)?.context?.outputs ?? {}) as Record<string, unknown>;
    const lastSeq = new Map<string, number>();
    for (const e of events) if (e.nodeId) lastSeq.set(e.nodeId, e.seq);
    // A model's output names the memory items its prompt read: those are part of why.
    const memory = new Map((await memoryItemLinks(db, [...lastSeq.keys()].flatMap((nodeId) => memoryIdsOf(outputs[nodeId])))).map((m) => [m.id, m]));
    return [...lastSeq.entries()].map(([nodeId, seq]) => {
      const node = graph.nodes.find((n) => n.id === nodeId);
      const output = outputs[nodeId] ?? null;
      return { nodeId, label: node?.label ?? nodeId, type: node ? `${node.type}@${node.typeVersion}` : null, seq, output, memory: memoryIdsOf(output).flatMap((id) => memory.get(id) ?? []) };
    });
  }

  function state(row: { status: string; decidedBy: string | null; run: { status: string } }) {
    if (row.status === "pending") return row.run.status === "cancelled" ? ("cancelled" as const) : ("pending" as const);
    return row.status as "approved" | "rejected" | "expired";
  }

  const service = {
    /** Waiting approvals and forms: those with a deadline first, nearest first; then the oldest. */
    async queue() {
      const rows = await db.approval.findMany({
        where: { status: "pending", run: { status: { not: "cancelled" } } },
        orderBy: { createdAt: "asc" },
        take: 500,
        select: { id: true, runId: true, nodeId: true, packet: true, risk: true, deadlineAt: true, createdAt: true, run: { select: { workflow: { select: { id: true, name: true } } } } },
      });
      rows.sort((a, b) => (a.deadlineAt && b.deadlineAt ? a.deadlineAt.getTime() - b.deadlineAt.getTime() : a.deadlineAt ? -1 : b.deadlineAt ? 1 : a.createdAt.getTime() - b.createdAt.getTime()));
      return rows.map((r) => {
        const packet = r.packet as Packet;
        const form = packet.kind === "form";
        return {
          id: r.id,
          kind: form ? ("form" as const) : ("approval" as const),
          href: form ? `/forms/${r.id}` : `/approvals/${r.id}`,
          title: String(packet.title ?? ""),
          risk: r.risk,
          runId: r.runId,
          nodeId: r.nodeId,
          workflow: r.run.workflow,
          deadlineAt: r.deadlineAt?.toISOString() ?? null,
          createdAt: r.createdAt.toISOString(),
        };
      });
    },

    /** How many wait, for the navigation. */
    /** What the approval queue holds: approvals and forms, and the requests waiting to be routed (triage). */
    async pendingCount() {
      const [pending, triage] = await Promise.all([
        db.approval.count({ where: { status: "pending", run: { status: { not: "cancelled" } } } }),
        db.intent.count({ where: { status: "triage" } }),
      ]);
      return { pending, triage };
    },

    /**
     * Per node of one workflow, how many live runs wait there (approvals and forms): real runs
     * only (test runs are kept out), of any version, cancelled ones left out as in the queue.
     */
    async waitingAtNodes(input: { workflowId: string }) {
      const rows = await db.approval.groupBy({
        by: ["nodeId"],
        where: { status: "pending", run: { workflowId: input.workflowId, test: false, status: { not: "cancelled" } } },
        _count: { _all: true },
      });
      return { nodes: Object.fromEntries(rows.map((r) => [r.nodeId, r._count._all])) as Record<string, number> };
    },

    /** Decided approvals, newest first, with who decided (an operator, the deadline, or a rule). */
    async history(input: { limit?: number } = {}) {
      const rows = await db.approval.findMany({
        where: { status: { not: "pending" } },
        orderBy: [{ decidedAt: "desc" }, { createdAt: "desc" }],
        take: Math.min(input.limit ?? 50, 200),
        select: { id: true, runId: true, nodeId: true, status: true, packet: true, risk: true, decidedBy: true, decidedAt: true, comment: true, editedData: true, run: { select: { workflow: { select: { id: true, name: true } } } } },
      });
      return rows
        .filter((r) => (r.packet as Packet).kind !== "form")
        .map((r) => ({
          id: r.id,
          runId: r.runId,
          nodeId: r.nodeId,
          status: r.status,
          title: String((r.packet as Packet).title ?? ""),
          risk: r.risk,
          workflow: r.run.workflow,
          decidedBy: r.decidedBy,
          decidedAt: r.decidedAt?.toISOString() ?? null,
          edited: r.editedData !== null,
          /** The rule that approved it when the server did; the reason of a rejection otherwise. */
          rule: r.decidedBy === AUTONOMY_ACTOR ? r.comment : null,
          reason: r.status === "rejected" && r.decidedBy !== AUTONOMY_ACTOR ? r.comment : null,
        }));
    },

    /** The context packet of one approval: everything needed to decide it. */
    async get(id: string) {
      const { row, packet, graph, node } = await load(id);
      const settings = approvalNodeSettings(node);
      return {
        id: row.id,
        state: state(row),
        title: String(packet.title ?? ""),
        instructions: String(packet.instructions ?? ""),
        proposal: packet.proposal ?? null,
        input: packet.input ?? null,
        risk: row.risk,
        deadlineAt: row.deadlineAt?.toISOString() ?? null,
        createdAt: row.createdAt.toISOString(),
        runId: row.runId,
        runStatus: row.run.status,
        workflow: { ...row.run.workflow, version: row.run.version.number },
        node: { id: row.nodeId, label: node?.label ?? row.nodeId, type: node ? `${node.type}@${node.typeVersion}` : null },
        schema: settings.schema,
        autonomy: settings.autonomy,
        why: await why(row.runId, row.nodeId, graph),
        decidedBy: row.decidedBy,
        decidedAt: row.decidedAt?.toISOString() ?? null,
        comment: row.comment,
        editedData: row.editedData ?? null,
        changes: row.editedData === null ? [] : proposalDiff(packet.proposal ?? null, row.editedData),
        now: now().toISOString(),
      };
    },

    /** Approve, reject with a reason, or approve an edited proposal (checked against the node's proposal schema). */
    async decide(raw: z.input<typeof DecideApprovalInput>, actor = "operator") {
      const input = DecideApprovalInput.parse(raw);
      const { packet, node } = await load(input.id);
      if (input.decision === "approve") return deps.runs.decide({ approvalId: input.id, decision: "approve" }, actor);
      if (input.decision === "reject") return deps.runs.decide({ approvalId: input.id, decision: "reject", comment: input.reason }, actor);
      const { schema } = approvalNodeSettings(node);
      let data = input.data;
      if (schema.length) {
        if (data === null || typeof data !== "object" || Array.isArray(data)) throw new ValidationError("data: must be an object of the proposal's fields", [{ path: "data", message: "must be an object" }]);
        const names = new Set(schema.map((f) => f.name));
        const own = Object.fromEntries(Object.entries(data).filter(([k]) => names.has(k)));
        const parsed = formValuesSchema(schema).safeParse(own);
        if (!parsed.success) {
          const issues = zodIssues(parsed.error, "data");
          const label = schema.find((f) => `data.${f.name}` === issues[0]!.path)?.label;
          throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}${label ? ` (${label})` : ""}`, issues);
        }
        // Keys of the proposal outside the schema are kept as proposed.
        const proposed = packet.proposal && typeof packet.proposal === "object" && !Array.isArray(packet.proposal) ? (packet.proposal as Record<string, unknown>) : {};
        data = { ...proposed, ...parsed.data };
      }
      if (proposalDiff(packet.proposal ?? null, data).length === 0) return deps.runs.decide({ approvalId: input.id, decision: "approve" }, actor);
      return deps.runs.decide({ approvalId: input.id, decision: "edit", data }, actor);
    },

    /** Approves each selected item as proposed; only low-risk items qualify, the rest are refused by name. */
    async bulkApprove(raw: z.input<typeof BulkApproveInput>, actor = "operator") {
      const { ids } = BulkApproveInput.parse(raw);
      const results: { id: string; ok: boolean; error?: string }[] = [];
      for (const id of ids) {
        try {
          const { row } = await load(id);
          if ((RISK_RANK[row.risk] ?? 2) > RISK_RANK.low!) throw new ValidationError(`ids: '${String((row.packet as Packet).title ?? id)}' is ${row.risk} risk: decide it on its own`);
          await deps.runs.decide({ approvalId: id, decision: "approve" }, actor);
          results.push({ id, ok: true });
        } catch (error) {
          results.push({ id, ok: false, error: (error as Error).message });
        }
      }
      return { approved: results.filter((r) => r.ok).length, results };
    },
  };
  return service;
}

export type ApprovalService = ReturnType<typeof approvalService>;
