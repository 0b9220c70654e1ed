import { z } from "zod";
import { defineNode, templatesIn, withHelp } from "../define";

export const setNode = defineNode({
  type: "data.set",
  version: 1,
  title: "Set fields",
  category: "logic",
  description: "Outputs an object of named fields; string values may hold {{ expressions }}.",
  icon: "edit",
  behavior: "task",
  effects: "none",
  config: z
    .object({
      fields: withHelp(z.record(z.string().min(1).max(100), z.unknown()).refine((f) => Object.keys(f).length <= 200, "must have at most 200 fields"), "The step's output: one key per field. String values may hold {{ expressions }}; other JSON values are copied as they are.", [{ email: "{{ input.email }}", plan: "trial", seats: 3 }]),
    })
    .strict(),
  errorPort: true,
  expressions: (c) => templatesIn(c.fields, "fields"),
});
