import { z } from "zod";
import { NotFoundError } from "../../engine/errors";
import { diffCanvasGraph, diffGraphs } from "../../engine/graph/diff";
import { GraphSchema, type Graph } from "../../engine/graph/schema";
import { json, type Db } from "../../engine/store";
import { audit } from "./audit";

// Version history beyond publishing: a diff of any two versions (or a version and the draft),
// restoring a version as the draft, and the runs still waiting on older versions.

/** A published version's number, or "draft" for the workflow's current draft. */
export const VersionRef = z.union([z.number().int().positive(), z.literal("draft")]);
export const DiffInput = z.object({ id: z.string().min(1), from: VersionRef, to: VersionRef });
export const RestoreInput = z.object({ id: z.string().min(1), number: z.number().int().positive() });

const UNFINISHED = ["queued", "running", "waiting", "sleeping", "paused"] as const;

export function versionService(db: Db) {
  async function workflow(id: string) {
    const wf = await db.workflow.findUnique({ where: { id }, select: { id: true, name: true, draftGraph: true, currentVersionId: true } });
    if (!wf) throw new NotFoundError(`no workflow '${id}'`);
    return wf;
  }

  async function graphOf(wf: { id: string; name: string; draftGraph: unknown }, ref: z.infer<typeof VersionRef>): Promise<Graph> {
    if (ref === "draft") return GraphSchema.parse(wf.draftGraph);
    const version = await db.workflowVersion.findFirst({ where: { workflowId: wf.id, number: ref, test: false }, select: { graph: true } });
    if (!version) throw new NotFoundError(`'${wf.name}' has no version ${ref}`);
    return GraphSchema.parse(version.graph);
  }

  return {
    /** What changed from one version to another, and the graph to draw it on. */
    async diff(raw: z.input<typeof DiffInput>) {
      const input = DiffInput.parse(raw);
      const wf = await workflow(input.id);
      const [before, after] = await Promise.all([graphOf(wf, input.from), graphOf(wf, input.to)]);
      const diff = diffGraphs(before, after);
      return { ...diff, graph: diffCanvasGraph(before, after, diff), labels: Object.fromEntries([...before.nodes, ...after.nodes].map((n) => [n.id, n.label || n.id])) };
    },

    /** A published version's graph becomes the draft (the draft it replaces stays in the audit log's detail). */
    async restoreAsDraft(raw: z.input<typeof RestoreInput>, actor = "operator") {
      const input = RestoreInput.parse(raw);
      const wf = await workflow(input.id);
      const graph = await graphOf(wf, input.number);
      // A new draft revision: an editor tab still holding the replaced draft cannot save over it unasked.
      await db.workflow.update({ where: { id: wf.id }, data: { draftGraph: json(graph), draftRevision: { increment: 1 } } });
      await audit(db, { actor, action: "workflow.restore_draft", targetType: "workflow", targetId: wf.id, detail: { version: input.number, replacedDraft: wf.draftGraph } });
      return { graph };
    },

    /**
     * Runs that have not finished on a version other than the current one (they keep their
     * version), per version and the node they wait at: an approval or form, a delay, or none
     * (queued, running or paused).
     */
    async waitingOnOlder(id: string) {
      const wf = await workflow(id);
      const runs = await db.run.findMany({
        where: { workflowId: wf.id, test: false, status: { in: [...UNFINISHED] }, ...(wf.currentVersionId ? { versionId: { not: wf.currentVersionId } } : {}) },
        select: {
          id: true,
          status: true,
          version: { select: { number: true } },
          approvals: { where: { status: "pending" }, select: { nodeId: true } },
          timers: { where: { firedAt: null }, select: { nodeId: true } },
        },
      });
      const groups = new Map<string, { version: number; nodeId: string | null; count: number }>();
      for (const run of runs) {
        const nodeId = run.approvals[0]?.nodeId ?? run.timers.find((t) => t.nodeId)?.nodeId ?? null;
        const key = `${run.version.number}\u0000${nodeId ?? ""}`;
        const group = groups.get(key) ?? { version: run.version.number, nodeId, count: 0 };
        group.count++;
        groups.set(key, group);
      }
      return { total: runs.length, groups: [...groups.values()].sort((a, b) => a.version - b.version || (a.nodeId ?? "").localeCompare(b.nodeId ?? "")) };
    },
  };
}

export type VersionService = ReturnType<typeof versionService>;
