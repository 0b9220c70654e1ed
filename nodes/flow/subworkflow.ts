import { z } from "zod";
import type { SubworkflowConfig } from "../../engine/registry";
import { defineNode, templatesIn, withHelp } from "../define";

export const subworkflowNode = defineNode({
  type: "flow.subworkflow",
  version: 1,
  title: "Sub-workflow",
  category: "logic",
  description: "Runs another workflow's published version as a child run and waits for its output.",
  icon: "layers",
  behavior: "task",
  // The engine starts a child run and waits for it; there is no executor to call.
  execution: "engine",
  config: z
    .object({
      workflow: withHelp(z.string().min(1, "is required").max(100), "The workflow to run, by its slug or id; its current published version runs as a child run, and this step waits for it.", ["customer-onboarding"]),
      input: withHelp(z.record(z.string(), z.unknown()).default({}), "The child run's input, as a JSON object; string values may hold {{ expressions }}.", [{ email: "{{ input.email }}", name: "{{ input.name }}" }]),
    })
    .strict() satisfies z.ZodType<SubworkflowConfig>,
  errorPort: true,
  expressions: (c) => templatesIn(c.input, "input"),
});
