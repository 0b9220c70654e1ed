import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "../../engine/runtime/worker";
import { TEMPLATES } from "../../prisma/templates";
import { runtimeDeps } from "../../server/runtime";
import { CONSTRUCTS } from "../graph/constructs.fixture";
import { operatorApi, rejection, type Caller, type OperatorApi } from "../support/caller";
import { databaseKinds } from "../support/databases";

describe.each(databaseKinds())("the workflows list on $name", (kind) => {
  let env: OperatorApi["env"];
  let caller: Caller;

  beforeAll(async () => {
    ({ env, caller } = await operatorApi(kind));
  });
  afterAll(async () => {
    await env.dispose();
  });

  it("creates a workflow from a template with the template's graph, and refuses an unknown template naming the field", async () => {
    const template = TEMPLATES[0]!;
    expect((await caller.workflow.templates()).map((t) => t.slug)).toEqual(TEMPLATES.map((t) => t.slug));
    const created = await caller.workflow.createFromTemplate({ template: template.slug });
    expect(created.name).toBe(template.name);
    expect(created.draftGraph).toEqual(template.graph);
    const named = await caller.workflow.createFromTemplate({ template: template.slug, name: "My onboarding" });
    expect(named.name).toBe("My onboarding");
    expect(named.slug).toBe("my-onboarding");
    const error = await rejection(caller.workflow.createFromTemplate({ template: "no-such-template" }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toBe("template: no template 'no-such-template'");
  });

  it("renames, naming the field when the name is empty", async () => {
    const wf = await caller.workflow.create({ name: "Old name" });
    const renamed = await caller.workflow.rename({ id: wf.id, name: "New name" });
    expect(renamed).toMatchObject({ id: wf.id, name: "New name", slug: wf.slug });
    expect((await caller.workflow.get({ id: wf.id })).name).toBe("New name");
    const error = await rejection(caller.workflow.rename({ id: wf.id, name: "  " }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/name/);
    expect((await rejection(caller.workflow.rename({ id: "missing", name: "x" }))).code).toBe("NOT_FOUND");
  });

  it("duplicates the draft into a new workflow, without the original's versions", async () => {
    const wf = await caller.workflow.create({ name: "Original", description: "keep me", graph: CONSTRUCTS.linear });
    await caller.workflow.publish({ id: wf.id });
    const copy = await caller.workflow.duplicate({ id: wf.id });
    expect(copy.id).not.toBe(wf.id);
    expect(copy).toMatchObject({ name: "Original (copy)", description: "keep me", currentVersion: null });
    expect(copy.draftGraph).toEqual(CONSTRUCTS.linear);
    expect(await caller.workflow.versions({ id: copy.id })).toEqual([]);
    expect(await caller.workflow.versions({ id: wf.id })).toHaveLength(1);
  });

  it("searches by name, slug or description, case-insensitively", async () => {
    await caller.workflow.create({ name: "Invoice reminders", description: "chase unpaid invoices" });
    await caller.workflow.create({ name: "Lead intake", description: "from the WEBSITE form" });
    expect((await caller.workflow.list({ search: "INVOICE" })).map((w) => w.name)).toEqual(["Invoice reminders"]);
    expect((await caller.workflow.list({ search: "website" })).map((w) => w.name)).toEqual(["Lead intake"]);
    expect((await caller.workflow.list({ search: "lead-intake" })).map((w) => w.name)).toEqual(["Lead intake"]);
    expect(await caller.workflow.list({ search: "nothing matches this" })).toEqual([]);
  });

  it("archives out of the list and back, and lists archived ones apart", async () => {
    const wf = await caller.workflow.create({ name: "Seasonal" });
    expect((await caller.workflow.setArchived({ id: wf.id, archived: true })).archived).toBe(true);
    expect((await caller.workflow.list()).some((w) => w.id === wf.id)).toBe(false);
    expect((await caller.workflow.list({ archived: true })).map((w) => w.id)).toEqual([wf.id]);
    await caller.workflow.setArchived({ id: wf.id, archived: false });
    expect((await caller.workflow.list()).find((w) => w.id === wf.id)?.archived).toBe(false);
    expect(await caller.workflow.list({ archived: true })).toEqual([]);
  });

  it("deletes a workflow that never ran, and refuses one with runs so their history is kept", async () => {
    const unused = await caller.workflow.create({ name: "Unused", graph: CONSTRUCTS.linear });
    await caller.workflow.publish({ id: unused.id });
    await caller.workflow.delete({ id: unused.id });
    expect((await rejection(caller.workflow.get({ id: unused.id }))).code).toBe("NOT_FOUND");

    const used = await caller.workflow.create({ name: "Used", graph: CONSTRUCTS.linear });
    await caller.workflow.publish({ id: used.id });
    await caller.run.start({ workflow: used.id, input: { a: 1, b: 2 } });
    const error = await rejection(caller.workflow.delete({ id: used.id }));
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toBe("'Used' has 1 run: archive it instead, so their history is kept.");
    expect((await caller.workflow.get({ id: used.id })).name).toBe("Used");
    const actions = (await caller.audit.list({ limit: 20 })).entries.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["workflow.delete", "workflow.rename", "workflow.duplicate", "workflow.archive"]));
  });

  it("shows each workflow's current version, last run status and waiting approvals", async () => {
    const wf = await caller.workflow.create({ name: "Needs a yes", graph: CONSTRUCTS["approval-delay-error"] });
    const quiet = await caller.workflow.create({ name: "Never ran" });
    await caller.workflow.publish({ id: wf.id });
    const worker = new Worker(runtimeDeps(env.database), { id: `list-${kind.name}`, leaseMs: 60_000 });
    await caller.run.start({ workflow: wf.id, input: { subject: "a" } });
    const second = await caller.run.start({ workflow: wf.id, input: { subject: "b" } });
    await worker.drain();

    const summary = (await caller.workflow.list()).find((w) => w.id === wf.id)!;
    expect(summary.currentVersion).toBe(1);
    expect(summary.waitingApprovals).toBe(2);
    expect(summary.lastRun).toMatchObject({ id: second.id, status: "waiting" });
    const never = (await caller.workflow.list()).find((w) => w.id === quiet.id)!;
    expect(never).toMatchObject({ currentVersion: null, lastRun: null, waitingApprovals: 0 });

    const approval = (await caller.approval.pending()).find((a) => a.runId === second.id)!;
    await caller.approval.decide({ approvalId: approval.id, decision: "reject" });
    expect((await caller.workflow.list()).find((w) => w.id === wf.id)!.waitingApprovals).toBe(1);
  });
});
