import { createHash } from "node:crypto";
import { PermanentError, RetryableError } from "../../engine/errors";

// The mail transport: SMTP through an operator's credential, with a Message-ID derived from the
// step's idempotency key so the receiving side can drop a repeat.

export interface SmtpSecret {
  host: string;
  port: number;
  secure: boolean;
  user?: string | undefined;
  password?: string | undefined;
  from: string;
}

/** A stable Message-ID per step: the same key always gives the same id. */
export function messageIdFor(key: string): string {
  return `<${createHash("sha256").update(key).digest("hex").slice(0, 32)}@keel.local>`;
}

/** The sender of email kept in the outbox (never sent). */
export const OUTBOX_FROM = "keel-outbox@localhost";

/** Sends one message; a 5xx reply is permanent, anything else (4xx, connection trouble) retryable. */
export async function sendThroughSmtp(smtp: SmtpSecret, message: { messageId: string; to: string; subject: string; text: string; html?: string | null }): Promise<void> {
  // Loaded on the first message: a worker that sends no email never pays for the SMTP client.
  const { default: nodemailer } = await import("nodemailer");
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? "" } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    await transport.sendMail({ messageId: message.messageId, from: smtp.from, to: message.to, subject: message.subject, text: message.text, ...(message.html ? { html: message.html } : {}) });
  } catch (error) {
    const e = error as { responseCode?: number; code?: string; message?: string };
    const text = `SMTP ${smtp.host}:${smtp.port}: ${e.message ?? String(error)}`.replace(smtp.password ?? "\u0000", "***");
    if (typeof e.responseCode === "number" && e.responseCode >= 500) throw new PermanentError(text);
    throw new RetryableError(text);
  } finally {
    transport.close();
  }
}
