import { z } from "zod";
import { defineNode } from "../define";

export const webhookTrigger = defineNode({
  type: "trigger.webhook",
  version: 1,
  title: "Webhook",
  category: "trigger",
  description:
    "Starts a run for each authenticated POST to /api/webhooks/<workflow> (API token or signature); the body is the run's input. Answers at once with the run id, or when the run finishes.",
  icon: "webhook",
  behavior: "trigger",
  config: z
    .object({
      /** accepted: 202 with the run id at once; result: wait for the run and answer with its output. */
      respond: z.enum(["accepted", "result"]).default("accepted"),
      /** With respond = result: how long to wait before answering 202 with the run id instead. */
      timeoutSeconds: z.number().int().min(1, "must be at least 1").max(120, "must be at most 120").default(30),
    })
    .strict(),
  inputs: [],
});
