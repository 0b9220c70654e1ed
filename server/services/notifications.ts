import { NotFoundError, ValidationError } from "../../engine/errors";
import { claimMail, dropTimer, dueReminders, markTimerFired } from "../../engine/runtime/prisma-store-timers";
import { appPath } from "../../engine/runtime/run-refs";
import { isUniqueViolation, json, type Db } from "../../engine/store";
import { messageIdFor, OUTBOX_FROM, sendThroughSmtp, type SmtpSecret } from "../../infra/mail/smtp";
import { absoluteLink, emailOperator } from "../../infra/mail/operator-email";
import { NOTIFICATION_SETTING_KEY, NotificationSettingsSchema, readNotificationSettings, type NotificationSettings } from "../../infra/mail/notification-settings";
import { audit } from "./audit";

// The operator's notifications: the list (unread first), marking read, the settings for email,
// and the notifier that the workers tick: reminders before an approval's or a form's deadline,
// and email for notifications about people waiting.
//
// Exactly once across workers and restarts rests on Timer rows (kind "notification"): the
// engine writes a reminder timer with the approval; the notifier leaves the reminder under an
// id derived from the timer (so only the first of several notifiers creates it, and one that
// crashed before marking the timer fired finds it there), then marks the timer fired. Email is
// claimed with a timer per notification (reclaimable when a sender died before recording the
// message), and its Message-ID comes from the notification, so a repeat is dropped by the receiver.

/** Kinds about someone waiting for the operator: these are emailed when an address is set. */
export const EMAILED_KINDS = ["approval", "form", "approval_reminder", "form_reminder", "approval_overdue", "form_overdue"];
/** How far back the mailer looks for notifications not emailed yet. */
const MAIL_WINDOW_MS = 24 * 3600_000;
/** A claim on an email older than this, with no message recorded, was a sender that died. */
const MAIL_CLAIM_MS = 2 * 60_000;

export function notificationService(db: Db) {
  return {
    async list(input: { limit?: number } = {}) {
      const rows = await db.notification.findMany({
        orderBy: [{ createdAt: "desc" }],
        take: Math.min(input.limit ?? 200, 500),
        select: { id: true, kind: true, title: true, body: true, link: true, runId: true, readAt: true, createdAt: true },
      });
      // Unread first, newest first within each.
      const sorted = [...rows.filter((r) => !r.readAt), ...rows.filter((r) => r.readAt)];
      return sorted.map((r) => ({ ...r, readAt: r.readAt?.toISOString() ?? null, createdAt: r.createdAt.toISOString() }));
    },
    async unreadCount() {
      return { unread: await db.notification.count({ where: { readAt: null } }) };
    },
    async markRead(input: { id: string }) {
      const { count } = await db.notification.updateMany({ where: { id: input.id, readAt: null }, data: { readAt: new Date() } });
      if (count === 0 && !(await db.notification.findUnique({ where: { id: input.id }, select: { id: true } }))) throw new NotFoundError(`no notification '${input.id}'`);
      return { id: input.id };
    },
    async markAllRead() {
      const { count } = await db.notification.updateMany({ where: { readAt: null }, data: { readAt: new Date() } });
      return { marked: count };
    },
    settings: () => readNotificationSettings(db),
    async saveSettings(input: unknown, actor = "operator"): Promise<NotificationSettings> {
      const settings = NotificationSettingsSchema.parse(input);
      if (settings.smtpCredential) {
        const credential = await db.credential.findUnique({ where: { name: settings.smtpCredential }, select: { kind: true } });
        if (credential?.kind !== "smtp") {
          const message = credential ? `'${settings.smtpCredential}' is a ${credential.kind} credential, not smtp` : `no credential named '${settings.smtpCredential}'`;
          throw new ValidationError(`smtpCredential: ${message}`, [{ path: "smtpCredential", message }]);
        }
      }
      await db.setting.upsert({ where: { key: NOTIFICATION_SETTING_KEY }, create: { key: NOTIFICATION_SETTING_KEY, value: json(settings) }, update: { value: json(settings) } });
      await audit(db, { actor, action: "settings.notifications", targetType: "setting", targetId: NOTIFICATION_SETTING_KEY, detail: { email: settings.operatorEmail !== "", smtp: settings.smtpCredential !== "" } });
      return settings;
    },
  };
}

export type NotificationService = ReturnType<typeof notificationService>;

export function notifierService(
  db: Db,
  deps: {
    smtp?: ((credential: string) => Promise<SmtpSecret>) | undefined;
    publicUrl?: string | undefined;
    now?: () => Date;
    /** Signed one-time approve / reject links for an approval, put in its email. */
    approvalLinks?: ((approvalId: string) => { approve: string; reject: string }) | undefined;
  },
) {
  const now = deps.now ?? (() => new Date());

  /** Fires due reminder timers: each leaves one notification, if the approval still waits. */
  async function remind(at: Date): Promise<number> {
    let left = 0;
    for (const timer of await dueReminders(db, at)) {
      const approval = await db.approval.findUnique({
        where: { runId_nodeId_visit: { runId: timer.runId, nodeId: timer.nodeId, visit: timer.visit } },
        select: { id: true, status: true, packet: true, deadlineAt: true, run: { select: { status: true } } },
      });
      if (!approval || approval.status !== "pending" || approval.run.status === "cancelled") {
        // Nothing waits any more: the reminder is dropped, not fired.
        await dropTimer(db, timer.id);
        continue;
      }
      const packet = approval.packet as { kind?: string; title?: unknown };
      const form = packet.kind === "form";
      try {
        // The id comes from the timer: whoever creates it first reminds; a repeat (another
        // notifier, or this one after a crash before marking the timer) finds it taken.
        await db.notification.create({
          data: {
            id: `reminder-${timer.id}`,
            kind: form ? "form_reminder" : "approval_reminder",
            title: `Reminder: ${form ? "form to fill in" : "approval needed"}: ${String(packet.title ?? "")}`.slice(0, 300),
            body: approval.deadlineAt ? `Its deadline is ${approval.deadlineAt.toISOString()}.` : "",
            link: appPath({ to: form ? "form" : "approval", id: approval.id }),
            runId: timer.runId,
          },
        });
        left++;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
      await markTimerFired(db, timer.id, at);
    }
    return left;
  }

  /** Emails the recent notifications about someone waiting that have no message yet. */
  async function mail(at: Date): Promise<number> {
    const settings = await readNotificationSettings(db);
    if (!settings.operatorEmail) return 0;
    const recent = await db.notification.findMany({
      where: { kind: { in: EMAILED_KINDS }, createdAt: { gte: new Date(at.getTime() - MAIL_WINDOW_MS) } },
      orderBy: { createdAt: "asc" },
      take: 200,
    });
    const keyOf = (id: string) => `notification:${id}`;
    const done = new Set(
      (await db.emailMessage.findMany({ where: { messageId: { in: recent.map((n) => messageIdFor(keyOf(n.id))) } }, select: { messageId: true } })).map((m) => m.messageId),
    );
    let sent = 0;
    let failure: unknown;
    for (const n of recent) {
      if (done.has(messageIdFor(keyOf(n.id))) || !(await claimMail(db, n.id, at, MAIL_CLAIM_MS))) continue;
      const link = absoluteLink(n.link, deps.publicUrl);
      const approvalPath = /^\/approvals\/([^/?#]+)$/.exec(n.link ?? "")?.[1];
      const approvalId = approvalPath ? decodeURIComponent(approvalPath) : undefined;
      // Each opens a confirmation page in Keel; nothing is decided by opening the link.
      const oneClick = approvalId && deps.approvalLinks ? deps.approvalLinks(approvalId) : undefined;
      const actions = oneClick ? `Approve as proposed (asks you to confirm):\n${oneClick.approve}\n\nReject (asks for a reason):\n${oneClick.reject}` : "";
      try {
        await emailOperator({ db, smtp: deps.smtp }, { key: keyOf(n.id), subject: n.title, text: [n.body, link ? `Open it in Keel:\n${link}` : "", actions].filter(Boolean).join("\n\n"), runId: n.runId });
        sent++;
      } catch (error) {
        // The claim lapses and a later pass tries again; the others still go out now.
        failure ??= error;
      }
    }
    if (failure) throw failure;
    return sent;
  }

  return {
    /** One pass: due reminders, then email. Returns what it did, for logs and tests. */
    async tick(): Promise<{ reminders: number; emails: number }> {
      const at = now();
      const reminders = await remind(at);
      const emails = await mail(at);
      return { reminders, emails };
    },
  };
}

export type NotifierService = ReturnType<typeof notifierService>;

export type SmtpResolver = (credential: string) => Promise<SmtpSecret>;

/**
 * Email to an address other than the operator's (an alert rule's), through the SMTP credential
 * of the notification settings, or kept in the outbox as not sent when there is none. The
 * Message-ID comes from `key`: a repeat finds its message, and the receiver can drop it.
 */
export async function emailAddress(deps: { db: Db; smtp?: SmtpResolver | undefined; now: () => Date }, message: { key: string; to: string; subject: string; text: string }): Promise<"sent" | "not_sent"> {
  const messageId = messageIdFor(message.key);
  const existing = await deps.db.emailMessage.findUnique({ where: { messageId }, select: { status: true } });
  if (existing) return existing.status;
  const settings = await readNotificationSettings(deps.db);
  const row = { messageId, to: message.to, subject: message.subject.slice(0, 500), text: message.text };
  if (!settings.smtpCredential || !deps.smtp) {
    await deps.db.emailMessage.create({ data: { ...row, status: "not_sent", from: OUTBOX_FROM } });
    return "not_sent";
  }
  const smtp = await deps.smtp(settings.smtpCredential);
  await sendThroughSmtp(smtp, row);
  await deps.db.emailMessage.create({ data: { ...row, status: "sent", from: smtp.from, credential: settings.smtpCredential, sentAt: deps.now() } });
  return "sent";
}
