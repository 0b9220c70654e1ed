import { z } from "zod";
import { NotFoundError, ValidationError } from "../../engine/errors";
import { compileGraph, validateGraph, type Problem } from "../../engine/graph";
import type { NodeRegistry } from "../../engine/registry";
import { json, workflowRef, type Db } from "../../engine/store";
import { audit } from "./audit";
import { assertCapabilities, capabilitiesNow, type CapabilitySource } from "./capabilities";
import { WorkflowDescriptionSchema, WorkflowNameSchema, type WorkflowService } from "./workflows";

// Publishing turns a draft into an immutable version: validated, compiled, hashed. Runs pin a
// version; any older version can be made current again. Export/import move a workflow between
// Keels as one JSON file (the graph, never secrets: credentials are referenced by name).

export const EXPORT_FORMAT = "keel.workflow";

export const WorkflowFileSchema = z.object({
  format: z.literal(EXPORT_FORMAT, { message: `must be "${EXPORT_FORMAT}"` }),
  formatVersion: z.literal(1, { message: "must be 1" }),
  name: WorkflowNameSchema,
  description: WorkflowDescriptionSchema.default(""),
  slug: z.string().max(60).optional(),
  graph: z.unknown(),
});
export type WorkflowFile = z.infer<typeof WorkflowFileSchema>;

export interface VersionSummary {
  id: string;
  number: number;
  hash: string;
  notes: string;
  publishedBy: string;
  createdAt: string;
  current: boolean;
}

function problemsError(problems: Problem[], what: string): ValidationError {
  const first = problems[0]!;
  return new ValidationError(
    `${what}: ${problems.length} problem${problems.length === 1 ? "" : "s"}; first: ${first.path}: ${first.message}`,
    problems.map((p) => ({ path: p.path, message: p.message })),
  );
}

/**
 * `capabilities`: what this server provides to node types that declare `requires` (e.g. "llm"
 * when an OpenAI-compatible endpoint is configured). A graph that needs more is refused: its
 * version could only fail, step after step, into dead letters.
 */
export function publishingService(db: Db, deps: { registry: NodeRegistry; workflows: WorkflowService; capabilities: CapabilitySource }) {
  const { registry } = deps;

  async function workflowRow(idOrSlug: string) {
    const row = await db.workflow.findFirst({ where: workflowRef(idOrSlug, { archived: true }) });
    if (!row) throw new NotFoundError(`no workflow '${idOrSlug}'`);
    return row;
  }

  async function versions(idOrSlug: string): Promise<VersionSummary[]> {
    const wf = await workflowRow(idOrSlug);
    // Test versions (test runs of the draft) are not part of the history.
    const rows = await db.workflowVersion.findMany({ where: { workflowId: wf.id, test: false }, orderBy: { number: "desc" } });
    return rows.map((v) => ({
      id: v.id,
      number: v.number,
      hash: v.hash,
      notes: v.notes,
      publishedBy: v.publishedBy,
      createdAt: v.createdAt.toISOString(),
      current: v.id === wf.currentVersionId,
    }));
  }

  return {
    /** The problems in a workflow's draft (empty when it can be published). */
    async validateDraft(idOrSlug: string): Promise<Problem[]> {
      const wf = await workflowRow(idOrSlug);
      const result = validateGraph(wf.draftGraph, registry);
      return result.ok ? [] : result.problems;
    },

    /** Validates, compiles and stores the draft as a new immutable version, made current. */
    async publish(input: { id: string; notes?: string }, actor = "operator"): Promise<VersionSummary & { unchanged: boolean }> {
      const wf = await workflowRow(input.id);
      const result = validateGraph(wf.draftGraph, registry);
      if (!result.ok) throw problemsError(result.problems, `'${wf.name}' cannot be published`);
      assertCapabilities(wf.name, result.graph, registry, await capabilitiesNow(deps.capabilities));
      const compiled = compileGraph(result.graph, registry);
      if (wf.currentVersionId) {
        const current = await db.workflowVersion.findUnique({ where: { id: wf.currentVersionId } });
        if (current?.hash === compiled.hash) {
          return { ...(await versions(wf.id)).find((v) => v.current)!, unchanged: true };
        }
      }
      const version = await db.$transaction(async (tx) => {
        // Write first: on SQLite a transaction that reads first can fail to upgrade its lock
        // while a worker process writes (STACK-NOTES).
        await tx.workflow.update({ where: { id: wf.id }, data: { updatedAt: new Date() } });
        const last = await tx.workflowVersion.findFirst({ where: { workflowId: wf.id, test: false }, orderBy: { number: "desc" }, select: { number: true } });
        const created = await tx.workflowVersion.create({
          data: {
            workflowId: wf.id,
            number: (last?.number ?? 0) + 1,
            graph: json(result.graph),
            machine: json({ machine: compiled.machine, stateMap: compiled.stateMap, nodes: compiled.nodes }),
            hash: compiled.hash,
            notes: (input.notes ?? "").slice(0, 2000),
            publishedBy: actor,
          },
        });
        await tx.workflow.update({ where: { id: wf.id }, data: { currentVersionId: created.id } });
        await audit(tx, { actor, action: "workflow.publish", targetType: "workflow", targetId: wf.id, detail: { name: wf.name, version: created.number } });
        return created;
      });
      return { ...(await versions(wf.id)).find((v) => v.id === version.id)!, unchanged: false };
    },

    versions,

    /** The XState machine the draft compiles to, or the problems that keep it from compiling. */
    async statechart(idOrSlug: string): Promise<{ machine: unknown; problems: Problem[] }> {
      const wf = await workflowRow(idOrSlug);
      const result = validateGraph(wf.draftGraph, registry);
      if (!result.ok) return { machine: null, problems: result.problems };
      return { machine: compileGraph(result.graph, registry).machine, problems: [] };
    },

    /** Makes an older (or newer) published version current again. */
    async setCurrentVersion(input: { id: string; number: number }, actor = "operator"): Promise<VersionSummary> {
      const wf = await workflowRow(input.id);
      const version = await db.workflowVersion.findUnique({ where: { workflowId_number: { workflowId: wf.id, number: input.number } } });
      if (!version || version.test) throw new NotFoundError(`'${wf.name}' has no version ${input.number}`);
      await db.workflow.update({ where: { id: wf.id }, data: { currentVersionId: version.id } });
      await audit(db, { actor, action: "workflow.rollback", targetType: "workflow", targetId: wf.id, detail: { name: wf.name, version: version.number } });
      return (await versions(wf.id)).find((v) => v.id === version.id)!;
    },

    async exportWorkflow(idOrSlug: string): Promise<WorkflowFile> {
      const wf = await workflowRow(idOrSlug);
      return { format: EXPORT_FORMAT, formatVersion: 1, name: wf.name, description: wf.description, slug: wf.slug, graph: wf.draftGraph };
    },

    /**
     * Imports a workflow file as a new workflow (its draft). A graph in a newer or broken format
     * is refused whole; a well-formed graph with problems is imported, and its problems returned,
     * so nothing the operator exported is lost.
     */
    async importWorkflow(file: unknown, actor = "operator"): Promise<{ id: string; slug: string; problems: Problem[] }> {
      const parsed = WorkflowFileSchema.safeParse(file);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        throw new ValidationError(`${issue.path.join(".") || "(file)"}: ${issue.message}`, parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
      }
      const result = validateGraph(parsed.data.graph, registry);
      const structural = result.ok ? [] : result.problems.filter((p) => ["invalid_format", "too_large", "too_deep", "forbidden_key", "unsupported_schema_version"].includes(p.code));
      if (structural.length) throw problemsError(structural.map((p) => ({ ...p, path: `graph.${p.path}` })), "the file cannot be imported");
      const created = await deps.workflows.create(
        { name: parsed.data.name, description: parsed.data.description, graph: parsed.data.graph, ...(parsed.data.slug ? { slug: parsed.data.slug } : {}) },
        actor,
      );
      await audit(db, { actor, action: "workflow.import", targetType: "workflow", targetId: created.id, detail: { name: created.name } });
      return { id: created.id, slug: created.slug, problems: result.ok ? [] : result.problems };
    },
  };
}

export type PublishingService = ReturnType<typeof publishingService>;
