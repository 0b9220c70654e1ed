import { isUniqueViolation, json, type Db } from "../engine/store";
import { TEMPLATES } from "./templates";

const SEED_MARKER = "seed.templates";

/**
 * Seeds the template workflows once per database. The marker makes it once: templates the
 * operator deletes stay deleted, and concurrent starts cannot duplicate (slugs are unique).
 */
export async function seedTemplates(db: Db): Promise<{ seeded: string[] }> {
  if (await db.setting.findUnique({ where: { key: SEED_MARKER } })) return { seeded: [] };
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
  try {
    await db.setting.create({ data: { key: SEED_MARKER, value: json({ templates: TEMPLATES.map((t) => t.slug), at: new Date().toISOString() }) } });
  } catch (error) {
    // Processes starting together (keel start's worker, several workers) race to the marker;
    // Prisma's upsert is not atomic on Postgres, so the loser sees a unique violation.
    if (!isUniqueViolation(error)) throw error;
  }
  return { seeded };
}
