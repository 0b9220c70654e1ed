import { z } from "zod";
import { defineNode, withHelp } from "../define";

// Workflows that accept intents: the coordinator routes a request here when its label fits.
// The label is what rules and the LLM name; the description tells the LLM what belongs here;
// the sample is what "Try it" sends.

export const INTENT_LABEL = /^[a-z][a-z0-9_-]{0,39}$/;

export const intentTrigger = defineNode({
  type: "trigger.intent",
  version: 1,
  title: "Intent",
  category: "trigger",
  description:
    "Starts a run for each request the coordinator routes here (API, signed webhook, inbound email, the New request form). The input has the request's text, source, fields, the contact, and context from memory.",
  icon: "inbox",
  behavior: "trigger",
  config: z
    .object({
      label: withHelp(z.string().regex(INTENT_LABEL, "must be lowercase letters, digits, - or _, starting with a letter (at most 40)"), "The name rules and the LLM give this kind of request: lowercase letters, digits, - or _.", ["support", "refund-request"]),
      description: withHelp(z.string().min(1, "is required: the router's LLM reads it to decide what belongs here").max(1_000), "What belongs here, in a sentence or two: the router's LLM reads it to decide.", ["Customers asking for help with an order or their account."]),
      fields: withHelp(
        z
          .array(z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be letters, digits and _"), description: z.string().max(500).default("") }).strict())
          .max(30)
          .default([]),
        "Input fields the workflow reads besides the text, each with a name and what it holds.",
        [[{ name: "orderId", description: "The order the request is about" }]],
      ),
      sample: withHelp(
        z
          .object({
            text: z.string().min(1, "is required").max(20_000),
            email: z.string().max(320).optional(),
            name: z.string().max(200).optional(),
            fields: z.record(z.string(), z.unknown()).optional(),
          })
          .strict()
          .optional(),
        "The request Try it sends: its text, and optionally the sender's email and name and fields.",
        [{ text: "Where is my order 1042?", email: "ada@example.com", name: "Ada" }],
      ),
    })
    .strict(),
  inputs: [],
});
