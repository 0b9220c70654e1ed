import { z } from "zod";
import { defineNode, templatesIn } from "../define";

export const endNode = defineNode({
  type: "flow.end",
  version: 1,
  title: "End",
  category: "logic",
  description: "Finishes the run, as a success or a failure, with an optional output.",
  icon: "flag",
  behavior: "end",
  config: z
    .object({
      outcome: z.enum(["success", "failure"]).default("success"),
      output: z.unknown().optional(),
    })
    .strict(),
  outputs: [],
  expressions: (c) => templatesIn(c.output, "output"),
});
