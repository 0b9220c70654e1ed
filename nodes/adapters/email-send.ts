import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn, withHelp } from "../define";

export const emailSendNode = defineNode({
  type: "email.send",
  version: 1,
  title: "Send email",
  category: "adapter",
  description:
    "Sends an email over SMTP with an SMTP credential. Without one, the email goes to Keel's outbox, clearly marked as not sent. The Message-ID comes from the step's idempotency key.",
  icon: "mail",
  behavior: "task",
  config: z
    .object({
      to: withHelp(z.string().min(1, "is required").max(2_000), "Who gets it: one address, or several separated by commas. Templates allowed.", ["{{ input.email }}", "ops@example.com, sales@example.com"]),
      subject: withHelp(z.string().min(1, "is required").max(500), "The subject line. Templates allowed.", ["Welcome, {{ input.name }}", "Your invoice {{ outputs.invoice.number }}"]),
      text: withHelp(z.string().max(100_000).default(""), "The plain-text body. Templates allowed.", ["Hi {{ input.name }},\n\nthanks for signing up. Reply to this email with any question."]),
      html: withHelp(z.string().max(200_000).optional(), "An HTML body sent beside the text one, for mail programs that show HTML. Empty: text only.", ["<p>Hi {{ input.name }},</p><p>thanks for signing up.</p>"]),
      credential: withHelp(z.string().max(64).optional(), "The SMTP credential to send with (Settings → Credentials). Empty: the email waits in the outbox, marked not sent.", ["smtp"]),
      ifCredentialMissing: withHelp(z.enum(["fail", "outbox"]).default("fail"), "When the named credential does not exist (yet): fail the step, or keep the email in the outbox as not sent and go on."),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  risk: "high",
  expressions: (c) => templatesIn(c, ""),
});
