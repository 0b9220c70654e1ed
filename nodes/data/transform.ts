import { z } from "zod";
import { defineNode, withHelp } from "../define";

export const transformNode = defineNode({
  type: "data.transform",
  version: 1,
  title: "Transform",
  category: "logic",
  description: "Computes its output with a JSONata expression over the run's data (input and earlier outputs).",
  icon: "function",
  behavior: "task",
  effects: "none",
  config: z.object({ expression: withHelp(z.string().min(1, "is required").max(10_000), "A JSONata expression over the run's data; its value is the step's output. `input` is the run input, `outputs.<node id>` an earlier step's output.", ["{ \"total\": $sum(input.lines.amount) }", "input.items[price > 100].name"]) }).strict(),
  errorPort: true,
  expressions: (c) => [{ path: "expression", source: c.expression, kind: "jsonata" }],
});
