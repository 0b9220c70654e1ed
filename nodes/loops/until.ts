import { z } from "zod";
import { defineNode } from "../define";

export const untilNode = defineNode({
  type: "loop.until",
  version: 1,
  title: "Repeat until",
  category: "logic",
  description: "Follows `again` until the JSONata condition holds or the iteration limit is reached, then `done`.",
  icon: "refresh",
  behavior: "loop",
  effects: "none",
  config: z
    .object({
      condition: z.string().min(1, "is required").max(2000),
      maxIterations: z.number({ message: "is required" }).int().min(1, "must be at least 1").max(10_000, "must be at most 10000"),
    })
    .strict(),
  outputs: [
    { id: "again", label: "again" },
    { id: "done", label: "done" },
  ],
  expressions: (c) => [{ path: "condition", source: c.condition, kind: "jsonata" }],
});
