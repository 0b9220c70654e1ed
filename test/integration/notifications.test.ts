import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Graph } from "../../engine/graph/schema";
import { Worker } from "../../engine/runtime/worker";
import { openDatabase } from "../../engine/store";
import { messageIdFor } from "../../infra/mail/smtp";
import { loadConfig } from "../../server/config";
import { runtimeDeps } from "../../server/runtime";
import { ensureSecret } from "../../server/secret-key";
import { servicesFor, type Services } from "../../server/services";
import { notifierService } from "../../server/services/notifications";
import { databaseKinds, migratedDatabase } from "../support/databases";
import { e, n } from "../support/graph-builders";
import { runKeel } from "../support/keel-process";
import { startSmtpSink } from "../support/smtp-sink";

// Operator notifications on real databases with a real SMTP server: one notification when an
// approval or a form starts waiting, one reminder at 80% of the time to its deadline — once,
// whichever of two notifiers (two connections) gets there and across a restart — and email to
// the operator's address, through SMTP or into the outbox when no credential is set.

const PASSWORD = "smtp-secret-notify-4c1d";
const PUBLIC_URL = "https://keel.example.test";

/** A message's text without quoted-printable soft line breaks. */
const unwrapped = (raw: string) => raw.replace(/=\r\n/g, "");
const graph = (nodes: Graph["nodes"], edges: Graph["edges"]): Graph => ({ schemaVersion: 1, nodes, edges });
const approvalFlow = graph(
  [n("start", "trigger.manual"), n("ask", "human.approval", { title: "Refund {{ input.amount }}?", deadline: "PT1H" }), n("done", "flow.end")],
  [e("e1", "start", "ask"), e("e2", "ask", "done", "approved")],
);
const formFlow = graph(
  [n("start", "trigger.manual"), n("fill", "human.form", { title: "Address for {{ input.name }}", deadline: "PT10H", fields: [{ name: "address", label: "Address", type: "text", required: true }] }), n("done", "flow.end")],
  [e("e1", "start", "fill"), e("e2", "fill", "done", "submitted")],
);

describe.each(databaseKinds())("operator notifications on $name", (kind) => {
  let env: Awaited<ReturnType<typeof migratedDatabase>>;
  let services: Services;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let now = new Date("2026-11-30T12:00:00Z");
  const clock = () => now;
  let worker: Worker;

  beforeAll(async () => {
    env = await migratedDatabase(kind);
    const config = loadConfig({ KEEL_DATA_DIR: mkdtempSync(join(tmpdir(), "keel-notify-")), DATABASE_URL: env.scratch.target.url, KEEL_PUBLIC_URL: PUBLIC_URL });
    services = servicesFor(config, env.database, { now: clock });
    smtp = await startSmtpSink({ user: "keel", password: PASSWORD });
    await services.credentials.create({ name: "mail", kind: "smtp", secret: { host: "127.0.0.1", port: smtp.port, secure: false, user: "keel", password: PASSWORD, from: "Keel <keel@example.test>" } });
    const secret = ensureSecret(config.dataDir, config.secret).secret;
    worker = new Worker(runtimeDeps(env.database, { now: clock, secret, publicUrl: PUBLIC_URL }), { id: `w-${kind.name}`, leaseMs: 60_000 });
  });
  afterAll(async () => {
    await smtp.close();
    await env.dispose();
  });

  async function startRun(name: string, g: Graph, input: Record<string, unknown>) {
    const wf = await services.workflows.create({ name, graph: g });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input });
    await worker.drain();
    const approval = await env.database.db.approval.findFirstOrThrow({ where: { runId: run.id } });
    return { runId: run.id, approvalId: approval.id };
  }
  const notificationsOf = async (runId: string) =>
    (await env.database.db.notification.findMany({ where: { runId }, orderBy: { createdAt: "asc" } })).map((x) => ({ kind: x.kind, title: x.title, link: x.link }));

  it("notifies once when an approval or a form starts waiting, and once more before the deadline, across notifiers and a restart", async () => {
    now = new Date("2026-11-30T12:00:00Z");
    const approval = await startRun("Refunds", approvalFlow, { amount: 40 });
    const form = await startRun("Addresses", formFlow, { name: "Ada" });
    expect(await notificationsOf(approval.runId)).toEqual([{ kind: "approval", title: "Approval needed: Refund 40?", link: `/approvals/${approval.approvalId}` }]);
    expect(await notificationsOf(form.runId)).toEqual([{ kind: "form", title: "Form to fill in: Address for Ada", link: `/forms/${form.approvalId}` }]);

    const second = await openDatabase(env.scratch.target);
    try {
      const a = notifierService(env.database.db, { now: clock });
      const b = notifierService(second.db, { now: clock });
      // 80% of an hour is 48 minutes.
      now = new Date("2026-11-30T12:47:00Z");
      await Promise.all([a.tick(), b.tick()]);
      expect(await notificationsOf(approval.runId)).toHaveLength(1);
      now = new Date("2026-11-30T12:48:30Z");
      const results = await Promise.all([a.tick(), b.tick(), a.tick()]);
      expect(results.reduce((sum, r) => sum + r.reminders, 0)).toBe(1);
      // A restarted notifier (a new instance) does not remind again.
      await notifierService(env.database.db, { now: clock }).tick();
      expect(await notificationsOf(approval.runId)).toEqual([
        { kind: "approval", title: "Approval needed: Refund 40?", link: `/approvals/${approval.approvalId}` },
        { kind: "approval_reminder", title: "Reminder: approval needed: Refund 40?", link: `/approvals/${approval.approvalId}` },
      ]);
      expect(await notificationsOf(form.runId)).toHaveLength(1);

      // The form is filled in before its reminder (8 h): no reminder then.
      await services.forms.submit({ id: form.approvalId, values: { address: "1 Main St" } });
      now = new Date("2026-11-30T20:30:00Z");
      await Promise.all([a.tick(), b.tick()]);
      expect(await notificationsOf(form.runId)).toHaveLength(1);
      expect(await env.database.db.timer.count({ where: { key: { endsWith: ":remind" }, firedAt: null } })).toBe(0);
    } finally {
      await second.close();
    }
  });

  it("emails what waits to the operator once, through SMTP with links under KEEL_PUBLIC_URL, or into the outbox without a credential", async () => {
    // Email looks back a day from the clock at notifications the database stamped: real time here.
    const start = Date.now();
    now = new Date(start);
    await services.notifications.saveSettings({ operatorEmail: "owner@example.test", smtpCredential: "mail" });
    const { approvalId } = await startRun("Refunds by mail", approvalFlow, { amount: 75 });
    const before = smtp.received.length;
    const second = await openDatabase(env.scratch.target);
    try {
      const smtpOf = (name: string) => services.credentials.resolve(name, "smtp");
      const a = notifierService(env.database.db, { now: clock, smtp: smtpOf, publicUrl: PUBLIC_URL });
      const b = notifierService(second.db, { now: clock, smtp: smtpOf, publicUrl: PUBLIC_URL });
      await Promise.all([a.tick(), b.tick()]);
      await a.tick();
      const mails = smtp.received.slice(before).filter((m) => m.raw.includes("Refund 75"));
      expect(mails).toHaveLength(1);
      expect(mails[0]!.to).toEqual(["owner@example.test"]);
      expect(unwrapped(mails[0]!.raw)).toContain(`${PUBLIC_URL}/approvals/${approvalId}`);
      // The reminder is emailed too, once.
      now = new Date(start + 49 * 60_000);
      await Promise.all([a.tick(), b.tick()]);
      await a.tick();
      expect(smtp.received.slice(before).filter((m) => m.raw.includes("Reminder: approval needed: Refund 75"))).toHaveLength(1);
      const notification = await env.database.db.notification.findFirstOrThrow({ where: { kind: "approval_reminder", link: `/approvals/${approvalId}` } });
      expect(await env.database.db.emailMessage.findUnique({ where: { messageId: messageIdFor(`notification:${notification.id}`) } })).toMatchObject({ status: "sent", to: "owner@example.test" });

      // Without an SMTP credential: the outbox, marked not sent, and nothing over SMTP.
      await services.notifications.saveSettings({ operatorEmail: "owner@example.test", smtpCredential: "" });
      const { runId } = await startRun("Refunds to the outbox", approvalFlow, { amount: 99 });
      const sent = smtp.received.length;
      await a.tick();
      expect(smtp.received.length).toBe(sent);
      expect(await env.database.db.emailMessage.findMany({ where: { runId }, select: { status: true, to: true, subject: true } })).toEqual([
        { status: "not_sent", to: "owner@example.test", subject: "Approval needed: Refund 99?" },
      ]);
    } finally {
      await second.close();
    }
  });

  it("emails a Notify me step with email: true, and says so when no address is set", async () => {
    const notify = (title: string) =>
      graph([n("start", "trigger.manual"), n("tell", "notify.operator", { title, body: "From {{ input.source }}", link: "/outbox", email: true }), n("done", "flow.end")], [e("e1", "start", "tell"), e("e2", "tell", "done")]);
    await services.notifications.saveSettings({ operatorEmail: "owner@example.test", smtpCredential: "mail" });
    const wf = await services.workflows.create({ name: "Signup alert", graph: notify("Signup: {{ input.name }}") });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id, input: { name: "Grace", source: "web" } });
    await worker.drain();
    expect(((await services.runs.get(run.id)).output as { tell: unknown }).tell).toMatchObject({ email: "sent" });
    const mail = smtp.received.filter((m) => m.raw.includes("Signup: Grace"));
    expect(mail).toHaveLength(1);
    expect(unwrapped(mail[0]!.raw)).toContain(`${PUBLIC_URL}/outbox`);

    await services.notifications.saveSettings({ operatorEmail: "", smtpCredential: "mail" });
    const quiet = await services.runs.start({ workflow: wf.id, input: { name: "Linus", source: "api" } });
    await worker.drain();
    expect(((await services.runs.get(quiet.id)).output as { tell: unknown }).tell).toMatchObject({ email: "no_recipient" });
    expect(smtp.received.filter((m) => m.raw.includes("Signup: Linus"))).toHaveLength(0);
    await expect(services.notifications.saveSettings({ operatorEmail: "not an address" })).rejects.toThrow(/operatorEmail/);
    await expect(services.notifications.saveSettings({ operatorEmail: "owner@example.test", smtpCredential: "nope" })).rejects.toThrow("smtpCredential: no credential named 'nope'");
  });

  it("real keel worker processes remind once across a restart (the notifier runs in the worker)", async () => {
    const workerEnv = { KEEL_DATA_DIR: services.config.dataDir, DATABASE_URL: env.scratch.target.url, KEEL_WORKER_IDLE_MS: "100", KEEL_SCHEDULER_INTERVAL_MS: "200" };
    const wf = await services.workflows.create({
      name: "Quick deadline",
      graph: graph([n("start", "trigger.manual"), n("ask", "human.approval", { title: "Quick one?", deadline: "PT3S" }), n("done", "flow.end")], [e("e1", "start", "ask"), e("e2", "ask", "done", "approved")]),
    });
    await services.publishing.publish({ id: wf.id });
    const run = await services.runs.start({ workflow: wf.id });
    const reminders = () => env.database.db.notification.count({ where: { runId: run.id, kind: "approval_reminder" } });
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 300 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      return check();
    };
    const first = runKeel(["worker", "--id", "notify-1"], workerEnv);
    try {
      // 80% of 3 s after the approval started waiting, the worker's notifier reminds.
      expect(await until(async () => (await reminders()) > 0)).toBe(true);
    } finally {
      first.child.kill("SIGKILL");
      await first.exited;
    }
    const second = runKeel(["worker", "--id", "notify-2"], workerEnv);
    try {
      // The second worker goes on with the run (the deadline escalates) and does not remind again.
      expect(await until(async () => (await env.database.db.runEvent.count({ where: { runId: run.id, type: "approval.escalated" } })) > 0)).toBe(true);
      expect(await reminders()).toBe(1);
    } finally {
      second.child.kill("SIGINT");
      await second.exited;
    }
  }, 90_000);

  it("lists unread first, marks read one or all, and counts the unread", async () => {
    const all = await services.notifications.list();
    const { unread } = await services.notifications.unreadCount();
    expect(unread).toBe(all.length);
    const oldest = all[all.length - 1]!;
    await services.notifications.markRead({ id: oldest.id });
    const after = await services.notifications.list();
    expect(after[after.length - 1]!.id).toBe(oldest.id);
    expect(after.findIndex((x) => x.readAt !== null)).toBe(after.length - 1);
    expect((await services.notifications.unreadCount()).unread).toBe(unread - 1);
    await services.notifications.markAllRead();
    expect((await services.notifications.unreadCount()).unread).toBe(0);
  });
});
