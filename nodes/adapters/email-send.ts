import { z } from "zod";
import { DEFAULT_RETRY, defineNode, templatesIn } from "../define";

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
      to: z.string().min(1, "is required").max(2_000),
      subject: z.string().min(1, "is required").max(500),
      text: z.string().max(100_000).default(""),
      html: z.string().max(200_000).optional(),
      /** The name of an SMTP credential; without it the email stays in the outbox. */
      credential: z.string().max(64).optional(),
      /**
       * When the named credential does not exist (yet): fail the step, or keep the email in
       * the outbox as not sent, saying why (templates: mail works once "smtp" is added).
       */
      ifCredentialMissing: z.enum(["fail", "outbox"]).default("fail"),
    })
    .strict(),
  errorPort: true,
  retry: DEFAULT_RETRY,
  risk: "high",
  expressions: (c) => templatesIn(c, ""),
});
