import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { seedTemplates } from "../../prisma/seed";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";

describe.each(databaseKinds())("the seeded templates on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    services = servicesFor(loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-templates-")), DATABASE_URL: env.scratch.target.url }), env.database);
    await seedTemplates(env.database.db);
  });
  afterAll(async () => {
    await env.dispose();
  });

  it("customer onboarding publishes and runs end to end with no API key: contact, memory, two emails to the outbox", async () => {
    expect(await services.publishing.validateDraft("customer-onboarding")).toEqual([]);
    await services.publishing.publish({ id: "customer-onboarding", notes: "as shipped" });
    let now = new Date("2026-12-01T09:00:00Z");
    const worker = new Worker(runtimeDeps(env.database, { now: () => now }), { id: "templates" });
    const run = await services.runs.start({ workflow: "customer-onboarding", input: { email: "ada@example.test", name: "Ada", company: "Engines Ltd", source: "a referral" } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("sleeping");
    now = new Date(now.getTime() + 2 * 86_400_000 + 1_000);
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("succeeded");

    const contact = await env.database.db.contact.findUniqueOrThrow({ where: { email: "ada@example.test" } });
    expect([contact.name, contact.company]).toEqual(["Ada", "Engines Ltd"]);
    const item = await env.database.db.memoryItem.findFirstOrThrow({ where: { runId: run.id }, include: { subject: true } });
    expect([item.subject!.kind, item.subject!.key, item.text, item.nodeId]).toEqual(["contact", "ada@example.test", "Signed up via a referral.", "remember"]);
    const mail = await env.database.db.emailMessage.findMany({ where: { runId: run.id }, orderBy: { createdAt: "asc" } });
    expect(mail.map((m) => [m.status, m.to, m.subject])).toEqual([
      ["not_sent", "ada@example.test", "Welcome aboard, Ada"],
      ["not_sent", "ada@example.test", "How is it going?"],
    ]);
  });

  it("the templates with LLM steps say what is missing before they can be published", async () => {
    for (const slug of ["support-triage", "content-publishing"]) {
      const problems = await services.publishing.validateDraft(slug);
      expect(problems.length, slug).toBeGreaterThan(0);
      expect(problems.every((p) => p.code === "unknown_node_type"), slug).toBe(true);
      expect(problems.map((p) => p.message).join(" "), slug).toMatch(/there is no node type 'llm\./);
    }
  });
});
