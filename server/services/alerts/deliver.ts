import { createHmac } from "node:crypto";
import { PermanentError, RetryableError } from "../../../engine/errors";
import type { Db } from "../../../engine/store";
import { messageIdFor, OUTBOX_FROM, sendThroughSmtp, type SmtpSecret } from "../../../nodes/adapters/email-send.server";
import { sendGuarded, type EgressPolicy } from "../../../nodes/adapters/egress/guard.server";
import { readNotificationSettings } from "../../../nodes/notify/operator-email.server";

// Where an alert goes besides the notification list: an email to the rule's address, and a POST
// to its webhook, signed like Stripe's: `Keel-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
// "<t>.<body>">` under the secret of a "signing" credential. Both carry the delivery id (the
// Message-ID and the Idempotency-Key derive from it), so a repeat can be dropped by the receiver.

export interface AlertMessage {
  deliveryId: string;
  subject: string;
  text: string;
  payload: Record<string, unknown>;
}

export interface DeliveryDeps {
  db: Db;
  smtp?: ((credential: string) => Promise<SmtpSecret>) | undefined;
  signingSecret: (credential: string) => Promise<string>;
  egress: () => Promise<EgressPolicy>;
  now: () => Date;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export async function emailAlert(deps: DeliveryDeps, to: string, message: AlertMessage): Promise<"sent" | "not_sent"> {
  const messageId = messageIdFor(`alert:${message.deliveryId}`);
  const existing = await deps.db.emailMessage.findUnique({ where: { messageId }, select: { status: true } });
  if (existing) return existing.status;
  const settings = await readNotificationSettings(deps.db);
  const row = { messageId, to, subject: message.subject.slice(0, 500), text: message.text };
  if (!settings.smtpCredential || !deps.smtp) {
    // No way to send: kept in the outbox, marked not sent, like every email without SMTP.
    await deps.db.emailMessage.create({ data: { ...row, status: "not_sent", from: OUTBOX_FROM } });
    return "not_sent";
  }
  const smtp = await deps.smtp(settings.smtpCredential);
  await sendThroughSmtp(smtp, row);
  await deps.db.emailMessage.create({ data: { ...row, status: "sent", from: smtp.from, credential: settings.smtpCredential, sentAt: deps.now() } });
  return "sent";
}

export async function postAlert(deps: DeliveryDeps, target: { url: string; secret: string | null }, message: AlertMessage): Promise<number> {
  const body = JSON.stringify(message.payload);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "Keel alerts",
    "idempotency-key": message.deliveryId,
    "keel-event": String(message.payload.event),
  };
  if (target.secret) headers["keel-signature"] = signature(await deps.signingSecret(target.secret), Math.floor(deps.now().getTime() / 1000), body);
  const response = await sendGuarded(
    { url: new URL(target.url), method: "POST", headers, body, signal: AbortSignal.timeout(10_000), maxBytes: 64 * 1024, maxRedirects: 0 },
    await deps.egress(),
  );
  if (!response.ok || response.status >= 300) {
    const status = response.status;
    const text = `webhookUrl: ${new URL(target.url).host} answered ${status}`;
    throw status >= 500 || status === 429 ? new RetryableError(text) : new PermanentError(text);
  }
  return response.status;
}
