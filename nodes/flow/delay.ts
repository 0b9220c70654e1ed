import { z } from "zod";
import { parseDuration } from "../../engine/duration";
import type { DelayConfig } from "../../engine/registry";
import { defineNode, withHelp } from "../define";

export const delayNode = defineNode({
  type: "flow.delay",
  version: 1,
  title: "Wait",
  category: "logic",
  description: "Sleeps for a duration (ISO 8601: PT5M, P2D). Survives restarts: the timer is in the database.",
  icon: "clock",
  behavior: "delay",
  config: z
    .object({
      duration: withHelp(z.string().refine((d) => parseDuration(d) !== undefined, "must be an ISO 8601 duration such as PT5M or P2D"), "How long to wait, as an ISO 8601 duration: PT30S (30 seconds), PT5M, PT2H, P1D, P1W.", ["PT5M", "P2D"]),
    })
    .strict() satisfies z.ZodType<DelayConfig>,
});
