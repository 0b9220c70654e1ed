import { z } from "zod";
import { defineNode, templatesIn, withHelp } from "../define";
import { LLM_CAPABILITY, LLM_RETRY, samplingFields, systemField } from "./common";
import { jsonSchemaIssues } from "./json-schema";

export const llmExtractNode = defineNode({
  type: "llm.extract",
  version: 1,
  title: "LLM extract",
  category: "adapter",
  description: "Extracts structured data from text: the answer must satisfy the JSON Schema given; an invalid answer is sent back once with its errors, then the step fails.",
  icon: "braces",
  behavior: "task",
  config: z
    .object({
      ...samplingFields,
      system: systemField,
      input: withHelp(z.string().min(1, "is required").max(50_000), "The text to extract from. Templates allowed.", ["{{ input.text }}"]),
      schema: withHelp(z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
        for (const issue of jsonSchemaIssues(schema).slice(0, 5)) {
          ctx.addIssue({ code: "custom", path: issue.path ? issue.path.split(".") : [], message: issue.message });
        }
      }), "A JSON Schema of what to extract; the answer must satisfy it and becomes the step's output.", [{"type": "object", "properties": {"name": {"type": "string"}, "amount": {"type": "number"}}, "required": ["name"]}]),
    })
    .strict(),
  errorPort: true,
  retry: LLM_RETRY,
  risk: "low",
  requires: [LLM_CAPABILITY],
  spends: () => true,
  expressions: (c) => [...templatesIn(c.system, "system"), ...templatesIn(c.input, "input")],
});
