import { z } from "zod";
import { ConflictError, NotFoundError, ValidationError } from "../../engine/errors";
import { emptyGraph, GraphSchema, type Graph } from "../../engine/graph/schema";
import { json, workflowRef, type Db, type Prisma } from "../../engine/store";
import { assertJsonWithin } from "../../engine/json-bytes";
import { LIMITS } from "../../engine/limits";
import { TEMPLATES } from "../../prisma/templates";
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

export const ListWorkflowsInput = z.object({
  /** Matches name, slug or description, case-insensitively. */
  search: z.string().trim().max(200, "must be at most 200 characters").optional(),
  /** Archived workflows instead of the active ones. */
  archived: z.boolean().default(false),
});

export const RenameWorkflowInput = z.object({ id: z.string().min(1), name: WorkflowNameSchema, description: WorkflowDescriptionSchema.optional() });

export const CreateFromTemplateInput = z.object({
  template: z.string().min(1, "is required"),
  name: WorkflowNameSchema.optional(),
});

export interface WorkflowSummary {
  id: string;
  slug: string;
  name: string;
  description: string;
  nodeCount: number;
  currentVersion: number | null;
  updatedAt: string;
  archived: boolean;
  /** The latest run that is not a test run of the draft. */
  lastRun: { id: string; status: string; createdAt: string } | null;
  /** Approvals (and forms) of this workflow's runs waiting for the operator. */
  waitingApprovals: number;
}

/** The templates a new workflow can start from. */
export function workflowTemplates() {
  return TEMPLATES.map((t) => ({ slug: t.slug, name: t.name, description: t.description, nodeCount: t.graph.nodes.length }));
}

export interface WorkflowDetail extends Omit<WorkflowSummary, "nodeCount" | "lastRun" | "waitingApprovals"> {
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
  archivedAt: Date | null;
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
  archivedAt: true,
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
    archived: row.archivedAt !== null,
    draftGraph: parseGraph(row.draftGraph, "draftGraph"),
    revision: row.draftRevision,
    limits: { maxConcurrentRuns: row.maxConcurrentRuns, maxRunSeconds: row.maxRunSeconds },
  };
}

export function workflowService(db: Db) {
  return {
    async list(raw: z.input<typeof ListWorkflowsInput> = {}): Promise<WorkflowSummary[]> {
      const filter = ListWorkflowsInput.parse(raw);
      const rows = await db.workflow.findMany({ where: { archivedAt: filter.archived ? { not: null } : null }, orderBy: { name: "asc" }, select: SELECT });
      const needle = filter.search?.toLowerCase();
      // Filtered here rather than in SQL: SQLite's LIKE and Postgres' ILIKE disagree on case,
      // and an operator has tens of workflows, not millions.
      const matching = needle ? rows.filter((r) => [r.name, r.slug, r.description].some((text) => text.toLowerCase().includes(needle))) : rows;
      const ids = matching.map((r) => r.id);
      const [lastRuns, waiting] = await Promise.all([
        Promise.all(
          ids.map((workflowId) =>
            db.run.findFirst({ where: { workflowId, test: false }, orderBy: { createdAt: "desc" }, select: { id: true, status: true, createdAt: true } }),
          ),
        ),
        db.approval.findMany({ where: { status: "pending", run: { workflowId: { in: ids }, test: false } }, select: { run: { select: { workflowId: true } } } }),
      ]);
      const waitingBy = new Map<string, number>();
      for (const a of waiting) waitingBy.set(a.run.workflowId, (waitingBy.get(a.run.workflowId) ?? 0) + 1);
      return matching.map((row, i) => {
        const { draftGraph, revision: _revision, limits: _limits, ...rest } = toDetail(row);
        const last = lastRuns[i];
        return {
          ...rest,
          nodeCount: draftGraph.nodes.length,
          lastRun: last ? { id: last.id, status: last.status, createdAt: last.createdAt.toISOString() } : null,
          waitingApprovals: waitingBy.get(row.id) ?? 0,
        };
      });
    },

    /** A new workflow whose draft is a copy of a shipped template's graph. */
    async createFromTemplate(raw: z.input<typeof CreateFromTemplateInput>, actor = "operator"): Promise<WorkflowDetail> {
      const input = CreateFromTemplateInput.parse(raw);
      const template = TEMPLATES.find((t) => t.slug === input.template);
      if (!template) throw new ValidationError(`template: no template '${input.template}'`, [{ path: "template", message: "is not a known template" }]);
      return this.create({ name: input.name ?? template.name, description: template.description, graph: structuredClone(template.graph) }, actor);
    },

    async rename(raw: z.input<typeof RenameWorkflowInput>, actor = "operator"): Promise<WorkflowDetail> {
      const input = RenameWorkflowInput.parse(raw);
      const { count } = await db.workflow.updateMany({
        where: { id: input.id },
        data: { name: input.name, ...(input.description === undefined ? {} : { description: input.description }) },
      });
      if (!count) throw new NotFoundError(`no workflow '${input.id}'`);
      await audit(db, { actor, action: "workflow.rename", targetType: "workflow", targetId: input.id, detail: { name: input.name } });
      return this.get(input.id);
    },

    /** A new workflow with a copy of this one's draft; versions and runs stay with the original. */
    async duplicate(id: string, actor = "operator"): Promise<WorkflowDetail> {
      const source = await this.get(id);
      const name = `${source.name} (copy)`.slice(0, 120);
      const copy = await this.create({ name, description: source.description, graph: source.draftGraph }, actor);
      await audit(db, { actor, action: "workflow.duplicate", targetType: "workflow", targetId: copy.id, detail: { from: source.id } });
      return copy;
    },

    /**
     * Archived workflows leave the list, take no new webhook or scheduled runs, and keep their
     * versions and runs; unarchiving brings them back as they were.
     */
    async setArchived(input: { id: string; archived: boolean }, actor = "operator"): Promise<WorkflowDetail> {
      const { count } = await db.workflow.updateMany({ where: { id: input.id }, data: { archivedAt: input.archived ? new Date() : null } });
      if (!count) throw new NotFoundError(`no workflow '${input.id}'`);
      await audit(db, { actor, action: input.archived ? "workflow.archive" : "workflow.unarchive", targetType: "workflow", targetId: input.id });
      return this.get(input.id);
    },

    /**
     * Deletes a workflow that never ran. One with runs is refused: deleting it would delete its
     * run history, so the operator archives it instead.
     */
    async remove(id: string, actor = "operator"): Promise<{ id: string }> {
      const wf = await db.workflow.findUnique({ where: { id }, select: { id: true, name: true, _count: { select: { runs: true } } } });
      if (!wf) throw new NotFoundError(`no workflow '${id}'`);
      if (wf._count.runs > 0) {
        throw new ConflictError(`'${wf.name}' has ${wf._count.runs} run${wf._count.runs === 1 ? "" : "s"}: archive it instead, so their history is kept.`);
      }
      await db.$transaction(async (tx) => {
        await tx.workflow.update({ where: { id }, data: { currentVersionId: null } });
        await tx.workflow.delete({ where: { id } });
        await audit(tx, { actor, action: "workflow.delete", targetType: "workflow", targetId: id, detail: { name: wf.name } });
      });
      return { id };
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
