import { z } from "zod";
import { defineNode } from "../define";

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
      label: z.string().regex(INTENT_LABEL, "must be lowercase letters, digits, - or _, starting with a letter (at most 40)"),
      description: z.string().min(1, "is required: the router's LLM reads it to decide what belongs here").max(1_000),
      /** Input fields the workflow reads besides the text (for the operator and the LLM). */
      fields: z
        .array(z.object({ name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be letters, digits and _"), description: z.string().max(500).default("") }).strict())
        .max(30)
        .default([]),
      /** A sample request for "Try it": its text, and the sender and fields it comes with. */
      sample: z
        .object({
          text: z.string().min(1, "is required").max(20_000),
          email: z.string().max(320).optional(),
          name: z.string().max(200).optional(),
          fields: z.record(z.string(), z.unknown()).optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  inputs: [],
});
