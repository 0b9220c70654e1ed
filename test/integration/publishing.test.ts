import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { operatorApi, rejection, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";

describe.each(databaseKinds())("publishing on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
  });
  afterAll(async () => {
    await env.dispose();
  });

  it("publishes immutable versions, skips unchanged drafts, and rolls back", async () => {
    const wf = await caller.workflow.create({ name: "Billing", graph: CONSTRUCTS["if-else-merge"] });
    const v1 = await caller.workflow.publish({ id: wf.id, notes: "first" });
    expect(v1).toMatchObject({ number: 1, notes: "first", current: true, unchanged: false, publishedBy: "operator" });
    expect((await caller.workflow.publish({ id: wf.id })).unchanged).toBe(true);
    expect(await caller.workflow.versions({ id: wf.id })).toHaveLength(1);

    await caller.workflow.saveDraft({ id: wf.id, graph: CONSTRUCTS["parallel-join"] });
    const v2 = await caller.workflow.publish({ id: wf.id, notes: "parallel" });
    expect(v2).toMatchObject({ number: 2, current: true });
    expect(v2.hash).not.toBe(v1.hash);
    expect((await caller.workflow.get({ id: wf.id })).currentVersion).toBe(2);

    // Version 1 is untouched by the new draft and can be made current again.
    const stored = await env.database.db.workflowVersion.findFirstOrThrow({ where: { workflowId: wf.id, number: 1 } });
    expect(stored.graph).toEqual(CONSTRUCTS["if-else-merge"]);
    expect((stored.machine as { stateMap: Record<string, string> }).stateMap.big).toBe("#big");
    await caller.workflow.setCurrentVersion({ id: wf.id, number: 1 });
    expect((await caller.workflow.get({ id: wf.id })).currentVersion).toBe(1);
    expect((await caller.workflow.versions({ id: wf.id })).map((v) => [v.number, v.current])).toEqual([
      [2, false],
      [1, true],
    ]);
    expect((await rejection(caller.workflow.setCurrentVersion({ id: wf.id, number: 9 }))).code).toBe("NOT_FOUND");

    const actions = (await caller.audit.list({ limit: 10 })).entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["workflow.publish", "workflow.rollback"]));
  });

  it("refuses to publish while problems remain, says what they are, and stores nothing", async () => {
    const broken = structuredClone(CONSTRUCTS.linear!);
    broken.nodes[1]!.config = { expression: "input.a +" };
    const wf = await caller.workflow.create({ name: "Broken", graph: broken });
    expect(await caller.workflow.validate({ id: wf.id })).toEqual([
      expect.objectContaining({ nodeId: "shape", path: "nodes.1.config.expression", code: "invalid_expression" }),
    ]);
    const error = await rejection(caller.workflow.publish({ id: wf.id }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^'Broken' cannot be published: 1 problem; first: nodes\.1\.config\.expression: Node 'shape': expression /);
    expect(await caller.workflow.versions({ id: wf.id })).toEqual([]);
  });

  it("exports a workflow and imports it back as the same graph", async () => {
    const wf = await caller.workflow.create({ name: "Round trip", description: "there and back", graph: CONSTRUCTS["approval-delay-error"] });
    const file = await caller.workflow.export({ id: wf.id });
    expect(file).toMatchObject({ format: "keel.workflow", formatVersion: 1, name: "Round trip", slug: "round-trip" });
    const imported = await caller.workflow.import({ file: JSON.parse(JSON.stringify(file)) });
    expect(imported.slug).toBe("round-trip-2");
    expect(imported.problems).toEqual([]);
    expect((await caller.workflow.get({ id: imported.id })).draftGraph).toEqual(CONSTRUCTS["approval-delay-error"]);
  });

  it("imports a well-formed graph with problems as a draft, listing them", async () => {
    const file = { format: "keel.workflow", formatVersion: 1, name: "Needs work", graph: { ...CONSTRUCTS.linear!, nodes: CONSTRUCTS.linear!.nodes.slice(1) } };
    const imported = await caller.workflow.import({ file });
    expect(imported.problems.map((p) => p.code)).toContain("missing_trigger");
    expect((await caller.workflow.get({ id: imported.id })).draftGraph.nodes).toHaveLength(2);
  });

  it("refuses a broken file whole, naming the field, and creates nothing", async () => {
    const before = (await caller.workflow.list()).length;
    const wrongFormat = await rejection(caller.workflow.import({ file: { format: "zapier", formatVersion: 1, name: "x", graph: {} } }));
    expect(wrongFormat.message).toBe('format: must be "keel.workflow"');
    const future = await rejection(caller.workflow.import({ file: { format: "keel.workflow", formatVersion: 1, name: "x", graph: { schemaVersion: 7, nodes: [], edges: [] } } }));
    expect(future.message).toMatch(/^the file cannot be imported: 1 problem; first: graph\.schemaVersion: This graph uses schemaVersion 7/);
    const noName = await rejection(caller.workflow.import({ file: { format: "keel.workflow", formatVersion: 1, name: "", graph: CONSTRUCTS.linear } }));
    expect(noName.message).toBe("name: is required");
    expect((await caller.workflow.list()).length).toBe(before);
  });
});
