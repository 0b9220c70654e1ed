import type { NotificationCapability } from "../../engine/registry";
import type { Db } from "../../engine/store";
import { openSmtp } from "./mail-capability";
import { absoluteLink, emailOperator } from "./operator-email";

/**
 * ctx.notifications: in-app notifications, one per step key (a repeated step finds the one it
 * left), and when asked an email to the operator's address (Settings), once per key as well.
 * `publicUrl` turns the notification's link into a full URL in the email.
 */
export function notificationCapability(db: Db, publicUrl: string | undefined): NotificationCapability {
  return {
    async notify(n, resolve, writes) {
      const kind = `step:${n.key}`;
      // Not emailed: the row commits with the step (no write of its own, nothing to find on a repeat).
      if (!n.email && writes) return { notificationId: writes.notification({ kind, title: n.title, body: n.body, link: n.link }) };
      const existing = await db.notification.findFirst({ where: { kind, runId: n.runId } });
      const row = existing ?? (await db.notification.create({ data: { kind, title: n.title, body: n.body, link: n.link, runId: n.runId } }));
      if (!n.email) return { notificationId: row.id };
      const link = absoluteLink(row.link, publicUrl);
      const email = await emailOperator(
        { db, smtp: resolve ? (credential) => openSmtp(resolve, credential) : undefined },
        { key: `${n.key}:email`, subject: row.title, text: [row.body, link ? `Open it in Keel:\n${link}` : ""].filter(Boolean).join("\n\n"), runId: n.runId, nodeId: n.nodeId },
      );
      return { notificationId: row.id, email };
    },
  };
}
