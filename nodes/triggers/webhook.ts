import { z } from "zod";
import { defineNode, withHelp } from "../define";

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
      respond: withHelp(z.enum(["accepted", "result"]).default("accepted"), "accepted: answer 202 with the run id at once. result: wait for the run and answer with its output."),
      timeoutSeconds: withHelp(z.number().int().min(1, "must be at least 1").max(120, "must be at most 120").default(30), "With respond = result: how long to wait for the run before answering 202 with the run id instead.", [30]),
    })
    .strict(),
  inputs: [],
});
