import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedTemplates } from "../../prisma/seed";
import { publishAsSeed } from "../../server/cli/prepare";
import { TEMPLATES } from "../../prisma/templates";
import { operatorApi, rejection, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";

describe.each(databaseKinds())("workflow procedures on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
  });
  afterAll(async () => {
    await env.dispose();
  });

  it("health reports the database it reached", async () => {
    const health = await caller.health();
    expect(health.status).toBe("ok");
    expect(health.database).toBe(kind.name === "sqlite" ? "sqlite" : "postgresql");
  });

  it("seeds the templates once, and not again after the operator changes them", async () => {
    expect((await seedTemplates(env.database.db)).seeded).toEqual(TEMPLATES.map((t) => t.slug));
    const list = await caller.workflow.list();
    expect(list.map((w) => w.slug).sort()).toEqual(TEMPLATES.map((t) => t.slug).sort());
    const onboarding = list.find((w) => w.slug === "customer-onboarding")!;
    expect(onboarding.nodeCount).toBe(TEMPLATES.find((t) => t.slug === "customer-onboarding")!.graph.nodes.length);
    expect(onboarding.currentVersion).toBeNull();

    await env.database.db.workflow.delete({ where: { id: onboarding.id } });
    expect((await seedTemplates(env.database.db)).seeded).toEqual([]);
    expect((await caller.workflow.list()).some((w) => w.slug === "customer-onboarding")).toBe(false);
  });

  it("creates a workflow with an empty graph and a unique slug", async () => {
    const a = await caller.workflow.create({ name: "Weekly report" });
    const b = await caller.workflow.create({ name: "Weekly report", description: "second" });
    expect(a.slug).toBe("weekly-report");
    expect(b.slug).toBe("weekly-report-2");
    expect(a.draftGraph).toEqual({ schemaVersion: 1, nodes: [], edges: [] });
    expect(await caller.workflow.get({ id: a.id })).toEqual(a);
    expect((await caller.workflow.get({ id: "weekly-report-2" })).id).toBe(b.id);
  });

  it("saves a draft graph and returns it as stored", async () => {
    const wf = await caller.workflow.create({ name: "Draft me" });
    const graph = {
      schemaVersion: 1,
      nodes: [
        { id: "start", type: "trigger.manual", typeVersion: 1, label: "Go", position: { x: 0, y: 0 }, config: {} },
        { id: "done", type: "flow.end", typeVersion: 1, label: "", position: { x: 200.5, y: -10 }, config: { outcome: "success" } },
      ],
      edges: [{ id: "e1", source: "start", sourcePort: "out", target: "done", targetPort: "in" }],
    };
    const saved = await caller.workflow.saveDraft({ id: wf.id, graph, name: "Drafted" });
    expect(saved.draftGraph).toEqual(graph);
    expect(saved.name).toBe("Drafted");
    expect((await caller.workflow.get({ id: wf.id })).draftGraph).toEqual(graph);
  });

  it("refuses a save based on an older revision (a second tab), and keeps the newer draft", async () => {
    const wf = await caller.workflow.create({ name: "Two tabs" });
    expect(wf.revision).toBe(0);
    const node = (id: string) => ({ id, type: "trigger.manual", typeVersion: 1, label: "", position: { x: 0, y: 0 }, config: {} });
    const first = await caller.workflow.saveDraft({ id: wf.id, graph: { schemaVersion: 1, nodes: [node("a")], edges: [] }, baseRevision: 0 });
    expect(first.revision).toBe(1);
    const stale = await rejection(caller.workflow.saveDraft({ id: wf.id, graph: { schemaVersion: 1, nodes: [node("b")], edges: [] }, baseRevision: 0 }));
    expect(stale.code).toBe("CONFLICT");
    expect(stale.message).toMatch(/^baseRevision: .*revision 1, the edit was based on 0/);
    expect((await caller.workflow.get({ id: wf.id })).draftGraph.nodes.map((n) => n.id)).toEqual(["a"]);
    // Overwriting on purpose: the save names the revision it now knows it replaces.
    const overwrite = await caller.workflow.saveDraft({ id: wf.id, graph: { schemaVersion: 1, nodes: [node("b")], edges: [] }, baseRevision: 1 });
    expect(overwrite.revision).toBe(2);
    expect(overwrite.draftGraph.nodes.map((n) => n.id)).toEqual(["b"]);
  });

  it("rejects a bad graph with an error naming the field, and keeps the stored draft", async () => {
    const wf = await caller.workflow.create({ name: "Keep me" });
    const error = await rejection(
      caller.workflow.saveDraft({
        id: wf.id,
        graph: { schemaVersion: 1, nodes: [{ id: "a", type: "x", typeVersion: 1, position: { x: "left", y: 0 } }], edges: [] },
      }),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("graph.nodes.0.position.x: Invalid input: expected number, received string");
    expect((await caller.workflow.get({ id: wf.id })).draftGraph.nodes).toEqual([]);
  });

  it("rejects an empty name, naming the field", async () => {
    const error = await rejection(caller.workflow.create({ name: "   " }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/name/);
  });

  it("answers NOT_FOUND for an unknown workflow", async () => {
    const error = await rejection(caller.workflow.get({ id: "nope" }));
    expect(error.code).toBe("NOT_FOUND");
    expect(error.message).toBe("no workflow 'nope'");
    expect((await rejection(caller.workflow.saveDraft({ id: "nope", graph: { schemaVersion: 1, nodes: [], edges: [] } }))).code).toBe(
      "NOT_FOUND",
    );
  });
});

describe.each(databaseKinds())("seeding on $name", (kind) => {
  const publishedVersions = (env: OperatorApi["env"]) =>
    env.database.db.workflowVersion.findMany({ where: { test: false }, select: { number: true, publishedBy: true, workflow: { select: { slug: true, currentVersionId: true } } } });

  it("is safe when several processes start at the same moment: each template seeded and published exactly once", async () => {
    const { env } = await operatorApi(kind);
    try {
      const publish = (id: string) => publishAsSeed(env.database.db, id);
      const results = await Promise.all([1, 2, 3, 4].map(() => seedTemplates(env.database.db, { publish })));
      expect(results.flatMap((r) => r.seeded).sort()).toEqual(TEMPLATES.map((t) => t.slug).sort());
      expect(results.flatMap((r) => r.published).sort()).toEqual(TEMPLATES.map((t) => t.slug).sort());
      expect(results.flatMap((r) => r.unpublished)).toEqual([]);
      expect(await env.database.db.workflow.count()).toBe(TEMPLATES.length);
      expect(await env.database.db.setting.count({ where: { key: "seed.templates" } })).toBe(1);
      const versions = await publishedVersions(env);
      expect(versions.map((v) => [v.workflow.slug, v.number, v.publishedBy]).sort()).toEqual(TEMPLATES.map((t) => [t.slug, 1, "keel"]).sort());
      expect(versions.every((v) => v.workflow.currentVersionId !== null)).toBe(true);
    } finally {
      await env.dispose();
    }
  });

  it("publishes on the next start what an earlier Keel seeded as drafts, only while the operator has not touched it; restarts publish nothing again", async () => {
    const { env, caller } = await operatorApi(kind);
    try {
      const publish = (id: string) => publishAsSeed(env.database.db, id);
      // A database seeded before templates were published: drafts only.
      expect((await seedTemplates(env.database.db)).published).toEqual([]);
      const triage = (await caller.workflow.list()).find((w) => w.slug === "support-triage")!;
      const detail = await caller.workflow.get({ id: triage.id });
      const edited = { ...detail.draftGraph, nodes: detail.draftGraph.nodes.map((n) => (n.id === detail.draftGraph.nodes[0]!.id ? { ...n, label: "Operator's own label" } : n)) };
      await caller.workflow.saveDraft({ id: triage.id, graph: edited });
      const publishing = (await caller.workflow.list()).find((w) => w.slug === "content-publishing")!;
      await caller.workflow.setArchived({ id: publishing.id, archived: true });

      const next = await seedTemplates(env.database.db, { publish });
      expect(next).toEqual({ seeded: [], published: ["customer-onboarding"], unpublished: [] });
      // The edited draft is neither published nor overwritten.
      expect((await caller.workflow.get({ id: triage.id })).draftGraph).toEqual(edited);
      expect((await caller.workflow.get({ id: triage.id })).currentVersion).toBeNull();

      expect(await seedTemplates(env.database.db, { publish })).toEqual({ seeded: [], published: [], unpublished: [] });
      expect((await publishedVersions(env)).map((v) => [v.workflow.slug, v.number])).toEqual([["customer-onboarding", 1]]);
    } finally {
      await env.dispose();
    }
  });
});
