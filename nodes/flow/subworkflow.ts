import { z } from "zod";
import { defineNode, templatesIn } from "../define";

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
      workflow: z.string().min(1, "is required").max(100),
      input: z.record(z.string(), z.unknown()).default({}),
    })
    .strict(),
  errorPort: true,
  expressions: (c) => templatesIn(c.input, "input"),
});
