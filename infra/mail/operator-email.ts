import type { OperatorEmailStatus } from "../../engine/registry";
import { sameOriginPath } from "../../engine/same-origin";
import { isUniqueViolation, type Db } from "../../engine/store";
import { messageIdFor, OUTBOX_FROM, sendThroughSmtp, type SmtpSecret } from "./smtp";
import { readNotificationSettings } from "./notification-settings";

// Email to the operator, for notify.operator (email: true) and for approvals and forms that
// wait. The same path as email.send: SMTP through a credential, or the outbox marked not sent
// when no credential is set. The Message-ID comes from `key`, so a repeat finds its message.

export type { OperatorEmailStatus };

/**
 * A link as the email shows it: paths in Keel become full URLs under KEEL_PUBLIC_URL; a link
 * that looks like a path but leaves Keel (`/\evil.example`) is dropped.
 */
export function absoluteLink(link: string | null | undefined, publicUrl: string | undefined): string | null {
  if (!link) return null;
  if (!link.startsWith("/")) return link;
  if (!publicUrl) return sameOriginPath(link, "http://keel.invalid") === undefined ? null : link;
  const path = sameOriginPath(link, publicUrl);
  return path === undefined ? null : `${publicUrl.replace(/\/$/, "")}${path}`;
}

export async function emailOperator(
  deps: { db: Db; smtp?: ((credential: string) => Promise<SmtpSecret>) | undefined },
  message: { key: string; subject: string; text: string; runId?: string | null; nodeId?: string | null },
): Promise<OperatorEmailStatus> {
  const settings = await readNotificationSettings(deps.db);
  if (!settings.operatorEmail) return "no_recipient";
  const messageId = messageIdFor(message.key);
  const existing = await deps.db.emailMessage.findUnique({ where: { messageId }, select: { status: true } });
  if (existing) return existing.status;
  const row = { messageId, runId: message.runId ?? null, nodeId: message.nodeId ?? null, to: settings.operatorEmail, subject: message.subject.slice(0, 500), text: message.text };
  if (!settings.smtpCredential || !deps.smtp) {
    await deps.db.emailMessage.create({ data: { ...row, status: "not_sent", from: OUTBOX_FROM } });
    return "not_sent";
  }
  const smtp = await deps.smtp(settings.smtpCredential);
  await sendThroughSmtp(smtp, row);
  try {
    await deps.db.emailMessage.create({ data: { ...row, status: "sent", from: smtp.from, credential: settings.smtpCredential, sentAt: new Date() } });
  } catch (error) {
    // Sent twice at once (the receiver drops the repeat by its Message-ID); one row is enough.
    if (!isUniqueViolation(error)) throw error;
  }
  return "sent";
}
