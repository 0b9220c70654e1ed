import { z } from "zod";
import { defineNode } from "../define";

export const transformNode = defineNode({
  type: "data.transform",
  version: 1,
  title: "Transform",
  category: "logic",
  description: "Computes its output with a JSONata expression over the run's data (input and earlier outputs).",
  icon: "function",
  behavior: "task",
  effects: "none",
  config: z.object({ expression: z.string().min(1, "is required").max(10_000) }).strict(),
  errorPort: true,
  expressions: (c) => [{ path: "expression", source: c.expression, kind: "jsonata" }],
});
