import { z } from "zod";
import { defineNode, templatesIn, withHelp } from "../define";
import { LLM_CAPABILITY, LLM_RETRY, samplingFields, systemField } from "./common";

const LABEL = /^[a-z][a-z0-9_-]*$/;

const labelSchema = z.union([
  z.string().regex(LABEL, "must be lowercase letters, digits, _ or -, starting with a letter (it names an output port)").max(40),
  z
    .object({
      label: z.string().regex(LABEL, "must be lowercase letters, digits, _ or -, starting with a letter (it names an output port)").max(40),
      description: z.string().max(500).optional(),
    })
    .strict(),
]);

export interface ClassifyLabel {
  label: string;
  description?: string | undefined;
}

/** Labels as objects, whichever way they were written. */
export function labelsOf(config: { labels: (string | ClassifyLabel)[] }): ClassifyLabel[] {
  return config.labels.map((l) => (typeof l === "string" ? { label: l } : l));
}

// One output port per label, as logic.switch has one per case: the graph routes on the
// label directly. The label is always one of the set (an answer outside it is asked again,
// then fails), so there is no catch-all port; add a label such as `other` for that.
export const llmClassifyNode = defineNode({
  type: "llm.classify",
  version: 1,
  title: "LLM classify",
  category: "adapter",
  description: "Puts a text into one of the given labels and continues on that label's port, with the model's confidence.",
  icon: "tags",
  behavior: "task",
  config: z
    .object({
      ...samplingFields,
      system: systemField,
      text: withHelp(z.string().min(1, "is required").max(50_000), "The text to classify. Templates allowed.", ["{{ input.text }}"]),
      labels: withHelp(z.array(labelSchema).min(2, "needs at least two labels").max(50), "Two or more labels; each becomes an output port. A description helps the model choose. Add a label such as `other` for everything else.", [["billing", "bug", "other"], [{ label: "refund", description: "asks for money back" }, { label: "other" }]]),
    })
    .strict()
    .superRefine((c, ctx) => {
      const seen = new Set<string>();
      labelsOf(c).forEach((item, i) => {
        if (seen.has(item.label)) ctx.addIssue({ code: "custom", path: ["labels", i], message: `'${item.label}' is listed twice` });
        seen.add(item.label);
      });
    }),
  outputs: (c) => labelsOf(c).map((item) => ({ id: item.label, label: item.label })),
  errorPort: true,
  retry: LLM_RETRY,
  risk: "low",
  requires: [LLM_CAPABILITY],
  spends: () => true,
  expressions: (c) => [...templatesIn(c.system, "system"), ...templatesIn(c.text, "text")],
});
