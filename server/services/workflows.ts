import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import { emptyGraph, GraphSchema, type Graph } from "../../engine/graph/schema";
import { json, workflowRef, type Db, type Prisma } from "../../engine/store";
import { assertJsonWithin, LIMITS } from "../../engine/limits";
import { audit } from "./audit";
import { zodIssues } from "./zod-issues";

export const WorkflowNameSchema = z.string().trim().min(1, "is required").max(120, "must be at most 120 characters");
export const WorkflowDescriptionSchema = z.string().max(2000, "must be at most 2000 characters");

export const CreateWorkflowInput = z.object({
  name: WorkflowNameSchema,
  /** Preferred slug (from an imported file); made unique like one derived from the name. */
  slug: z.string().max(60).optional(),
  description: WorkflowDescriptionSchema.default(""),
  graph: z.unknown().optional(),
});

export const SaveDraftInput = z.object({
  id: z.string().min(1),
  graph: z.unknown(),
  name: WorkflowNameSchema.optional(),
  description: WorkflowDescriptionSchema.optional(),
  /**
   * The draft revision this edit was based on. When given and the draft has moved on since (a
   * second tab saved), the save is refused with a conflict; omitted, the save always applies.
   */
  baseRevision: z.number().int().min(0, "must be at least 0").optional(),
});

export interface WorkflowSummary {
  id: string;
  slug: string;
  name: string;
  description: string;
  nodeCount: number;
  currentVersion: number | null;
  updatedAt: string;
}

export interface WorkflowDetail extends Omit<WorkflowSummary, "nodeCount"> {
  draftGraph: Graph;
  /** Counts draft saves; send it back as `baseRevision` with the next save. */
  revision: number;
  limits: { maxConcurrentRuns: number | null; maxRunSeconds: number | null };
}

function parseGraph(raw: unknown, field = "graph"): Graph {
  assertJsonWithin(field, raw, LIMITS.graphBytes);
  const parsed = GraphSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, field);
    throw new ValidationError(`${issues[0]!.path}: ${issues[0]!.message}`, issues);
  }
  return parsed.data;
}

export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60);
  return slug || "workflow";
}

async function uniqueSlug(db: Db, name: string): Promise<string> {
  const base = slugify(name);
  const taken = new Set(
    (await db.workflow.findMany({ where: { slug: { startsWith: base } }, select: { slug: true } })).map((w) => w.slug),
  );
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) if (!taken.has(`${base}-${n}`)) return `${base}-${n}`;
}

type WorkflowRow = {
  id: string;
  slug: string;
  name: string;
  description: string;
  draftGraph: unknown;
  draftRevision: number;
  maxConcurrentRuns: number | null;
  maxRunSeconds: number | null;
  updatedAt: Date;
  currentVersion: { number: number } | null;
};

const SELECT = {
  id: true,
  slug: true,
  name: true,
  description: true,
  draftGraph: true,
  draftRevision: true,
  maxConcurrentRuns: true,
  maxRunSeconds: true,
  updatedAt: true,
  currentVersion: { select: { number: true } },
} satisfies Prisma.WorkflowSelect;

function toDetail(row: WorkflowRow): WorkflowDetail {
  return {
    id: row.id,
    slug: row.slug,
    name: row.name,
    description: row.description,
    currentVersion: row.currentVersion?.number ?? null,
    updatedAt: row.updatedAt.toISOString(),
    draftGraph: parseGraph(row.draftGraph, "draftGraph"),
    revision: row.draftRevision,
    limits: { maxConcurrentRuns: row.maxConcurrentRuns, maxRunSeconds: row.maxRunSeconds },
  };
}

export function workflowService(db: Db) {
  return {
    async list(): Promise<WorkflowSummary[]> {
      const rows = await db.workflow.findMany({ where: { archivedAt: null }, orderBy: { name: "asc" }, select: SELECT });
      return rows.map((row) => {
        const { draftGraph, revision: _revision, limits: _limits, ...rest } = toDetail(row);
        return { ...rest, nodeCount: draftGraph.nodes.length };
      });
    },

    /** By id or slug. */
    async get(idOrSlug: string): Promise<WorkflowDetail> {
      const row = await db.workflow.findFirst({ where: workflowRef(idOrSlug, { archived: true }), select: SELECT });
      if (!row) throw new NotFoundError(`no workflow '${idOrSlug}'`);
      return toDetail(row);
    },

    async create(input: z.input<typeof CreateWorkflowInput>, actor = "operator"): Promise<WorkflowDetail> {
      const data = CreateWorkflowInput.parse(input);
      const graph = data.graph === undefined ? emptyGraph() : parseGraph(data.graph);
      const row = await db.workflow.create({
        data: { slug: await uniqueSlug(db, data.slug || data.name), name: data.name, description: data.description, draftGraph: json(graph) },
        select: SELECT,
      });
      await audit(db, { actor, action: "workflow.create", targetType: "workflow", targetId: row.id, detail: { name: row.name } });
      return toDetail(row);
    },

    /** Operator limits: concurrent runs, and how long a run may take (null lifts a limit). */
    async setLimits(input: { id: string; maxConcurrentRuns: number | null; maxRunSeconds: number | null }, actor = "operator") {
      const { count } = await db.workflow.updateMany({ where: { id: input.id }, data: { maxConcurrentRuns: input.maxConcurrentRuns, maxRunSeconds: input.maxRunSeconds } });
      if (!count) throw new NotFoundError(`no workflow '${input.id}'`);
      await audit(db, { actor, action: "workflow.limits", targetType: "workflow", targetId: input.id, detail: { maxConcurrentRuns: input.maxConcurrentRuns, maxRunSeconds: input.maxRunSeconds } });
      return { maxConcurrentRuns: input.maxConcurrentRuns, maxRunSeconds: input.maxRunSeconds };
    },

    async saveDraft(input: z.input<typeof SaveDraftInput>, actor = "operator"): Promise<WorkflowDetail> {
      const data = SaveDraftInput.parse(input);
      const graph = parseGraph(data.graph);
      const changes = {
        draftGraph: json(graph),
        draftRevision: { increment: 1 },
        ...(data.name === undefined ? {} : { name: data.name }),
        ...(data.description === undefined ? {} : { description: data.description }),
      };
      // One conditional update: two tabs saving at the same instant cannot both pass the check.
      // Written first in the transaction (SQLite: a transaction that reads first can fail to
      // upgrade its lock, STACK-NOTES), and read back inside it so the revision returned is ours.
      const row = await db.$transaction(async (tx) => {
        const { count } = await tx.workflow.updateMany({
          where: { id: data.id, ...(data.baseRevision === undefined ? {} : { draftRevision: data.baseRevision }) },
          data: changes,
        });
        if (!count) {
          const current = await tx.workflow.findUnique({ where: { id: data.id }, select: { draftRevision: true } });
          if (!current) throw new NotFoundError(`no workflow '${data.id}'`);
          throw new ConflictError(
            `baseRevision: the draft was saved elsewhere since this edit began (it is at revision ${current.draftRevision}, the edit was based on ${data.baseRevision}); reload it, or save again to overwrite it`,
          );
        }
        return tx.workflow.findUniqueOrThrow({ where: { id: data.id }, select: SELECT });
      });
      await audit(db, {
        actor,
        action: "workflow.save_draft",
        targetType: "workflow",
        targetId: row.id,
        detail: { name: row.name, nodes: graph.nodes.length, edges: graph.edges.length },
      });
      return toDetail(row);
    },
  };
}

export type WorkflowService = ReturnType<typeof workflowService>;
