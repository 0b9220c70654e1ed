import { z } from "zod";
import { defineNode, withHelp } from "../define";

export const ifNode = defineNode({
  type: "logic.if",
  version: 1,
  title: "If / else",
  category: "logic",
  description: "Follows `true` when the JSONata condition holds for the run's data, `false` otherwise.",
  icon: "split",
  behavior: "task",
  effects: "none",
  config: z.object({ condition: withHelp(z.string().min(1, "is required").max(2000), "A JSONata condition over the run's data: when it is true the run follows `true`, otherwise `false`.", ["input.amount > 100", "outputs.find.tier = \"vip\""]) }).strict(),
  outputs: [
    { id: "true", label: "true" },
    { id: "false", label: "false" },
  ],
  expressions: (c) => [{ path: "condition", source: c.condition, kind: "jsonata" }],
});
