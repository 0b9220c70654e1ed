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


describe.each(databaseKinds())("records nodes on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    services = servicesFor(loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-records-")), DATABASE_URL: env.scratch.target.url }), env.database);
  });
  afterAll(async () => {
    await env.dispose();
  });

  it("saves a contact, invoices it in minor units, and marks the invoice sent", async () => {
    const graph: Graph = {
      schemaVersion: 1,
      nodes: [
        n("start", "trigger.manual"),
        n("contact", "records.upsertContact", { email: "{{ input.email }}", name: "{{ input.name }}", company: "Analytical Engines" }),
        n("invoice", "records.createInvoice", {
          contactEmail: "{{ contact.email }}",
          currency: "EUR",
          lines: [
            { description: "Setup", quantity: 1, unitMinor: 25_000 },
            { description: "Hours", quantity: "{{ input.hours }}", unitMinor: 9_050 },
          ],
        }),
        n("send", "records.updateInvoiceStatus", { number: "{{ invoice.number }}", status: "sent" }),
        n("done", "flow.end", { output: "{{ send }}" }),
      ],
      edges: [e("e1", "start", "contact"), e("e2", "contact", "invoice"), e("e3", "invoice", "send"), e("e4", "send", "done")],
    };
    const wf = await services.workflows.create({ name: "Bill a customer", graph });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input: { email: "Ada@Example.test", name: "Ada", hours: 3 } });
    await new Worker(runtimeDeps(env.database), { id: "records" }).drain();
    const done = await services.runs.get(run.id);
    expect(done.status).toBe("succeeded");
    expect(done.output).toMatchObject({
      status: "sent",
      currency: "EUR",
      totalMinor: 25_000 + 3 * 9_050,
      lines: [
        { description: "Setup", quantity: 1, unitMinor: 25_000, amountMinor: 25_000 },
        { description: "Hours", quantity: 3, unitMinor: 9_050, amountMinor: 27_150 },
      ],
    });
    expect((done.output as { number: string }).number).toMatch(/^INV-\d{6}$/);
    const contact = await env.database.db.contact.findUniqueOrThrow({ where: { email: "ada@example.test" } });
    expect([contact.name, contact.company]).toEqual(["Ada", "Analytical Engines"]);
  });

  it("updates an existing contact instead of adding a second, and finds it", async () => {
    const deps = runtimeDeps(env.database);
    const ctx = (nodeId: string, config: unknown, key = `r:${nodeId}:1`) => ({
      runId: "r",
      nodeId,
      visit: 1,
      iteration: 1,
      idempotencyKey: key,
      config,
      data: { input: {}, outputs: {} },
      signal: new AbortController().signal,
      ...deps.capabilities,
    });
    await deps.executors.get("records.upsertContact@1")!(ctx("a", { email: "grace@example.test", name: "Grace" }));
    await deps.executors.get("records.upsertContact@1")!(ctx("b", { email: "GRACE@example.test", name: "Grace Hopper", phone: "+1 555" }));
    expect(await env.database.db.contact.count({ where: { email: "grace@example.test" } })).toBe(1);
    const found = await deps.executors.get("records.findContact@1")!(ctx("c", { email: "grace@example.test" }));
    expect(found).toMatchObject({ port: "found", output: { name: "Grace Hopper", phone: "+1 555" } });
    expect(await deps.executors.get("records.findContact@1")!(ctx("d", { email: "nobody@example.test" }))).toEqual({ port: "missing", output: null });
  });

  it("finds the invoice a repeated step already created, and refuses bad amounts and unknown contacts by field", async () => {
    const deps = runtimeDeps(env.database);
    const create = deps.executors.get("records.createInvoice@1")!;
    const ctx = (config: unknown, key: string) => ({ runId: "r", nodeId: "inv", visit: 1, iteration: 1, idempotencyKey: key, config, data: { input: { h: 2.5 }, outputs: {} }, signal: new AbortController().signal, ...deps.capabilities });
    const config = { contactEmail: "grace@example.test", currency: "USD", dueInDays: 30, lines: [{ description: "Talk", quantity: 1, unitMinor: 100_000 }] };
    const first = await create(ctx(config, "run-x:inv:1"));
    const again = await create(ctx(config, "run-x:inv:1"));
    expect((again.output as { number: string }).number).toBe((first.output as { number: string }).number);
    expect(await env.database.db.invoice.count({ where: { sourceKey: "run-x:inv:1" } })).toBe(1);
    await expect(create(ctx({ ...config, lines: [{ description: "Half", quantity: "{{ input.h }}", unitMinor: 10 }] }, "run-y:inv:1"))).rejects.toThrow("lines.0.quantity: must be a whole number ≥ 0, got 2.5");
    await expect(create(ctx({ ...config, contactEmail: "ghost@example.test" }, "run-z:inv:1"))).rejects.toThrow("contactEmail: no contact has the email 'ghost@example.test'");
  });

  it("notify.operator leaves one in-app notification per step, rendered", async () => {
    const deps = runtimeDeps(env.database);
    const notify = deps.executors.get("notify.operator@1")!;
    const ctx = { ...deps.capabilities, runId: "r-n", nodeId: "tell", visit: 1, iteration: 1, idempotencyKey: "r-n:tell:1", config: { title: "New signup: {{ input.name }}", body: "", link: "/outbox" }, data: { input: { name: "Ada" }, outputs: {} }, signal: new AbortController().signal };
    const first = await notify(ctx);
    const again = await notify(ctx);
    expect(again).toEqual(first);
    const rows = await env.database.db.notification.findMany({ where: { runId: "r-n" } });
    expect(rows.map((r) => [r.title, r.link])).toEqual([["New signup: Ada", "/outbox"]]);
  });
});
