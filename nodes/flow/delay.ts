import { z } from "zod";
import { parseDuration } from "../../engine/duration";
import { defineNode } from "../define";

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
      duration: z.string().refine((d) => parseDuration(d) !== undefined, "must be an ISO 8601 duration such as PT5M or P2D"),
    })
    .strict(),
});
