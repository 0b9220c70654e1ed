import { isDeepStrictEqual } from "node:util";
import { isUniqueViolation, json, type Db } from "../engine/store";
import { TEMPLATES } from "./templates";

const SEED_MARKER = "seed.templates";
/** Separate from SEED_MARKER so databases seeded before templates were published get them published once too. */
const PUBLISH_MARKER = "seed.templates.published";

export interface SeedOptions {
  /**
   * Publishes a workflow's draft (the publishing service's publish). Without it the templates
   * are seeded as drafts only. Passed in because publishing needs the node registry, which
   * prisma/ does not import.
   */
  publish?: (workflowId: string) => Promise<unknown>;
}

export interface SeedResult {
  seeded: string[];
  published: string[];
  /** Templates that could not be published, with the reason (the operator publishes them by hand). */
  unpublished: { slug: string; reason: string }[];
}

/**
 * Seeds the template workflows once per database, then publishes them once, so "Try it" works
 * on a fresh install. The markers make both once: templates the operator deletes stay deleted,
 * concurrent starts cannot duplicate (slugs are unique, and only the process that writes the
 * publish marker publishes), and a template whose draft the operator changed or published is
 * left alone: publishing makes a version of the draft and never writes the draft.
 */
export async function seedTemplates(db: Db, options: SeedOptions = {}): Promise<SeedResult> {
  const seeded = (await db.setting.findUnique({ where: { key: SEED_MARKER } })) ? [] : await createTemplates(db);
  const result: SeedResult = { seeded, published: [], unpublished: [] };
  if (options.publish && (await claimMarker(db, PUBLISH_MARKER))) await publishUntouched(db, options.publish, result);
  return result;
}

async function createTemplates(db: Db): Promise<string[]> {
  const seeded: string[] = [];
  for (const template of TEMPLATES) {
    const existing = await db.workflow.findUnique({ where: { slug: template.slug }, select: { id: true } });
    if (existing) continue;
    try {
      await db.workflow.create({
        data: { slug: template.slug, name: template.name, description: template.description, draftGraph: json(template.graph) },
      });
      seeded.push(template.slug);
    } catch (error) {
      // Another process seeded the same template a moment ago.
      if (!isUniqueViolation(error)) throw error;
    }
  }
  await claimMarker(db, SEED_MARKER);
  return seeded;
}

/** Writes a marker; false when another process (or an earlier start) wrote it first. */
async function claimMarker(db: Db, key: string): Promise<boolean> {
  if (await db.setting.findUnique({ where: { key } })) return false;
  try {
    await db.setting.create({ data: { key, value: json({ templates: TEMPLATES.map((t) => t.slug), at: new Date().toISOString() }) } });
    return true;
  } catch (error) {
    // Processes starting together (keel start's worker, several workers) race to the marker;
    // Prisma's upsert is not atomic on Postgres, so the loser sees a unique violation.
    if (!isUniqueViolation(error)) throw error;
    return false;
  }
}

/** Publishes each template that is still as seeded: never published, not archived, its draft unchanged. */
async function publishUntouched(db: Db, publish: (workflowId: string) => Promise<unknown>, result: SeedResult): Promise<void> {
  for (const template of TEMPLATES) {
    const wf = await db.workflow.findUnique({ where: { slug: template.slug }, select: { id: true, draftGraph: true, currentVersionId: true, archivedAt: true } });
    // Compared as JSON values: Postgres' jsonb does not keep key order.
    if (!wf || wf.currentVersionId || wf.archivedAt || !isDeepStrictEqual(wf.draftGraph, JSON.parse(JSON.stringify(template.graph)))) continue;
    try {
      await publish(wf.id);
      result.published.push(template.slug);
    } catch (error) {
      // Start-up goes on: the template stays a draft whose Publish button says what is wrong.
      result.unpublished.push({ slug: template.slug, reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
