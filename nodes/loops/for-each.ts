import { z } from "zod";
import { defineNode } from "../define";

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
      items: z.string().min(1, "is required").max(2000),
      maxItems: z.number().int().min(1).max(10_000).default(1_000),
    })
    .strict(),
  outputs: [
    { id: "item", label: "each item" },
    { id: "done", label: "done" },
  ],
  expressions: (c) => [{ path: "items", source: c.items, kind: "jsonata" }],
});
