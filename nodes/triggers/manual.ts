import { z } from "zod";
import { defineNode, withHelp } from "../define";
import { jsonSchemaIssues } from "../llm/json-schema";

export const manualTrigger = defineNode({
  type: "trigger.manual",
  version: 1,
  title: "Manual start",
  category: "trigger",
  description: "Starts a run by hand (the Run button, `keel run`, the API), with the input given.",
  icon: "play",
  behavior: "trigger",
  config: z.object({ description: withHelp(z.string().max(500).default(""), "What the workflow does and what input it expects, for whoever presses Run.", ["Onboards a new customer. Input: { email, name }."]) }).strict(),
  inputs: [],
});

/**
 * Version 2 adds an optional `inputSchema` (a JSON Schema of an object): the Run button builds
 * its form from it and a manual start's input is checked against it. Version 1 keeps working.
 */
export const manualTriggerV2 = defineNode({
  type: "trigger.manual",
  version: 2,
  title: "Manual start",
  category: "trigger",
  description: "Starts a run by hand (the Run button, `keel run`, the API), with the input given; an input schema makes the Run button a form and checks the input.",
  icon: "play",
  behavior: "trigger",
  config: z
    .object({
      description: withHelp(z.string().max(500).default(""), "What the workflow does and what input it expects, for whoever presses Run.", ["Onboards a new customer. Input: { email, name }."]),
      inputSchema: withHelp(
        z
          .record(z.string(), z.unknown())
          .superRefine((schema, ctx) => {
            for (const issue of jsonSchemaIssues(schema).slice(0, 5)) ctx.addIssue({ code: "custom", path: issue.path ? issue.path.split(".") : [], message: issue.message });
          })
          .optional(),
        "A JSON Schema of an object: the Run button becomes a form with its fields, and every manual start's input is checked against it.",
        [{ type: "object", properties: { email: { type: "string" }, name: { type: "string" }}, required: ["email"] }],
      ),
    })
    .strict(),
  inputs: [],
});
