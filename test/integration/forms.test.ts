import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";

// human.form end to end on real databases: the run waits in an Approval row of kind "form";
// valid values resume it with them, typed; invalid ones are refused naming the field while the
// run keeps waiting; two submits resume it once; deadlines decline or submit the defaults.

const FIELDS = [
  { name: "address", label: "Address", type: "textarea", required: true },
  { name: "seats", label: "Seats", type: "number", required: true, default: 1 },
  { name: "plan", label: "Plan", type: "select", options: ["basic", "pro"], default: "basic" },
  { name: "insured", label: "Insure it", type: "boolean" },
  { name: "start", label: "Start on", type: "date" },
  { name: "billing", label: "Billing email", type: "email", default: "{{ input.email }}" },
];

const formGraph = (extra: Record<string, unknown> = {}): Graph => ({
  schemaVersion: 1,
  nodes: [
    n("start", "trigger.manual"),
    n("details", "human.form", { title: "Details for {{ input.name }}", instructions: "Fill in the order.", fields: FIELDS, ...extra }),
    n("ok", "flow.end"),
    n("no", "flow.end", { outcome: "failure" }),
  ],
  edges: [e("e1", "start", "details"), e("e2", "details", "ok", "submitted"), e("e3", "details", "no", "declined")],
});

/** The message a call fails with, or "succeeded". */
const failure = (promise: Promise<unknown>) => promise.then(() => "succeeded", (error: Error) => error.message);

describe.each(databaseKinds())("forms on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let now = new Date("2026-11-30T12:00:00Z");
  let worker: Worker;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-forms-")), DATABASE_URL: env.scratch.target.url });
    services = servicesFor(config, env.database);
    worker = new Worker(runtimeDeps(env.database, { now: () => now }), { id: `w-${kind.name}`, leaseMs: 60_000 });
  });
  afterAll(async () => {
    await env.dispose();
  });

  async function startWaiting(name: string, extra: Record<string, unknown> = {}) {
    const wf = await services.workflows.create({ name, graph: formGraph(extra) });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input: { name: "Ada", email: "ada@example.test" } });
    await worker.drain();
    expect((await services.runs.get(run.id)).status).toBe("waiting");
    const approval = await env.database.db.approval.findFirstOrThrow({ where: { runId: run.id } });
    return { runId: run.id, formId: approval.id };
  }

  it("shows the form with rendered defaults, and resumes the run with the typed values", async () => {
    const { runId, formId } = await startWaiting("Order details");
    const form = await services.forms.get(formId);
    expect(form).toMatchObject({ state: "pending", title: "Details for Ada", instructions: "Fill in the order.", workflow: "Order details" });
    expect(form.fields.map((f) => [f.name, f.type, f.required])).toEqual([
      ["address", "textarea", true],
      ["seats", "number", true],
      ["plan", "select", false],
      ["insured", "boolean", false],
      ["start", "date", false],
      ["billing", "email", false],
    ]);
    expect((await services.runs.pendingApprovals()).find((a) => a.id === formId)?.kind).toBe("form");
    expect(form.defaults).toEqual({ address: null, seats: 1, plan: "basic", insured: false, start: null, billing: "ada@example.test" });

    await services.forms.submit({ id: formId, values: { address: "1 Main St", seats: 3, plan: "pro", insured: true, start: "2026-12-01", billing: "" } }, "alice");
    await worker.drain();
    const run = await services.runs.get(runId);
    expect(run.status).toBe("succeeded");
    const values = { address: "1 Main St", seats: 3, plan: "pro", insured: true, start: "2026-12-01", billing: null };
    expect((run.output as Record<string, unknown>).details).toEqual(values);
    expect(await services.forms.get(formId)).toMatchObject({ state: "submitted", values, decidedBy: "alice" });
  });

  it("refuses invalid values naming the field, and the run keeps waiting", async () => {
    const { runId, formId } = await startWaiting("Order details 2");
    const refusal = (values: Record<string, unknown>) => failure(services.forms.submit({ id: formId, values }));
    expect(await refusal({ seats: 2 })).toBe("values.address: is required (Address)");
    expect(await refusal({ address: "x", seats: "two" })).toBe("values.seats: must be a number (Seats)");
    expect(await refusal({ address: "x", seats: 1, plan: "gold" })).toBe("values.plan: must be one of: basic, pro (Plan)");
    expect(await refusal({ address: "x", seats: 1, start: "2026-02-30" })).toBe("values.start: must be a date as YYYY-MM-DD (Start on)");
    expect(await refusal({ address: "x", seats: 1, billing: "not-an-address" })).toBe("values.billing: must be an email address (Billing email)");
    expect(await refusal({ address: "x", seats: 1, admin: true })).toBe("values.admin: is not a field of this form");
    // The approval queue's own decide cannot slip values past the fields.
    expect(await failure(services.runs.decide({ approvalId: formId, decision: "edit", data: { anything: 1 } }))).toMatch(/^approvalId: .* is a form/);
    await worker.drain();
    expect((await services.runs.get(runId)).status).toBe("waiting");
    expect((await services.forms.get(formId)).state).toBe("pending");
  });

  it("resumes the run once when two submits race", async () => {
    const { runId, formId } = await startWaiting("Order details 3");
    const results = await Promise.allSettled([
      services.forms.submit({ id: formId, values: { address: "A", seats: 1 } }, "alice"),
      services.forms.submit({ id: formId, values: { address: "B", seats: 2 } }, "bob"),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason.message).toMatch(/already (decided|submitted)/);
    await worker.drain();
    const run = await services.runs.get(runId);
    expect(run.status).toBe("succeeded");
    const winner = (await services.forms.get(formId)).decidedBy;
    expect((run.output as { details: { address: string } }).details.address).toBe(winner === "alice" ? "A" : "B");
    const resumed = (await services.runs.events(runId)).filter((ev) => ev.type === "approval.approved");
    expect(resumed).toHaveLength(1);
  });

  it("declines, or submits the defaults, when the deadline passes", async () => {
    now = new Date("2026-11-30T12:00:00Z");
    const declined = await startWaiting("Deadline decline", { deadline: "PT1H", onDeadline: "decline" });
    const defaults = await startWaiting("Deadline defaults", {
      deadline: "PT1H",
      onDeadline: "submitDefaults",
      fields: FIELDS.map((f) => (f.name === "address" ? { ...f, default: "to be confirmed" } : f)),
    });
    now = new Date("2026-11-30T12:59:00Z");
    await worker.drain();
    expect((await services.runs.get(declined.runId)).status).toBe("waiting");
    now = new Date("2026-11-30T13:00:01Z");
    await worker.drain();
    expect((await services.runs.get(declined.runId)).status).toBe("failed");
    expect((await services.forms.get(declined.formId)).state).toBe("expired");
    const run = await services.runs.get(defaults.runId);
    expect(run.status).toBe("succeeded");
    expect((run.output as Record<string, unknown>).details).toMatchObject({ seats: 1, plan: "basic", billing: "ada@example.test" });
    expect((await services.forms.get(defaults.formId)).state).toBe("submitted");
    expect(await failure(services.forms.submit({ id: defaults.formId, values: { address: "late", seats: 1 } }))).toMatch(/already submitted/);
  });

  it("says a form of a cancelled run is cancelled and takes no values", async () => {
    const { runId, formId } = await startWaiting("Cancelled form");
    await services.runs.control({ id: runId, action: "cancel" });
    expect((await services.forms.get(formId)).state).toBe("cancelled");
    expect(await failure(services.forms.submit({ id: formId, values: { address: "x", seats: 1 } }))).toMatch(/cancelled/);
  });
});
