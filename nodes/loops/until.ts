import { z } from "zod";
import { defineNode, withHelp } from "../define";

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
      condition: withHelp(z.string().min(1, "is required").max(2000), "A JSONata condition checked after each pass of `again`; once it holds, the loop follows `done`.", ["outputs.check.body.status = \"ready\""]),
      maxIterations: withHelp(z.number({ message: "is required" }).int().min(1, "must be at least 1").max(10_000, "must be at most 10000"), "At most this many passes; then the loop follows `done` even if the condition never held.", [10]),
    })
    .strict(),
  outputs: [
    { id: "again", label: "again" },
    { id: "done", label: "done" },
  ],
  expressions: (c) => [{ path: "condition", source: c.condition, kind: "jsonata" }],
});
