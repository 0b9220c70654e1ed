import { z } from "zod";
import { defineNode, withHelp } from "../define";

export const forEachNode = defineNode({
  type: "loop.forEach",
  version: 1,
  title: "For each item",
  category: "logic",
  description: "Runs the `item` branch once per element of a list (a JSONata expression), then follows `done`.",
  icon: "repeat",
  behavior: "loop",
  effects: "none",
  config: z
    .object({
      items: withHelp(z.string().min(1, "is required").max(2000), "A JSONata expression giving the list to go through; each element takes the `each item` branch in turn.", ["input.lines", "outputs.fetch.body.items"]),
      maxItems: withHelp(z.number().int().min(1).max(10_000).default(1_000), "A longer list fails the step instead of running on and on.", [100]),
    })
    .strict(),
  outputs: [
    { id: "item", label: "each item" },
    { id: "done", label: "done" },
  ],
  expressions: (c) => [{ path: "items", source: c.items, kind: "jsonata" }],
});
