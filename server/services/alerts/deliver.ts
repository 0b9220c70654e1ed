import { createHmac } from "node:crypto";
import { PermanentError, RetryableError } from "../../../engine/errors";
import type { Db } from "../../../engine/store";
import { sendThroughEgress, type egressPolicySource } from "../egress";
import { emailAddress, type SmtpResolver } from "../notifications";

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
  smtp?: SmtpResolver | undefined;
  signingSecret: (credential: string) => Promise<string>;
  egress: ReturnType<typeof egressPolicySource>;
  now: () => Date;
}

export function signature(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function emailAlert(deps: DeliveryDeps, to: string, message: AlertMessage): Promise<"sent" | "not_sent"> {
  return emailAddress(deps, { key: `alert:${message.deliveryId}`, to, subject: message.subject, text: message.text });
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
  const response = await sendThroughEgress(deps.egress, { url: new URL(target.url), method: "POST", headers, body, signal: AbortSignal.timeout(10_000), maxBytes: 64 * 1024, maxRedirects: 0 });
  if (!response.ok || response.status >= 300) {
    const status = response.status;
    const text = `webhookUrl: ${new URL(target.url).host} answered ${status}`;
    throw status >= 500 || status === 429 ? new RetryableError(text) : new PermanentError(text);
  }
  return response.status;
}
