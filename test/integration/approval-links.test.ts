import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { servicesFor, type Services } from "../../server/services";
import { createCallerFactory } from "../../server/trpc/init";
import { appRouter } from "../../server/trpc/router";
import { operatorContext } from "../support/context";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";

// The email's signed approve / reject links on real databases: the notification email carries
// them; looking at a link (what a mail scanner's GET does) decides nothing; the first use
// decides, a second use of the same link is refused, and so is the other link once decided;
// a tampered link is refused. The links work without a session (the token is the credential).

const PUBLIC_URL = "https://keel.example.test";
const createCaller = createCallerFactory(appRouter);

const flow: Graph = {
  schemaVersion: 1,
  nodes: [n("start", "trigger.manual"), n("ask", "human.approval", { title: "Pay invoice {{ input.invoice }}?", proposal: { invoice: "{{ input.invoice }}" } }), n("done", "flow.end"), n("no", "flow.end", { outcome: "failure" })],
  edges: [e("e1", "start", "ask"), e("e2", "ask", "done", "approved"), e("e3", "ask", "no", "rejected")],
};

describe.each(databaseKinds())("signed approval links on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let worker: Worker;
  let anonymous: ReturnType<typeof createCaller>;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-links-")), DATABASE_URL: env.scratch.target.url, KEEL_PUBLIC_URL: PUBLIC_URL });
    services = servicesFor(config, env.database);
    worker = new Worker(runtimeDeps(env.database), { id: `w-${kind.name}`, leaseMs: 60_000 });
    // No session and no token: the link's signed token is all the caller has.
    anonymous = createCaller(operatorContext(services, { kind: "none" }));
    await services.workflows.create({ name: "Invoices", graph: flow }).then((wf) => services.publishing.publish({ id: wf.id }));
  });
  afterAll(async () => {
    await env.dispose();
  });

  async function waiting(invoice: string) {
    const run = await services.runs.start({ workflow: "invoices", input: { invoice } });
    await worker.drain();
    const approval = await env.database.db.approval.findFirstOrThrow({ where: { runId: run.id } });
    return { runId: run.id, approvalId: approval.id };
  }
  const tokenOf = (link: string) => new URL(link).searchParams.get("token")!;

  it("the email carries both links; a look changes nothing; the first use decides and a second is refused", async () => {
    await services.notifications.saveSettings({ operatorEmail: "owner@example.test", smtpCredential: "" });
    const { runId, approvalId } = await waiting("INV-7");
    await services.notifier.tick();
    const mail = await env.database.db.emailMessage.findFirstOrThrow({ where: { subject: "Approval needed: Pay invoice INV-7?" } });
    const approveLink = /Approve as proposed \(asks you to confirm\):\n(\S+)/.exec(mail.text)?.[1];
    const rejectLink = /Reject \(asks for a reason\):\n(\S+)/.exec(mail.text)?.[1];
    expect(approveLink).toMatch(new RegExp(`^${PUBLIC_URL}/approval-link\\?token=`));
    expect(rejectLink).toMatch(new RegExp(`^${PUBLIC_URL}/approval-link\\?token=`));

    const seen = await anonymous.approvalLink.inspect({ token: tokenOf(approveLink!) });
    expect(seen).toMatchObject({ action: "approve", approvalId, title: "Pay invoice INV-7?", usable: true, proposal: { invoice: "INV-7" } });
    await anonymous.approvalLink.inspect({ token: tokenOf(approveLink!) });
    expect((await env.database.db.approval.findUniqueOrThrow({ where: { id: approvalId } })).status).toBe("pending");

    await expect(anonymous.approvalLink.use({ token: tokenOf(approveLink!) })).resolves.toMatchObject({ action: "approve", runId });
    await worker.drain();
    expect((await services.runs.get(runId)).status).toBe("succeeded");
    expect(await env.database.db.approval.findUniqueOrThrow({ where: { id: approvalId } })).toMatchObject({ status: "approved", decidedBy: "email-link" });
    expect(await env.database.db.auditLog.findFirst({ where: { targetId: approvalId } })).toMatchObject({ actor: "email-link", action: "approval.approve" });

    await expect(anonymous.approvalLink.use({ token: tokenOf(approveLink!) })).rejects.toThrow("This link was already used.");
    expect(await anonymous.approvalLink.inspect({ token: tokenOf(approveLink!) })).toMatchObject({ usable: false, refusal: "This link was already used." });
    expect(await anonymous.approvalLink.inspect({ token: tokenOf(rejectLink!) })).toMatchObject({ usable: false, refusal: "This approval was already decided (approved)." });
    await expect(anonymous.approvalLink.use({ token: tokenOf(rejectLink!), reason: "too late" })).rejects.toThrow("already decided");
  });

  it("a reject link needs a reason; a tampered link is refused", async () => {
    const { runId, approvalId } = await waiting("INV-8");
    const links = services.approvalLinks.links(approvalId);
    await expect(anonymous.approvalLink.use({ token: tokenOf(links.reject) })).rejects.toThrow("reason: is required");
    const [body, signature] = tokenOf(links.approve).split(".");
    const forged = JSON.parse(Buffer.from(body!, "base64url").toString("utf8"));
    forged.d = "reject";
    await expect(anonymous.approvalLink.inspect({ token: `${Buffer.from(JSON.stringify(forged)).toString("base64url")}.${signature}` })).rejects.toThrow("not a valid approval link");
    await expect(anonymous.approvalLink.use({ token: `${body}.${signature}x` })).rejects.toThrow("not a valid approval link");

    await anonymous.approvalLink.use({ token: tokenOf(links.reject), reason: "Duplicate invoice" });
    await worker.drain();
    expect((await services.runs.get(runId)).status).toBe("failed");
    expect(await env.database.db.approval.findUniqueOrThrow({ where: { id: approvalId } })).toMatchObject({ status: "rejected", comment: "Duplicate invoice", decidedBy: "email-link" });
  });
});
