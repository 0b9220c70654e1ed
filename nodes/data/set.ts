import { z } from "zod";
import { defineNode, templatesIn } from "../define";

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
      fields: z.record(z.string().min(1).max(100), z.unknown()).refine((f) => Object.keys(f).length <= 200, "must have at most 200 fields"),
    })
    .strict(),
  errorPort: true,
  expressions: (c) => templatesIn(c.fields, "fields"),
});
