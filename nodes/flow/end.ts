import { z } from "zod";
import type { EndConfig } from "../../engine/registry";
import { defineNode, templatesIn, withHelp } from "../define";

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
      outcome: withHelp(z.enum(["success", "failure"]).default("success"), "Whether the run ends as a success or as a failure (failures show in the runs list and the dashboard)."),
      output: withHelp(z.unknown().optional(), "The run's final output, as JSON; string values may hold {{ expressions }}. Empty: no output.", [{ status: "done", contact: "{{ outputs.save.id }}" }]),
    })
    .strict() satisfies z.ZodType<EndConfig>,
  outputs: [],
  expressions: (c) => templatesIn(c.output, "output"),
});
