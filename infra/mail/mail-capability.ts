import { ConfigurationError } from "../../engine/errors";
import type { CredentialResolver, MailCapability } from "../../engine/registry";
import type { Db } from "../../engine/store";
import { messageIdFor, OUTBOX_FROM, sendThroughSmtp, type SmtpSecret } from "./smtp";

/** Opens an SMTP credential through the engine's resolver, which redacts it from what the step stores. */
export async function openSmtp(resolve: CredentialResolver | undefined, credential: string): Promise<SmtpSecret> {
  if (!resolve) throw new ConfigurationError(`credential: no credentials are available here to resolve '${credential}'`);
  return (await resolve(credential, ["smtp"])).secret as unknown as SmtpSecret;
}

/** ctx.mail: SMTP through a credential, every message recorded (sent, or kept in the outbox). */
export function mailCapability(db: Db): MailCapability {
  return {
    async send(message, via) {
      const messageId = messageIdFor(message.key);
      const existing = await db.emailMessage.findUnique({ where: { messageId } });
      if (existing) return { messageId, status: existing.status };
      const row = { messageId, runId: message.runId, nodeId: message.nodeId, to: message.to, subject: message.subject, text: message.text, html: message.html };
      const outbox = async (reason: string) => {
        await db.emailMessage.create({ data: { ...row, status: "not_sent", from: OUTBOX_FROM } });
        return { messageId, status: "not_sent" as const, reason };
      };
      if (!via.credential) return outbox("the step names no SMTP credential, so the email stays in the outbox");
      if (via.ifMissing === "outbox" && !(await db.credential.findUnique({ where: { name: via.credential }, select: { id: true } }))) {
        return outbox(`there is no SMTP credential named '${via.credential}' yet: add it in Settings and the next emails are sent`);
      }
      const smtp = await openSmtp(via.resolve, via.credential);
      await sendThroughSmtp(smtp, row);
      await db.emailMessage.create({ data: { ...row, status: "sent", from: smtp.from, credential: via.credential, sentAt: new Date() } });
      return { messageId, status: "sent" };
    },
  };
}
