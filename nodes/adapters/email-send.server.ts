import { ConfigurationError, PermanentError } from "../../engine/errors";
import type { ExecutionContext, StepResult } from "../../engine/registry";
import type { Db } from "../../engine/store";
import { renderIn } from "../expression-data";
import type { emailSendNode } from "./email-send";
import { messageIdFor, OUTBOX_FROM, sendThroughSmtp, type SmtpSecret } from "../../infra/mail/smtp";

type Config = ReturnType<(typeof emailSendNode)["config"]["parse"]>;

export interface EmailDeps {
  db: Db;
}

export function emailExecutor(deps: EmailDeps) {
  return async function sendEmail(ctx: ExecutionContext<Config>): Promise<StepResult> {
    const messageId = messageIdFor(ctx.idempotencyKey);
    const existing = await deps.db.emailMessage.findUnique({ where: { messageId } });
    if (existing) return { port: "out", output: { messageId, status: existing.status } };
    const c = (await renderIn(ctx, ctx.config)) as Config;
    const to = String(c.to);
    if (!to.split(",").every((address) => /^[^\s@]+@[^\s@]+$/.test(address.trim()))) throw new PermanentError(`to: '${to}' is not a list of email addresses`);
    const message = { to, subject: String(c.subject), text: String(c.text ?? ""), html: c.html ? String(c.html) : null };

    const outbox = async (reason: string) => {
      await deps.db.emailMessage.create({ data: { messageId, runId: ctx.runId, nodeId: ctx.nodeId, status: "not_sent", from: OUTBOX_FROM, ...message } });
      return { port: "out", output: { messageId, status: "not_sent", reason } };
    };
    if (!c.credential) return outbox("the step names no SMTP credential, so the email stays in the outbox");
    if (c.ifCredentialMissing === "outbox" && !(await deps.db.credential.findUnique({ where: { name: String(c.credential) }, select: { id: true } }))) {
      return outbox(`there is no SMTP credential named '${c.credential}' yet: add it in Settings and the next emails are sent`);
    }
    // Opened through the engine, which redacts the password from whatever this step stores.
    if (!ctx.credential) throw new ConfigurationError(`credential: no credentials are available here to resolve '${c.credential}'`);
    const smtp = (await ctx.credential(c.credential, ["smtp"])).secret as unknown as SmtpSecret;
    await sendThroughSmtp(smtp, { messageId, ...message });
    await deps.db.emailMessage.create({ data: { messageId, runId: ctx.runId, nodeId: ctx.nodeId, status: "sent", from: smtp.from, credential: c.credential, sentAt: new Date(), ...message } });
    return { port: "out", output: { messageId, status: "sent" } };
  };
}
